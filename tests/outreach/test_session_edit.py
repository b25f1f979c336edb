"""Correcting a session after it was entered: the service, the page and the API.

Rule (outreach/perms.py `can_edit_session`): only the mediator who entered the session; the
direction reads and writes nothing; reception, practitioners and billing see no session.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from centre.models import AuditEntry, Site, User
from centre.refusals import Forbidden
from centre.roles import Role
from outreach.forms import SessionEditForm
from outreach.models import (
    FileStatus,
    Referral,
    ReferralStatus,
    RightsSession,
)
from outreach.services import sessions
from outreach.services.base import OutreachError
from tests.factories import make_staff
from tests.outreach.factories import (
    FileFactory,
    PermanenceFactory,
    PersonFactory,
    ReferralFactory,
    paris,
)

ClientFor = Callable[[str | None], Client]
TODAY = timezone.localdate()
ROLES = [r.value for r in Role]


def _session(site: Site, mediator: User, *, days_ago: int = 3, **fields: Any) -> RightsSession:
    """A session as `session_log` leaves it: at a permanence of `site`, entered by `mediator`."""
    day = TODAY - datetime.timedelta(days=days_ago)
    permanence = PermanenceFactory.create(
        place__site=site, mediator=mediator, start=paris(day, 14), end=paris(day, 17)
    )
    values: dict[str, Any] = {
        "person": PersonFactory.create(),
        "mediator": mediator,
        "channel": "permanence",
        "permanence": permanence,
        "place": permanence.place,
        "site": site,
        "held_on": day,
        "started_at": datetime.time(14, 30),
        "duration_minutes": 35,
        "first_contact": True,
        "topics": ["c2s", "carte_vitale"],
        "actions": ["information"],
        "outcome": "en_cours",
        "notes": "Hébergée chez sa sœur",
    }
    values.update(fields)
    return RightsSession.objects.create(**values)


def _state(session: RightsSession) -> dict[str, Any]:
    session.refresh_from_db()
    return {f: getattr(session, f) for f in (*sessions.SESSION_EDITABLE_FIELDS, "followup_done_at")}


def _updates() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="outreach.session.update").order_by("pk"))


# --- Service --------------------------------------------------------------------------------


def test_correction_saves_and_journals_only_the_changed_fields(
    site: Site, staff: dict[str, User]
) -> None:
    session = _session(site, staff["mediation"])
    sessions.session_update(
        by=staff["mediation"],
        session=session,
        changes={
            "topics": ["c2s", "ame"],
            "duration_minutes": 50,
            "outcome": "en_cours",  # unchanged: not journaled
            "notes": "Hébergée chez sa sœur, à Buxerolles",
        },
    )
    session.refresh_from_db()
    assert session.topics == ["c2s", "ame"] and session.duration_minutes == 50
    assert session.notes == "Hébergée chez sa sœur, à Buxerolles"
    [entry] = _updates()
    assert entry.actor == staff["mediation"] and entry.object_id == str(session.pk)
    assert entry.changes == {
        "topics": [["c2s", "carte_vitale"], ["c2s", "ame"]],
        "duration_minutes": [35, 50],
        "notes": [sessions.NOTES_NOT_JOURNALED, sessions.NOTES_NOT_JOURNALED],
    }
    assert "Buxerolles" not in str(entry.changes)  # the notes' text stays out of the journal


def test_a_correction_that_changes_nothing_writes_nothing(
    site: Site, staff: dict[str, User]
) -> None:
    session = _session(site, staff["mediation"])
    sessions.session_update(
        by=staff["mediation"],
        session=session,
        changes={
            "duration_minutes": 35,
            "topics": ["c2s", "carte_vitale"],
            "notes": " Hébergée chez sa sœur ",
        },
    )
    assert _updates() == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"topics": []}, "topics", "Cochez au moins un sujet."),
        ({"topics": ["c2s", "cmu_c"]}, "topics", "Sujet inconnu : cmu_c."),
        ({"duration_minutes": 0}, "duration_minutes", "entre 1 et 480 minutes"),
        ({"actions": ["appel_organisme"]}, "consent_on", "demande son accord"),
        ({"interpreting": "pro_telephone"}, "interpreter_language", "Indiquez la langue"),
        (
            {"followup_on": TODAY - datetime.timedelta(days=1)},
            "followup_on",
            "La date de suivi ne peut pas être dans le passé.",
        ),
        ({"consent_on": TODAY + datetime.timedelta(days=1)}, "consent_on", "dans le futur"),
        ({"person": None}, "person", "ne peut pas être modifié après la saisie"),
        ({"held_on": TODAY}, "held_on", "ne peut pas être modifié après la saisie"),
    ],
)
def test_bad_correction_is_refused_in_french_and_nothing_changes(
    site: Site,
    staff: dict[str, User],
    changes: dict[str, Any],
    field: str,
    message: str,
) -> None:
    session = _session(site, staff["mediation"])
    before = _state(session)
    audits = AuditEntry.objects.count()
    with pytest.raises(OutreachError) as caught:
        sessions.session_update(
            by=staff["mediation"],
            session=session,
            # A valid change alongside: it must not be saved either.
            changes={"duration_minutes": 45, **changes},
        )
    assert message in " ".join(caught.value.errors[field])
    assert _state(session) == before
    assert AuditEntry.objects.count() == audits


def test_file_must_be_an_open_file_of_the_same_person(site: Site, staff: dict[str, User]) -> None:
    session = _session(site, staff["mediation"])
    elsewhere = FileFactory.create(mediator=staff["mediation"])
    with pytest.raises(OutreachError) as caught:
        sessions.session_update(by=staff["mediation"], session=session, changes={"file": elsewhere})
    assert caught.value.errors["file"] == ["Ce dossier concerne une autre personne."]
    closed = FileFactory.create(
        person=session.person, mediator=staff["mediation"], status=FileStatus.ABANDONED
    )
    with pytest.raises(OutreachError) as caught:
        sessions.session_update(by=staff["mediation"], session=session, changes={"file": closed})
    assert caught.value.errors["file"] == ["Ce dossier est clos."]
    own = FileFactory.create(person=session.person, mediator=staff["mediation"])
    sessions.session_update(by=staff["mediation"], session=session, changes={"file": own})
    session.refresh_from_db()
    assert session.file == own
    assert _updates()[-1].changes == {"file": [None, own.pk]}


def test_an_old_session_stays_correctable(site: Site, staff: dict[str, User]) -> None:
    """A follow-up date now past, a file closed since and a topic no longer offered do not
    block a correction of something else; they are kept as they are."""
    closed = FileFactory.create(mediator=staff["mediation"], status=FileStatus.ABANDONED)
    session = _session(
        site,
        staff["mediation"],
        days_ago=400,
        person=closed.person,
        file=closed,
        topics=["cmu_c"],
        followup_on=TODAY - datetime.timedelta(days=380),
    )
    sessions.session_update(
        by=staff["mediation"],
        session=session,
        changes={"duration_minutes": 25, "topics": ["cmu_c", "c2s"]},
    )
    session.refresh_from_db()
    assert session.duration_minutes == 25 and session.topics == ["cmu_c", "c2s"]
    assert session.file == closed and session.followup_on == TODAY - datetime.timedelta(days=380)


def test_a_followup_already_done_keeps_its_date(site: Site, staff: dict[str, User]) -> None:
    session = _session(
        site,
        staff["mediation"],
        followup_on=TODAY,
        followup_done_at=timezone.now(),
    )
    with pytest.raises(OutreachError) as caught:
        sessions.session_update(
            by=staff["mediation"],
            session=session,
            changes={"followup_on": TODAY + datetime.timedelta(days=7)},
        )
    assert caught.value.errors["followup_on"] == [
        "Ce suivi est déjà fait : sa date ne peut plus être changée."
    ]


def test_only_the_author_may_correct(site: Site, staff: dict[str, User]) -> None:
    session = _session(site, staff["mediation"])
    colleague = make_staff("mediation", centre=site.centre, sites=[site])
    before = _state(session)
    for user in (colleague, staff["direction"], staff["accueil"]):
        # Forbidden (403 in the API) even with a field that cannot be corrected: the rule on
        # who may correct comes first, in the service, whatever the door.
        for changes in ({"duration_minutes": 60}, {"held_on": session.held_on}):
            with pytest.raises(Forbidden) as caught:
                sessions.session_update(by=user, session=session, changes=changes)
            assert caught.value.errors[""] == [sessions.SESSION_EDIT_REFUSED]
    assert _state(session) == before and _updates() == []


def test_pending_referrals_follow_the_corrected_interpreting_language(
    site: Site, staff: dict[str, User]
) -> None:
    session = _session(
        site, staff["mediation"], interpreting="pro_telephone", interpreter_language="ps"
    )
    pending = ReferralFactory.create(
        person=session.person, session=session, site=site, interpreter_language="ps"
    )
    booked = ReferralFactory.create(
        person=session.person,
        session=session,
        site=site,
        interpreter_language="ps",
        status=ReferralStatus.BOOKED,
    )
    sessions.session_update(
        by=staff["mediation"], session=session, changes={"interpreter_language": "prs"}
    )
    pending.refresh_from_db()
    booked.refresh_from_db()
    assert pending.interpreter_language == "prs"
    assert booked.interpreter_language == "ps"  # the appointment was booked with it
    entry = AuditEntry.objects.get(action="outreach.referral.update")
    assert entry.object_id == str(pending.pk)
    assert entry.changes == {"interpreter_language": ["ps", "prs"]}
    # No interpreter any more: the language goes with it, on the session and the referral.
    sessions.session_update(
        by=staff["mediation"], session=session, changes={"interpreting": "aucun"}
    )
    session.refresh_from_db()
    pending.refresh_from_db()
    assert session.interpreter_language == "" and pending.interpreter_language == ""
    assert _updates()[-1].changes == {
        "interpreting": ["pro_telephone", "aucun"],
        "interpreter_language": ["prs", ""],
    }
    assert Referral.objects.get(pk=booked.pk).interpreter_language == "ps"


def test_edit_form_offers_exactly_the_editable_fields(site: Site, staff: dict[str, User]) -> None:
    session = _session(site, staff["mediation"])
    assert set(SessionEditForm(session=session).fields) == set(sessions.SESSION_EDITABLE_FIELDS)


# --- Page -----------------------------------------------------------------------------------


def _post(session: RightsSession, **extra: Any) -> dict[str, Any]:
    """The edit form as the browser sends it back unchanged, then `extra`."""
    data: dict[str, Any] = {
        "first_contact": "1" if session.first_contact else "0",
        "topics": list(session.topics),
        "actions": list(session.actions),
        "interpreting": session.interpreting,
        "interpreter_language": session.interpreter_language,
        "outcome": session.outcome,
        "duration_minutes": str(session.duration_minutes),
        "started_at": session.started_at.strftime("%H:%M") if session.started_at else "",
        "followup_on": session.followup_on.isoformat() if session.followup_on else "",
        "situation": session.situation,
        "file": session.file_id or "",
        "consent_on": session.consent_on.isoformat() if session.consent_on else "",
        "consent_scope": session.consent_scope,
        "notes": session.notes,
    }
    data.update(extra)
    return data


def test_author_corrects_a_session_from_its_page(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    session = _session(site, staff["mediation"], situation="sans_medecin_traitant")
    client = client_for("mediation")
    detail = client.get(reverse("outreach_session", args=[session.pk])).content.decode()
    edit_url = reverse("outreach_session_edit", args=[session.pk])
    assert f'href="{edit_url}"' in detail and "Modifier l'entretien" in detail

    page = client.get(edit_url)
    assert page.status_code == 200
    form = page.context["form"]
    assert form["duration_minutes"].value() == 35
    assert form["topics"].value() == ["c2s", "carte_vitale"]
    assert form["situation"].value() == "sans_medecin_traitant"
    body = page.content.decode()
    assert 'value="35"' in body and "Hébergée chez sa sœur" in body
    assert 'value="carte_vitale" id="id_topics_5" checked' in body
    assert 'value="ame" id="id_topics_2">' in body  # not on the session: unchecked
    assert "person_mode" not in body and "referral_target" not in body

    followup = TODAY + datetime.timedelta(days=14)
    response = client.post(
        edit_url,
        _post(
            session,
            topics=["c2s", "medecin_traitant"],
            followup_on=followup.isoformat(),
            first_contact="0",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("outreach_session", args=[session.pk])
    session.refresh_from_db()
    assert session.topics == ["c2s", "medecin_traitant"]
    assert session.followup_on == followup and session.first_contact is False
    [entry] = _updates()
    assert entry.changes == {
        "first_contact": [True, False],
        "topics": [["c2s", "carte_vitale"], ["c2s", "medecin_traitant"]],
        "followup_on": [None, followup.isoformat()],
    }


def test_invalid_correction_shows_the_french_message_and_changes_nothing(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    session = _session(site, staff["mediation"])
    before = _state(session)
    client = client_for("mediation")
    url = reverse("outreach_session_edit", args=[session.pk])
    past = (TODAY - datetime.timedelta(days=1)).isoformat()
    response = client.post(url, _post(session, followup_on=past, duration_minutes="50"))
    assert response.status_code == 200
    assert "La date de suivi ne peut pas être dans le passé." in response.content.decode()
    response = client.post(url, _post(session, actions=["appel_organisme"]))
    assert "demande son accord : indiquez la date de l&#x27;accord." in response.content.decode()
    response = client.post(url, _post(session, topics=[]))
    assert "Ce champ est obligatoire." in response.content.decode()
    assert _state(session) == before and _updates() == []


def test_only_the_author_sees_the_button_and_reaches_the_page(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    session = _session(site, staff["mediation"])
    edit_url = reverse("outreach_session_edit", args=[session.pk])
    detail_url = reverse("outreach_session", args=[session.pk])
    colleague = Client()
    colleague.force_login(
        make_staff("mediation", centre=site.centre, sites=[site]),
        backend="django.contrib.auth.backends.ModelBackend",
    )
    for client in (colleague, client_for("direction")):
        assert edit_url not in client.get(detail_url).content.decode()
        assert client.get(edit_url).status_code == 403
        assert client.post(edit_url, _post(session, duration_minutes="90")).status_code == 403
    session.refresh_from_db()
    assert session.duration_minutes == 35 and _updates() == []


# --- API ------------------------------------------------------------------------------------


def _api_url(session: RightsSession) -> str:
    return reverse("api:outreach-session-detail", args=[session.pk])


def test_api_patch_corrects_a_session(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    session = _session(site, staff["mediation"])
    response = client_for("mediation").patch(
        _api_url(session),
        {"duration_minutes": 55, "actions": ["information", "dossier_rempli"]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"] == session.pk and body["duration_minutes"] == 55
    assert body["topics"] == ["c2s", "carte_vitale"]  # not sent: unchanged
    session.refresh_from_db()
    assert session.actions == ["information", "dossier_rempli"]
    [entry] = _updates()
    assert entry.changes == {
        "duration_minutes": [35, 55],
        "actions": [["information"], ["information", "dossier_rempli"]],
    }


def test_api_bad_patch_is_a_french_400_and_changes_nothing(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    session = _session(site, staff["mediation"])
    before = _state(session)
    client = client_for("mediation")
    cases: list[tuple[dict[str, Any], dict[str, list[str]]]] = [
        (
            {"topics": ["c2s", "loterie"], "duration_minutes": 40},
            {"topics": ["Sujet inconnu : loterie."]},
        ),
        (
            {"followup_on": (TODAY - datetime.timedelta(days=2)).isoformat()},
            {"followup_on": ["La date de suivi ne peut pas être dans le passé."]},
        ),
        (
            {"held_on": TODAY.isoformat(), "person": 1, "duration_minutes": 40},
            {
                "held_on": ["Ce champ ne peut pas être modifié après la saisie."],
                "person": ["Ce champ ne peut pas être modifié après la saisie."],
            },
        ),
    ]
    for payload, errors in cases:
        response = client.patch(_api_url(session), payload, content_type="application/json")
        assert response.status_code == 400
        assert response.json() == errors
    assert _state(session) == before and _updates() == []


@pytest.mark.parametrize("role", [None, *ROLES])
def test_api_session_detail_roles(
    role: str | None, client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    """GET: mediation and direction. PATCH: the author only (the `mediation` account here)."""
    session = _session(site, staff["mediation"])
    client = client_for(role)
    got = client.get(_api_url(session))
    patched = client.patch(
        _api_url(session), {"duration_minutes": 90}, content_type="application/json"
    )
    session.refresh_from_db()
    if role is None:
        assert got.status_code in (401, 403) and patched.status_code in (401, 403)
    else:
        assert got.status_code == (200 if role in ("mediation", "direction") else 403)
        assert patched.status_code == (200 if role == "mediation" else 403)
    assert session.duration_minutes == (90 if role == "mediation" else 35)


def test_api_another_mediator_cannot_patch(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    session = _session(site, staff["mediation"])
    colleague = Client()
    colleague.force_login(
        make_staff("mediation", centre=site.centre, sites=[site]),
        backend="django.contrib.auth.backends.ModelBackend",
    )
    assert colleague.get(_api_url(session)).status_code == 200
    response = colleague.patch(
        _api_url(session), {"duration_minutes": 90}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Seul·e la ou le médiateur·rice qui a saisi cet entretien peut le corriger.",
        "kind": "forbidden",
        "field": "",
    }
    session.refresh_from_db()
    assert session.duration_minutes == 35


def test_openapi_documents_the_session_correction(client_for: ClientFor) -> None:
    schema = client_for("direction").get("/api/schema/", {"format": "json"}).json()
    operations = schema["paths"]["/api/v1/outreach/sessions/{id}/"]
    assert set(operations) >= {"get", "patch"} and "put" not in operations
    patch = operations["patch"]
    assert patch["summary"] == "Corriger un entretien (la ou le médiateur·rice qui l'a saisi)"
    assert set(patch["responses"]) == {"200", "400", "401", "403", "404"}
    ref = patch["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    fields = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]
    assert set(fields) == set(sessions.SESSION_EDITABLE_FIELDS)
