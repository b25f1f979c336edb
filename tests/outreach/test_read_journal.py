"""Reads of data about the people met leave a journal entry, the same through the page and
through the API (`outreach.selectors`: one selector per read, called by both doors)."""

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
from outreach import selectors
from outreach.models import Permanence, ReferralTarget, RightsSession
from tests.outreach.factories import (
    FileFactory,
    PatientFactory,
    PermanenceFactory,
    PersonFactory,
    ReferralFactory,
    SessionFactory,
)

pytestmark = pytest.mark.django_db

ClientFor = Callable[[str | None], Client]
Entry = tuple[str, str, str, list[str]]


def _reads(since: int, user: User) -> list[Entry]:
    """The outreach journal entries written by `user` after entry `since` (not the logins
    of the test clients): action, object type, object id (a detail) and the ids shown (a
    list)."""
    entries = AuditEntry.objects.filter(pk__gt=since, actor=user, action__startswith="outreach.")
    return [
        (e.action, e.object_type, e.object_id, e.extra.get("ids", []))
        for e in entries.order_by("pk")
    ]


def _last() -> int:
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _through(client: Client, url: str, user: User, **params: Any) -> list[Entry]:
    since = _last()
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    return _reads(since, user)


@pytest.fixture
def permanence(site: Site, staff: dict[str, User]) -> Permanence:
    return PermanenceFactory(place__site=site, mediator=staff["mediation"])


def _sessions_at(permanence: Permanence, mediator: User, n: int) -> list[RightsSession]:
    # No start time: the permanence page (newest start first) and the API (newest day
    # first) then both list them newest entered first.
    return [
        SessionFactory(
            permanence=permanence,
            place=permanence.place,
            site=permanence.place.site,
            mediator=mediator,
            held_on=timezone.localtime(permanence.start).date(),
            started_at=None,
        )
        for _ in range(n)
    ]


@pytest.mark.parametrize("role", ["mediation", "direction"])
def test_session_detail_page_and_api_leave_the_same_entry(
    client_for: ClientFor, staff: dict[str, User], permanence: Permanence, role: str
) -> None:
    [session] = _sessions_at(permanence, staff["mediation"], 1)
    client, user = client_for(role), staff[role]
    expected = [("outreach.session.read", "outreach.rightssession", str(session.pk), [])]
    page = _through(client, reverse("outreach_session", args=[session.pk]), user)
    api = _through(client, reverse("api:outreach-session-detail", args=[session.pk]), user)
    assert page == api == expected


def test_session_list_page_and_api_leave_the_same_entry(
    client_for: ClientFor, staff: dict[str, User], permanence: Permanence
) -> None:
    held = _sessions_at(permanence, staff["mediation"], 3)
    SessionFactory(held_on=timezone.localdate() - datetime.timedelta(days=40))  # not shown
    client, user = client_for("direction"), staff["direction"]
    day = timezone.localtime(permanence.start).date().isoformat()
    ids = [str(s.pk) for s in reversed(held)]
    expected = [("outreach.session.list", "outreach.rightssession", "", ids)]
    page = _through(client, reverse("outreach_permanence", args=[permanence.pk]), user)
    api = _through(client, reverse("api:outreach-sessions"), user, **{"from": day, "to": day})
    assert page == api == expected


def test_session_api_list_journals_the_page_shown_only(
    client_for: ClientFor, staff: dict[str, User], permanence: Permanence
) -> None:
    held = _sessions_at(permanence, staff["mediation"], 52)  # PAGE_SIZE is 50
    user = staff["mediation"]
    [(_, _, _, first)] = _through(client_for("mediation"), reverse("api:outreach-sessions"), user)
    [(_, _, _, second)] = _through(
        client_for("mediation"), reverse("api:outreach-sessions"), user, page=2
    )
    assert len(first) == 50 and len(second) == 2
    assert sorted(first + second) == sorted(str(s.pk) for s in held)


def test_referral_queue_page_and_api_leave_the_same_entry(
    client_for: ClientFor, staff: dict[str, User], site: Site
) -> None:
    to_centre = ReferralFactory(site=site, person=PersonFactory(patient=PatientFactory()))
    # A referral to a partner is not reception's: neither door shows nor journals it.
    ReferralFactory(site=site, target=ReferralTarget.PASS, partner_name="PASS du CHU")
    client, user = client_for("accueil"), staff["accueil"]
    expected = [("outreach.referral.list", "outreach.referral", "", [str(to_centre.pk)])]
    page = _through(client, reverse("outreach_referral_queue"), user)
    api = _through(client, reverse("api:outreach-referrals"), user, status="attente")
    assert page == api == expected


def test_person_page_is_journaled_for_an_anonymous_person_too(
    client_for: ClientFor, staff: dict[str, User], permanence: Permanence
) -> None:
    [session] = _sessions_at(permanence, staff["mediation"], 1)
    assert session.person.patient_id is None
    url = reverse("outreach_person", args=[session.person_id])
    assert _through(client_for("direction"), url, staff["direction"]) == [
        ("outreach.person.read", "outreach.person", str(session.person_id), [])
    ]


def test_followups_page_journals_the_sessions_and_files_shown(
    client_for: ClientFor, staff: dict[str, User], site: Site
) -> None:
    mediator = staff["mediation"]
    due = SessionFactory(place__site=site, mediator=mediator, followup_on=timezone.localdate())
    SessionFactory(place__site=site, followup_on=timezone.localdate())  # someone else's
    file = FileFactory(mediator=mediator)
    assert _through(client_for("mediation"), reverse("outreach_followups"), mediator) == [
        ("outreach.session.list", "outreach.rightssession", "", [str(due.pk)]),
        ("outreach.file.list", "outreach.rightsfile", "", [str(file.pk)]),
    ]


def test_home_panel_journals_the_worklist_shown(
    client_for: ClientFor, staff: dict[str, User]
) -> None:
    without_rights = PatientFactory()  # no coverage at all: on the worklist
    entries = _through(client_for("mediation"), reverse("outreach_home_panel"), staff["mediation"])
    # Nothing due and no file open: those lists are journaled empty (constant queries).
    assert entries == [
        ("outreach.session.list", "outreach.rightssession", "", []),
        ("outreach.file.list", "outreach.rightsfile", "", []),
        ("outreach.rights_worklist.list", "patients.patient", "", [str(without_rights.pk)]),
    ]


def test_missing_session_is_a_json_404_and_journals_nothing(
    client_for: ClientFor, staff: dict[str, User]
) -> None:
    since = _last()
    response = client_for("mediation").get(reverse("api:outreach-session-detail", args=[999_999]))
    assert response.status_code == 404
    assert response.json()["detail"] == "Entretien introuvable."
    assert client_for("mediation").get(reverse("outreach_session", args=[999_999])).status_code == (
        404
    )
    assert _reads(since, staff["mediation"]) == []


@pytest.mark.parametrize("role", ["accueil", "soignant", "facturation"])
def test_selectors_refuse_roles_without_outreach_read(
    staff: dict[str, User], permanence: Permanence, role: str
) -> None:
    [session] = _sessions_at(permanence, staff["mediation"], 1)
    since = _last()
    with pytest.raises(Forbidden):
        selectors.session_detail(by=staff[role], pk=session.pk)
    with pytest.raises(Forbidden):
        selectors.sessions_for(by=staff[role])
    with pytest.raises(Forbidden):
        selectors.person_detail(by=staff[role], pk=session.person_id)
    assert _reads(since, staff[role]) == []


@pytest.mark.parametrize("role", ["mediation", "accueil"])
def test_patient_search_partial_journals_the_patients_offered(
    client_for: ClientFor, staff: dict[str, User], role: str
) -> None:
    found = PatientFactory(last_name="Zerbinati")
    PatientFactory(last_name="Martin")  # not matching: not shown, not journaled
    url = reverse("outreach_patient_search")
    assert _through(client_for(role), url, staff[role], q="zerbinati") == [
        ("outreach.patient_search.list", "patients.patient", "", [str(found.pk)])
    ]
    # One character searches nothing and journals nothing.
    assert _through(client_for(role), url, staff[role], q="z") == []


def test_session_form_for_a_known_person_journals_the_person(
    client_for: ClientFor, staff: dict[str, User]
) -> None:
    person = PersonFactory(patient=PatientFactory())
    url = reverse("outreach_session_new")
    entries = _through(client_for("mediation"), url, staff["mediation"], personne=person.pk)
    assert entries == [("outreach.person.read", "outreach.person", str(person.pk), [])]
    assert client_for("mediation").get(url, {"personne": 999_999}).status_code == 404


def test_referral_booking_page_journals_the_referral(
    client_for: ClientFor, staff: dict[str, User], site: Site
) -> None:
    referral = ReferralFactory(site=site, person=PersonFactory(patient=PatientFactory()))
    to_partner = ReferralFactory(site=site, target=ReferralTarget.PASS)
    client, user = client_for("accueil"), staff["accueil"]
    entries = _through(client, reverse("outreach_referral_book", args=[referral.pk]), user)
    assert entries == [("outreach.referral.read", "outreach.referral", str(referral.pk), [])]
    since = _last()
    response = client.get(reverse("outreach_referral_book", args=[to_partner.pk]))
    assert response.status_code == 404 and _reads(since, user) == []


@pytest.mark.parametrize(("role", "finds"), [("mediation", False), ("accueil", True)])
def test_patient_search_partial_finds_a_nir_only_for_roles_that_see_nirs(
    client_for: ClientFor, staff: dict[str, User], role: str, finds: bool
) -> None:
    """A mediator may not see NIRs: typing one must not tell them whose it is."""
    patient = PatientFactory(last_name="Zerbinati", nir="185067511212386")
    url = reverse("outreach_patient_search")
    entries = _through(client_for(role), url, staff[role], q="1850675112")
    shown = [str(patient.pk)] if finds else []
    assert entries == [("outreach.patient_search.list", "patients.patient", "", shown)]
