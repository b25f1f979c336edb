"""Correcting a place (lieu), or marking it no longer used: the service, the page and the API.

Rule (outreach/perms.py): any mediator, as for adding a place (places have no author); the
direction reads and writes nothing; the other roles see no place. A place is never deleted.
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
from centre.roles import Role
from outreach.forms import CollectiveActionForm, PermanenceForm, PlaceForm
from outreach.models import Place
from outreach.services import permanences, places
from outreach.services.base import OutreachError
from tests.factories import SiteFactory
from tests.outreach.factories import PermanenceFactory, SessionFactory, paris

ClientFor = Callable[[str | None], Client]
TODAY = timezone.localdate()
ROLES = [r.value for r in Role]


def _place(site: Site, **fields: Any) -> Place:
    values: dict[str, Any] = {
        "name": "Maison de quartier des Couronneries",
        "kind": "centre_social",
        "address": "2 rue des Couronneries, 86000 Poitiers",
        "neighbourhood": "Couronneries",
        "in_qpv": True,
        "site": site,
        "partner_contact": "Mme Durand, 05 49 00 00 00",
    }
    values.update(fields)
    return Place.objects.create(**values)


def _state(place: Place) -> dict[str, Any]:
    place.refresh_from_db()
    return {f: getattr(place, f) for f in places.PLACE_EDITABLE_FIELDS}


def _updates() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="outreach.place.update").order_by("pk"))


# --- Service --------------------------------------------------------------------------------


def test_correction_saves_and_journals_only_the_changed_fields(
    site: Site, other_site: Site, staff: dict[str, User]
) -> None:
    place = _place(site)
    places.place_update(
        by=staff["mediation"],
        place=place,
        changes={
            "address": " 4 rue des Couronneries, 86000 Poitiers ",
            "site": other_site,
            "in_qpv": True,  # unchanged: not journaled
            "name": "Maison de quartier des Couronneries",
        },
    )
    place.refresh_from_db()
    assert place.address == "4 rue des Couronneries, 86000 Poitiers"
    assert place.site == other_site
    [entry] = _updates()
    assert entry.actor == staff["mediation"] and entry.object_id == str(place.pk)
    assert entry.changes == {
        "address": [
            "2 rue des Couronneries, 86000 Poitiers",
            "4 rue des Couronneries, 86000 Poitiers",
        ],
        "site": [site.pk, other_site.pk],
    }


def test_a_correction_that_changes_nothing_writes_nothing(
    site: Site, staff: dict[str, User]
) -> None:
    place = _place(site)
    places.place_update(
        by=staff["mediation"],
        place=place,
        changes={"name": " Maison de quartier des Couronneries ", "kind": "centre_social"},
    )
    assert _updates() == []


def test_a_new_site_leaves_past_sessions_where_they_were_counted(
    site: Site, other_site: Site, staff: dict[str, User]
) -> None:
    place = _place(site)
    session = SessionFactory.create(place=place, mediator=staff["mediation"])
    places.place_update(by=staff["mediation"], place=place, changes={"site": other_site})
    session.refresh_from_db()
    assert session.site == site


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "  "}, "name", "Indiquez le nom du lieu."),
        ({"name": "foyer adoma"}, "name", "Un lieu porte déjà ce nom."),
        ({"kind": "piscine"}, "kind", "Type de lieu inconnu."),
        ({"id": 12}, "id", "ne peut pas être modifié après la saisie"),
    ],
)
def test_bad_correction_is_refused_in_french_and_nothing_changes(
    site: Site,
    staff: dict[str, User],
    changes: dict[str, Any],
    field: str,
    message: str,
) -> None:
    place = _place(site)
    _place(site, name="Foyer Adoma")
    before = _state(place)
    audits = AuditEntry.objects.count()
    with pytest.raises(OutreachError) as caught:
        places.place_update(
            by=staff["mediation"],
            place=place,
            # A valid change alongside: it must not be saved either.
            changes={"neighbourhood": "Saint-Éloi", **changes},
        )
    assert message in " ".join(caught.value.errors[field])
    assert _state(place) == before
    assert AuditEntry.objects.count() == audits


def test_a_place_cannot_move_to_a_closed_site_but_keeps_its_own(
    site: Site, staff: dict[str, User]
) -> None:
    closed = SiteFactory.create(centre=site.centre, name="Ancienne antenne", is_active=False)
    place = _place(site)
    with pytest.raises(OutreachError) as caught:
        places.place_update(by=staff["mediation"], place=place, changes={"site": closed})
    assert caught.value.errors["site"] == ["Ce site n'est plus actif."]
    old = _place(closed, name="Local de l'ancienne antenne")
    places.place_update(by=staff["mediation"], place=old, changes={"in_qpv": False})
    assert _state(old)["site"] == closed and _state(old)["in_qpv"] is False


def test_a_place_no_longer_used_is_marked_inactive_and_kept(
    site: Site, staff: dict[str, User]
) -> None:
    place = _place(site)
    day = TODAY - datetime.timedelta(days=30)
    past = PermanenceFactory.create(
        place=place, mediator=staff["mediation"], start=paris(day, 14), end=paris(day, 17)
    )
    places.place_update(by=staff["mediation"], place=place, changes={"is_active": False})
    place.refresh_from_db()
    assert place.is_active is False and past.place == place
    assert _updates()[-1].changes == {"is_active": [True, False]}
    # No longer offered for new permanences and actions.
    assert place not in PermanenceForm().fields["place"].queryset  # type: ignore[attr-defined]
    assert place not in CollectiveActionForm().fields["place"].queryset  # type: ignore[attr-defined]
    # Used again.
    places.place_update(by=staff["mediation"], place=place, changes={"is_active": True})
    assert _state(place)["is_active"] is True


def test_a_place_with_permanences_still_planned_stays_in_use(
    site: Site, staff: dict[str, User]
) -> None:
    place = _place(site)
    day = TODAY + datetime.timedelta(days=7)
    planned = PermanenceFactory.create(
        place=place, mediator=staff["mediation"], start=paris(day, 14), end=paris(day, 17)
    )
    with pytest.raises(OutreachError) as caught:
        places.place_update(by=staff["mediation"], place=place, changes={"is_active": False})
    assert caught.value.errors["is_active"] == [
        "1 permanence(s) encore programmée(s) dans ce lieu : "
        "annulez-les avant de le marquer comme plus utilisé."
    ]
    assert _state(place)["is_active"] is True and _updates() == []
    permanences.permanence_cancel(by=staff["mediation"], permanence=planned)
    places.place_update(by=staff["mediation"], place=place, changes={"is_active": False})
    assert _state(place)["is_active"] is False


def test_a_place_marked_unused_while_a_permanence_form_was_open_refuses_it(
    site: Site, staff: dict[str, User]
) -> None:
    place = _place(site)  # loaded by the scheduling form, still « in use » in that object
    places.place_update(
        by=staff["mediation"], place=Place.objects.get(pk=place.pk), changes={"is_active": False}
    )
    with pytest.raises(OutreachError) as caught:
        permanences.permanence_schedule(
            by=staff["mediation"],
            place=place,
            mediator=staff["mediation"],
            first_day=TODAY + datetime.timedelta(days=7),
            start_time=datetime.time(14),
            end_time=datetime.time(17),
        )
    assert caught.value.errors["place"] == ["Ce lieu n'est plus actif."]
    assert not place.permanences.exists()


def test_edit_form_offers_exactly_the_editable_fields(site: Site) -> None:
    place = _place(site)
    assert set(PlaceForm(place=place).fields) == set(places.PLACE_EDITABLE_FIELDS)
    assert "is_active" not in PlaceForm().fields  # a new place is in use


# --- Page -----------------------------------------------------------------------------------


def _post(place: Place, **extra: Any) -> dict[str, Any]:
    """The edit form as the browser sends it back unchanged (an unticked box is absent)."""
    data: dict[str, Any] = {
        "name": place.name,
        "kind": place.kind,
        "address": place.address,
        "neighbourhood": place.neighbourhood,
        "site": place.site_id,
        "partner_contact": place.partner_contact,
    }
    if place.in_qpv:
        data["in_qpv"] = "on"
    if place.is_active:
        data["is_active"] = "on"
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def test_mediator_corrects_a_place_from_the_list(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    place = _place(site)
    client = client_for("mediation")
    listing = client.get(reverse("outreach_places")).content.decode()
    edit_url = reverse("outreach_place_edit", args=[place.pk])
    assert f'href="{edit_url}"' in listing

    page = client.get(edit_url)
    assert page.status_code == 200
    form = page.context["form"]
    assert form["name"].value() == "Maison de quartier des Couronneries"
    assert form["site"].value() == site.pk and form["is_active"].value() is True
    body = page.content.decode()
    assert "Modifier le lieu — Maison de quartier des Couronneries" in body
    assert 'value="2 rue des Couronneries, 86000 Poitiers"' in body
    [is_active] = re.findall(r'<input type="checkbox" name="is_active"[^>]*>', body)
    assert "checked" in is_active

    response = client.post(
        edit_url, _post(place, partner_contact="M. Roux", in_qpv=None, is_active=None)
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("outreach_places")
    place.refresh_from_db()
    assert place.partner_contact == "M. Roux"
    assert place.in_qpv is False and place.is_active is False
    [entry] = _updates()
    assert entry.changes == {
        "in_qpv": [True, False],
        "partner_contact": ["Mme Durand, 05 49 00 00 00", "M. Roux"],
        "is_active": [True, False],
    }
    listing = client.get(reverse("outreach_places")).content.decode()
    assert "Plus utilisé" in listing


def test_invalid_correction_shows_the_french_message_and_changes_nothing(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    place = _place(site)
    _place(site, name="Foyer Adoma")
    before = _state(place)
    client = client_for("mediation")
    url = reverse("outreach_place_edit", args=[place.pk])
    response = client.post(url, _post(place, name="FOYER ADOMA", address="ailleurs"))
    assert response.status_code == 200
    assert "Un lieu porte déjà ce nom." in response.content.decode()
    day = TODAY + datetime.timedelta(days=3)
    PermanenceFactory.create(place=place, start=paris(day, 9), end=paris(day, 12))
    response = client.post(url, _post(place, is_active=None))
    assert response.status_code == 200
    assert "annulez-les avant de le marquer comme plus utilisé." in response.content.decode()
    response = client.post(url, _post(place, name=""))
    assert "Ce champ est obligatoire." in response.content.decode()
    assert _state(place) == before and _updates() == []


@pytest.mark.parametrize("role", ["direction", "accueil", "soignant", "facturation"])
def test_other_roles_cannot_correct_a_place(
    role: str, client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    place = _place(site)
    client = client_for(role)
    edit_url = reverse("outreach_place_edit", args=[place.pk])
    assert client.get(edit_url).status_code == 403
    assert client.post(edit_url, _post(place, name="Autre nom")).status_code == 403
    if role == "direction":
        assert edit_url not in client.get(reverse("outreach_places")).content.decode()
    assert _state(place)["name"] == "Maison de quartier des Couronneries" and _updates() == []


# --- API ------------------------------------------------------------------------------------


def _api_url(place: Place) -> str:
    return reverse("api:outreach-place-detail", args=[place.pk])


def test_api_patch_corrects_a_place(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    place = _place(site)
    client = client_for("mediation")
    got = client.get(_api_url(place)).json()
    assert got["name"] == "Maison de quartier des Couronneries" and got["is_active"] is True
    response = client.patch(
        _api_url(place),
        {"kind": "association", "is_active": False},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["kind"] == "association" and body["is_active"] is False
    assert body["address"] == "2 rue des Couronneries, 86000 Poitiers"  # not sent: unchanged
    [entry] = _updates()
    assert entry.changes == {"kind": ["centre_social", "association"], "is_active": [True, False]}


def test_api_bad_patch_is_a_french_400_and_changes_nothing(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    place = _place(site)
    _place(site, name="Foyer Adoma")
    before = _state(place)
    client = client_for("mediation")
    cases: list[tuple[dict[str, Any], dict[str, list[str]]]] = [
        ({"name": "Foyer adoma", "address": "ailleurs"}, {"name": ["Un lieu porte déjà ce nom."]}),
        ({"name": "", "address": "ailleurs"}, {"name": ["Indiquez le nom du lieu."]}),
        (
            {"id": 3, "permanences": [], "address": "ailleurs"},
            {
                "id": ["Ce champ ne peut pas être modifié après la saisie."],
                "permanences": ["Ce champ ne peut pas être modifié après la saisie."],
            },
        ),
    ]
    for payload, errors in cases:
        response = client.patch(_api_url(place), payload, content_type="application/json")
        assert response.status_code == 400
        assert response.json() == errors
    assert _state(place) == before and _updates() == []


def test_api_never_deletes_a_place(client_for: ClientFor, site: Site) -> None:
    place = _place(site)
    response = client_for("mediation").delete(_api_url(place))
    assert response.status_code == 405
    assert Place.objects.filter(pk=place.pk).exists()


@pytest.mark.parametrize("role", [None, *ROLES])
def test_api_place_detail_roles(
    role: str | None, client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    """GET: mediation and direction. PATCH: mediation."""
    place = _place(site)
    client = client_for(role)
    got = client.get(_api_url(place))
    patched = client.patch(
        _api_url(place), {"neighbourhood": "Saint-Éloi"}, content_type="application/json"
    )
    place.refresh_from_db()
    if role is None:
        assert got.status_code in (401, 403) and patched.status_code in (401, 403)
    else:
        assert got.status_code == (200 if role in ("mediation", "direction") else 403)
        assert patched.status_code == (200 if role == "mediation" else 403)
    assert place.neighbourhood == ("Saint-Éloi" if role == "mediation" else "Couronneries")


def test_openapi_documents_the_place_correction(client_for: ClientFor) -> None:
    schema = client_for("direction").get("/api/schema/", {"format": "json"}).json()
    operations = schema["paths"]["/api/v1/outreach/places/{id}/"]
    assert set(operations) >= {"get", "patch"}
    assert not {"put", "delete"} & set(operations)
    patch = operations["patch"]
    assert patch["summary"] == "Corriger un lieu ou le marquer comme plus utilisé"
    assert set(patch["responses"]) == {"200", "400", "401", "403", "404"}
    ref = patch["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    fields = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]
    assert set(fields) == set(places.PLACE_EDITABLE_FIELDS)
