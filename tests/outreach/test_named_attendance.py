"""Named attendance of collective actions: patients of the centre or people met by the
mediation named as present (the rest a headcount), by the organiser only, never more names
than the headcount; the list and the sign-in sheet are journaled reads."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from centre.models import AuditEntry, Site, User
from centre.refusals import Forbidden
from outreach.models import CollectiveAction
from outreach.services import collective_actions
from outreach.services.base import OutreachError
from tests.outreach.factories import (
    CollectiveActionFactory,
    PatientFactory,
    PersonFactory,
    StaffUserFactory,
)

ClientFor = Callable[[str | None], Client]

pytestmark = pytest.mark.django_db


@pytest.fixture
def action(site: Site, staff: dict[str, User]) -> CollectiveAction:
    return CollectiveActionFactory(
        place__site=site, organiser=staff["mediation"], participants_count=2, title="Café santé"
    )


def test_organiser_names_a_patient_and_a_person_met(
    action: CollectiveAction, staff: dict[str, User]
) -> None:
    mediator = staff["mediation"]
    patient = PatientFactory(last_name="Diallo", first_name="Aminata")
    person = PersonFactory(alias="Madame au foulard vert")
    collective_actions.collective_action_attendee_add(by=mediator, action=action, patient=patient)
    collective_actions.collective_action_attendee_add(by=mediator, action=action, person=person)
    assert list(action.attendees.all()) == [patient]
    assert list(action.attendee_persons.all()) == [person]
    entries = AuditEntry.objects.filter(
        action="outreach.collective_action.attendee_add", object_id=str(action.pk)
    ).order_by("pk")
    assert [e.changes for e in entries] == [
        {"patient": [None, patient.pk]},
        {"person": [None, person.pk]},
    ]
    # Two participants declared, two named: a third name needs a larger headcount first.
    with pytest.raises(OutreachError) as refused:
        collective_actions.collective_action_attendee_add(
            by=mediator, action=action, patient=PatientFactory()
        )
    assert refused.value.errors == {"attendee": [collective_actions.ATTENDEE_MORE_THAN_COUNT]}
    assert action.attendees.count() == 1
    # The headcount cannot fall under the names either.
    with pytest.raises(OutreachError):
        collective_actions.collective_action_update(
            by=mediator, action=action, changes={"participants_count": 1}
        )
    collective_actions.collective_action_attendee_remove(by=mediator, action=action, person=person)
    assert action.attendee_persons.count() == 0
    assert AuditEntry.objects.filter(
        action="outreach.collective_action.attendee_remove", changes={"person": [person.pk, None]}
    ).exists()


def test_a_person_linked_to_a_record_is_named_as_the_patient(
    action: CollectiveAction, staff: dict[str, User]
) -> None:
    patient = PatientFactory()
    person = PersonFactory(patient=patient)
    collective_actions.collective_action_attendee_add(
        by=staff["mediation"], action=action, person=person
    )
    assert list(action.attendees.all()) == [patient]
    assert action.attendee_persons.count() == 0
    with pytest.raises(OutreachError) as twice:
        collective_actions.collective_action_attendee_add(
            by=staff["mediation"], action=action, patient=patient
        )
    assert twice.value.kind == "conflict"


def test_only_the_organiser_names_people(action: CollectiveAction, staff: dict[str, User]) -> None:
    colleague = StaffUserFactory()
    colleague.groups.add(*staff["mediation"].groups.all())
    for other in (colleague, staff["direction"]):
        with pytest.raises(Forbidden):
            collective_actions.collective_action_attendee_add(
                by=other, action=action, patient=PatientFactory()
            )
    assert action.attendees.count() == 0
    assert not AuditEntry.objects.filter(action="outreach.collective_action.attendee_add").exists()


def test_page_adds_removes_and_journals_the_read(
    client_for: ClientFor, action: CollectiveAction
) -> None:
    patient = PatientFactory(last_name="Belkacem", first_name="Émilie")
    client = client_for("mediation")
    url = reverse("outreach_collective_action_attendance", args=[action.pk])
    response = client.post(url, {"patient": patient.pk}, follow=True)
    assert response.status_code == 200
    assert "Personne inscrite comme présente." in [str(m) for m in response.context["messages"]]
    assert "BELKACEM Émilie" in response.content.decode()
    read = AuditEntry.objects.filter(action="outreach.collective_action.attendance").latest("pk")
    assert read.extra["ids"] == [str(patient.pk)]
    assert read.extra["collective_action"] == action.pk

    sheet = client_for("direction").get(
        reverse("outreach_collective_action_sign_in", args=[action.pk])
    )
    html = sheet.content.decode()
    assert "Feuille d'émargement" in html and "BELKACEM Émilie" in html
    # One named, one more declared: at least ten empty lines to sign.
    assert html.count('class="blank"') == 10

    refused = client.post(url, {"patient": PatientFactory().pk, "remove": "1"}, follow=True)
    assert "Cette personne n'est pas inscrite à cette action." in [
        str(m) for m in refused.context["messages"]
    ]
    client.post(url, {"patient": patient.pk, "remove": "1"})
    assert action.attendees.count() == 0
    # The direction reads the list but cannot change it.
    assert client_for("direction").post(url, {"patient": patient.pk}).status_code == 403


def test_api_names_and_lists_attendees(client_for: ClientFor, action: CollectiveAction) -> None:
    patient = PatientFactory()
    client = client_for("mediation")
    base = f"/api/v1/outreach/collective-actions/{action.pk}"
    added = client.post(
        f"{base}/attendees/", {"patient": patient.pk}, content_type="application/json"
    )
    assert added.status_code == 200, added.json()
    assert added.json()["attendees"] == [patient.pk]
    again = client.post(
        f"{base}/attendees/", {"patient": patient.pk}, content_type="application/json"
    )
    assert again.status_code == 409
    assert again.json()["detail"] == collective_actions.ATTENDEE_ALREADY
    assert again.json()["field"] == "attendee"
    neither = client.post(f"{base}/attendees/", {}, content_type="application/json")
    assert neither.status_code == 400
    assert client_for("direction").get(f"{base}/").json()["attendees"] == [patient.pk]
    removed = client.post(
        f"{base}/attendees/remove/", {"patient": patient.pk}, content_type="application/json"
    )
    assert removed.status_code == 200 and removed.json()["attendees"] == []
