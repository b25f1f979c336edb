"""Correcting a collective action after it was entered: the service, the page and the API
(and creating one through the API).

Rule (outreach/perms.py `can_edit_collective_action`): only its organiser — the mediator who
entered it — while they hold the mediation role; the direction reads and writes nothing;
reception, practitioners and billing see no collective action.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from centre.models import AuditEntry, Site, User
from centre.refusals import Forbidden
from centre.roles import Role
from outreach.forms import CollectiveActionForm
from outreach.models import CollectiveAction, Place
from outreach.services import collective_actions
from outreach.services.base import OutreachError
from tests.factories import make_staff
from tests.outreach.factories import CollectiveActionFactory, PatientFactory, PlaceFactory

ClientFor = Callable[[str | None], Client]
TODAY = timezone.localdate()
ROLES = [r.value for r in Role]
BASE = "/api/v1/outreach/collective-actions"


def _action(site: Site, organiser: User, **fields: Any) -> CollectiveAction:
    """An action as `collective_action_create` leaves it, organised by `organiser`."""
    if "place" not in fields:
        fields["place"] = PlaceFactory.create(site=site)
    values: dict[str, Any] = {
        "organiser": organiser,
        "kind": "cafe_sante",
        "title": "Café Santé C2S",
        "held_on": TODAY - datetime.timedelta(days=5),
        "start_time": datetime.time(14, 0),
        "end_time": datetime.time(16, 0),
        "partners": "CPAM de la Vienne",
        "participants_count": 12,
        "themes": ["droits"],
        "cls_action": "Axe 1 — fiche 1.2",
        "notes": "Beaucoup de questions sur la C2S",
    }
    values.update(fields)
    values.setdefault("site", values["place"].site)
    return CollectiveAction.objects.create(**values)


def _state(action: CollectiveAction) -> dict[str, Any]:
    action.refresh_from_db()
    fields = (*collective_actions.COLLECTIVE_EDITABLE_FIELDS, "site", "organiser")
    return {f: getattr(action, f) for f in fields}


def _updates() -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(action="outreach.collective_action.update").order_by("pk")
    )


# --- Service --------------------------------------------------------------------------------


def test_correction_saves_and_journals_only_the_changed_fields(
    site: Site, other_site: Site, staff: dict[str, User]
) -> None:
    action = _action(site, staff["mediation"])
    first_place = action.place_id
    elsewhere = PlaceFactory.create(site=other_site, name="Foyer Adoma")
    collective_actions.collective_action_update(
        by=staff["mediation"],
        action=action,
        changes={
            "participants_count": 15,
            "place": elsewhere,
            "themes": ["droits", "vaccination"],
            "title": "Café Santé C2S",  # unchanged: not journaled
            "notes": "Beaucoup de questions sur la C2S et l'AME",
        },
    )
    action.refresh_from_db()
    assert action.participants_count == 15 and action.place == elsewhere
    assert action.site == other_site  # the site follows the new place, as at creation
    assert action.themes == ["droits", "vaccination"]
    assert action.notes == "Beaucoup de questions sur la C2S et l'AME"
    [entry] = _updates()
    assert entry.actor == staff["mediation"] and entry.object_id == str(action.pk)
    assert entry.changes == {
        "place": [first_place, elsewhere.pk],
        "site": [site.pk, other_site.pk],
        "participants_count": [12, 15],
        "themes": [["droits"], ["droits", "vaccination"]],
        "notes": [collective_actions.TEXT_NOT_JOURNALED, collective_actions.TEXT_NOT_JOURNALED],
    }
    assert "AME" not in str(entry.changes)  # the review's text stays out of the journal


def test_a_correction_that_changes_nothing_writes_nothing(
    site: Site, staff: dict[str, User]
) -> None:
    action = _action(site, staff["mediation"])
    collective_actions.collective_action_update(
        by=staff["mediation"],
        action=action,
        changes={"participants_count": 12, "title": " Café Santé C2S ", "themes": ["droits"]},
    )
    assert _updates() == []


def test_the_site_only_follows_a_new_place(
    site: Site, other_site: Site, staff: dict[str, User]
) -> None:
    """An action whose place was attached to another site since keeps the site it was
    counted in when something else is corrected."""
    action = _action(site, staff["mediation"])
    Place.objects.filter(pk=action.place_id).update(site=other_site)
    collective_actions.collective_action_update(
        by=staff["mediation"], action=action, changes={"participants_count": 20}
    )
    action.refresh_from_db()
    assert action.site == site and action.participants_count == 20
    assert _updates()[-1].changes == {"participants_count": [12, 20]}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"kind": "kermesse"}, "kind", "Type d'action inconnu."),
        ({"title": "   "}, "title", "Donnez un intitulé à l'action."),
        (
            {"end_time": datetime.time(13, 0)},
            "end_time",
            "L'heure de fin doit être après l'heure de début.",
        ),
        (
            {"participants_count": -1},
            "participants_count",
            "Le nombre de participant·e·s ne peut être négatif.",
        ),
        ({"themes": ["droits", "loterie"]}, "themes", "Thème inconnu : loterie."),
        ({"organiser": None}, "organiser", "ne peut pas être modifié après la saisie"),
        ({"site": None}, "site", "ne peut pas être modifié après la saisie"),
        ({"attendees": []}, "attendees", "ne peut pas être modifié après la saisie"),
    ],
)
def test_bad_correction_is_refused_in_french_and_nothing_changes(
    site: Site,
    staff: dict[str, User],
    changes: dict[str, Any],
    field: str,
    message: str,
) -> None:
    action = _action(site, staff["mediation"])
    before = _state(action)
    audits = AuditEntry.objects.count()
    with pytest.raises(OutreachError) as caught:
        collective_actions.collective_action_update(
            by=staff["mediation"],
            action=action,
            # A valid change alongside: it must not be saved either.
            changes={"participants_count": 30, **changes},
        )
    assert message in " ".join(caught.value.errors[field])
    assert _state(action) == before
    assert AuditEntry.objects.count() == audits


def test_fewer_participants_than_named_patients_is_refused(
    site: Site, staff: dict[str, User]
) -> None:
    action = _action(site, staff["mediation"], participants_count=3)
    action.attendees.set([PatientFactory.create(), PatientFactory.create()])
    with pytest.raises(OutreachError) as caught:
        collective_actions.collective_action_update(
            by=staff["mediation"], action=action, changes={"participants_count": 1}
        )
    assert caught.value.errors["participants_count"] == [
        "Plus de patient·e·s nommé·e·s que de participant·e·s : corrigez le nombre."
    ]
    collective_actions.collective_action_update(
        by=staff["mediation"], action=action, changes={"participants_count": 2}
    )
    assert _state(action)["participants_count"] == 2
    assert action.attendees.count() == 2


def test_a_place_no_longer_used_is_kept_but_not_chosen(site: Site, staff: dict[str, User]) -> None:
    action = _action(site, staff["mediation"])
    Place.objects.filter(pk=action.place_id).update(is_active=False)
    closed = PlaceFactory.create(site=site, is_active=False)
    collective_actions.collective_action_update(
        by=staff["mediation"], action=action, changes={"title": "Café Santé"}
    )
    assert _state(action)["title"] == "Café Santé"
    with pytest.raises(OutreachError) as caught:
        collective_actions.collective_action_update(
            by=staff["mediation"], action=action, changes={"place": closed}
        )
    assert caught.value.errors["place"] == ["Ce lieu n'est plus actif."]
    # The edit form keeps the action's own place, the entry form does not offer it.
    place_ids = {p.pk for p in CollectiveActionForm(action=action).fields["place"].queryset}  # type: ignore[attr-defined]
    assert action.place_id in place_ids and closed.pk not in place_ids
    new_ids = {p.pk for p in CollectiveActionForm().fields["place"].queryset}  # type: ignore[attr-defined]
    assert action.place_id not in new_ids


def test_only_the_organiser_may_correct(site: Site, staff: dict[str, User]) -> None:
    action = _action(site, staff["mediation"])
    colleague = make_staff("mediation", centre=site.centre, sites=[site])
    before = _state(action)
    for user in (colleague, staff["direction"], staff["accueil"]):
        # Forbidden (403 in the API) even with a field that cannot be corrected: the rule on
        # who may correct comes first, in the service, whatever the door.
        for changes in ({"participants_count": 60}, {"organiser": user}):
            with pytest.raises(Forbidden) as caught:
                collective_actions.collective_action_update(by=user, action=action, changes=changes)
            assert caught.value.errors[""] == [collective_actions.COLLECTIVE_EDIT_REFUSED]
    assert _state(action) == before and _updates() == []


def test_edit_form_offers_exactly_the_editable_fields(site: Site, staff: dict[str, User]) -> None:
    action = _action(site, staff["mediation"])
    assert set(CollectiveActionForm(action=action).fields) == set(
        collective_actions.COLLECTIVE_EDITABLE_FIELDS
    )


# --- Page -----------------------------------------------------------------------------------


def _post(action: CollectiveAction, **extra: Any) -> dict[str, Any]:
    """The edit form as the browser sends it back unchanged, then `extra`."""
    data: dict[str, Any] = {
        "kind": action.kind,
        "title": action.title,
        "place": action.place_id,
        "held_on": action.held_on.isoformat(),
        "start_time": action.start_time.strftime("%H:%M") if action.start_time else "",
        "end_time": action.end_time.strftime("%H:%M") if action.end_time else "",
        "partners": action.partners,
        "participants_count": str(action.participants_count),
        "themes": list(action.themes),
        "cls_action": action.cls_action,
        "notes": action.notes,
    }
    data.update(extra)
    return data


def _input(body: str, name: str, value: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}" value="{value}"[^>]*>', body)
    assert match, (name, value)
    return match.group(0)


def test_organiser_corrects_an_action_from_the_list(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    action = _action(site, staff["mediation"])
    someone_elses = _action(
        site,
        make_staff("mediation", centre=site.centre, sites=[site]),
        place=action.place,
        title="Atelier diabète",
    )
    client = client_for("mediation")
    listing = client.get(reverse("outreach_collective_actions")).content.decode()
    edit_url = reverse("outreach_collective_action_edit", args=[action.pk])
    assert f'href="{edit_url}"' in listing and "Modifier l'action" in listing
    assert reverse("outreach_collective_action_edit", args=[someone_elses.pk]) not in listing

    page = client.get(edit_url)
    assert page.status_code == 200
    form = page.context["form"]
    assert form["title"].value() == "Café Santé C2S"
    assert form["participants_count"].value() == 12
    assert form["place"].value() == action.place_id
    body = page.content.decode()
    assert "Modifier l'action — Café Santé C2S" in body
    assert 'value="Café Santé C2S"' in body and "Beaucoup de questions sur la C2S" in body
    assert 'value="14:00"' in body and 'value="16:00"' in body
    assert "checked" in _input(body, "themes", "droits")
    assert "checked" not in _input(body, "themes", "diabete")

    response = client.post(
        edit_url,
        _post(action, participants_count="14", themes=["droits", "diabete"], partners=""),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("outreach_collective_actions")
    action.refresh_from_db()
    assert action.participants_count == 14 and action.themes == ["droits", "diabete"]
    assert action.partners == ""
    [entry] = _updates()
    assert entry.changes == {
        "partners": ["CPAM de la Vienne", ""],
        "participants_count": [12, 14],
        "themes": [["droits"], ["droits", "diabete"]],
    }


def test_invalid_correction_shows_the_french_message_and_changes_nothing(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    action = _action(site, staff["mediation"])
    before = _state(action)
    client = client_for("mediation")
    url = reverse("outreach_collective_action_edit", args=[action.pk])
    response = client.post(url, _post(action, end_time="13:30", participants_count="40"))
    assert response.status_code == 200
    assert "L&#x27;heure de fin doit être après l&#x27;heure de début." in response.content.decode()
    response = client.post(url, _post(action, title=""))
    assert "Ce champ est obligatoire." in response.content.decode()
    assert _state(action) == before and _updates() == []


def test_only_the_organiser_sees_the_button_and_reaches_the_page(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    action = _action(site, staff["mediation"])
    edit_url = reverse("outreach_collective_action_edit", args=[action.pk])
    list_url = reverse("outreach_collective_actions")
    colleague = Client()
    colleague.force_login(
        make_staff("mediation", centre=site.centre, sites=[site]),
        backend="django.contrib.auth.backends.ModelBackend",
    )
    for client in (colleague, client_for("direction")):
        assert edit_url not in client.get(list_url).content.decode()
        assert client.get(edit_url).status_code == 403
        response = client.post(edit_url, _post(action, participants_count="90"))
        assert response.status_code == 403
    for role in ("accueil", "soignant", "facturation"):
        assert client_for(role).get(edit_url).status_code == 403
    assert _state(action)["participants_count"] == 12 and _updates() == []


# --- API ------------------------------------------------------------------------------------


def _api_url(action: CollectiveAction) -> str:
    return reverse("api:outreach-collective-action-detail", args=[action.pk])


def test_api_creates_a_collective_action(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    place = PlaceFactory.create(site=site)
    response = client_for("mediation").post(
        f"{BASE}/",
        {
            "kind": "depistage",
            "title": " Dépistage visuel ",
            "place": place.pk,
            "held_on": TODAY.isoformat(),
            "start_time": "09:30",
            "end_time": "12:00",
            "participants_count": 14,
            "themes": ["vue"],
            "cls_action": "Axe 2 — fiche 2.3",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    action = CollectiveAction.objects.get(pk=body["id"])
    assert action.title == "Dépistage visuel" and action.organiser == staff["mediation"]
    assert action.site == site and action.themes == ["vue"]
    assert body["organiser"] == staff["mediation"].pk and body["site"] == site.pk
    entry = AuditEntry.objects.get(action="outreach.collective_action.create")
    assert entry.object_id == str(action.pk) and entry.actor == staff["mediation"]
    assert entry.changes["participants_count"] == 14


def test_api_bad_creation_is_a_french_400_and_creates_nothing(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    closed = PlaceFactory.create(site=site, is_active=False)
    client = client_for("mediation")
    response = client.post(
        f"{BASE}/",
        {
            "kind": "atelier",
            "title": "",
            "place": closed.pk,
            "held_on": TODAY.isoformat(),
            "start_time": "15:00",
            "end_time": "14:00",
            "participants_count": -2,
            "themes": ["loterie"],
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "title": ["Donnez un intitulé à l'action."],
        "place": ["Ce lieu n'est plus actif."],
        "end_time": ["L'heure de fin doit être après l'heure de début."],
        "participants_count": ["Le nombre de participant·e·s ne peut être négatif."],
        "themes": ["Thème inconnu : loterie."],
    }
    response = client.post(f"{BASE}/", {"kind": "atelier"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["held_on"] == ["Ce champ est obligatoire."]
    assert not CollectiveAction.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="outreach.collective").exists()


def test_api_patch_corrects_an_action(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    action = _action(site, staff["mediation"])
    client = client_for("mediation")
    assert client.get(_api_url(action)).json()["title"] == "Café Santé C2S"
    response = client.patch(
        _api_url(action),
        {"participants_count": 18, "cls_action": "Axe 1 — fiche 1.3"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["participants_count"] == 18 and body["title"] == "Café Santé C2S"
    action.refresh_from_db()
    assert action.cls_action == "Axe 1 — fiche 1.3" and action.themes == ["droits"]
    [entry] = _updates()
    assert entry.changes == {
        "participants_count": [12, 18],
        "cls_action": ["Axe 1 — fiche 1.2", "Axe 1 — fiche 1.3"],
    }


def test_api_bad_patch_is_a_french_400_and_changes_nothing(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    action = _action(site, staff["mediation"])
    before = _state(action)
    client = client_for("mediation")
    cases: list[tuple[dict[str, Any], dict[str, list[str]]]] = [
        (
            {"themes": ["droits", "loterie"], "participants_count": 40},
            {"themes": ["Thème inconnu : loterie."]},
        ),
        # The API's schema lists the kinds: its own French message names the value refused.
        (
            {"kind": "kermesse", "participants_count": 40},
            {"kind": ["«\xa0kermesse\xa0» n'est pas un choix valide."]},
        ),
        (
            {"start_time": "17:00", "participants_count": 40},
            {"end_time": ["L'heure de fin doit être après l'heure de début."]},
        ),
        (
            {"organiser": staff["direction"].pk, "site": 1, "participants_count": 40},
            {
                "organiser": ["Ce champ ne peut pas être modifié après la saisie."],
                "site": ["Ce champ ne peut pas être modifié après la saisie."],
            },
        ),
    ]
    for payload, errors in cases:
        response = client.patch(_api_url(action), payload, content_type="application/json")
        assert response.status_code == 400
        assert response.json() == errors
    assert _state(action) == before and _updates() == []


@pytest.mark.parametrize("role", [None, *ROLES])
def test_api_collective_action_roles(
    role: str | None, client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    """GET: mediation and direction. PATCH: the organiser only (the `mediation` account
    here). POST: mediation."""
    action = _action(site, staff["mediation"])
    client = client_for(role)
    got = client.get(_api_url(action))
    patched = client.patch(
        _api_url(action), {"participants_count": 90}, content_type="application/json"
    )
    created = client.post(
        f"{BASE}/",
        {
            "kind": "stand",
            "title": "Stand",
            "place": action.place_id,
            "held_on": TODAY.isoformat(),
            "participants_count": 5,
        },
        content_type="application/json",
    )
    action.refresh_from_db()
    if role is None:
        assert {got.status_code, patched.status_code, created.status_code} <= {401, 403}
    else:
        assert got.status_code == (200 if role in ("mediation", "direction") else 403)
        assert patched.status_code == (200 if role == "mediation" else 403)
        assert created.status_code == (201 if role == "mediation" else 403)
    assert action.participants_count == (90 if role == "mediation" else 12)
    assert CollectiveAction.objects.count() == (2 if role == "mediation" else 1)


def test_api_another_mediator_cannot_patch(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    action = _action(site, staff["mediation"])
    colleague = Client()
    colleague.force_login(
        make_staff("mediation", centre=site.centre, sites=[site]),
        backend="django.contrib.auth.backends.ModelBackend",
    )
    assert colleague.get(_api_url(action)).status_code == 200
    response = colleague.patch(
        _api_url(action), {"participants_count": 90}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json() == {
        "detail": collective_actions.COLLECTIVE_EDIT_REFUSED,
        "kind": "forbidden",
        "field": "",
    }
    assert _state(action)["participants_count"] == 12


def test_openapi_documents_collective_actions(client_for: ClientFor) -> None:
    schema = client_for("direction").get("/api/schema/", {"format": "json"}).json()
    assert set(schema["paths"]["/api/v1/outreach/collective-actions/"]) >= {"get", "post"}
    operations = schema["paths"]["/api/v1/outreach/collective-actions/{id}/"]
    assert set(operations) >= {"get", "patch"}
    assert not {"put", "delete"} & set(operations)
    patch = operations["patch"]
    assert patch["summary"] == "Corriger une action collective (son organisateur·rice)"
    assert set(patch["responses"]) == {"200", "400", "401", "403", "404"}
    ref = patch["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    fields = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]
    assert set(fields) == set(collective_actions.COLLECTIVE_EDITABLE_FIELDS)


def test_factory_actions_are_listed_with_their_organiser(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    CollectiveActionFactory.create(place__site=site, organiser=staff["mediation"])
    body = client_for("direction").get(reverse("outreach_collective_actions")).content.decode()
    assert str(staff["mediation"]) in body
    assert "Modifier l'action" not in body  # the direction reads only
