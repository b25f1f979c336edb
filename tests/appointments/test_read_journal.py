"""Reads that name patients are journaled by the selector both doors call, so the page and
the API leave the same entry (action, object type, ids): the agenda's day and the API's list
(`appointment.list`), an appointment's page and the API's detail (`appointment.read`). The
day sheet PDF, the week view, the consultations list and the list to fill in are journaled
too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from appointments.models import Appointment
from centre.models import AuditEntry, Site, User
from tests.appointments.factories import appointment, paris, practitioner

pytestmark = pytest.mark.django_db


def _entries(action: str) -> list[tuple[str, str, str, Any]]:
    return [
        (e.action, e.object_type, e.object_id, (e.extra or {}).get("ids"))
        for e in AuditEntry.objects.filter(action=action).order_by("pk")
    ]


@pytest.fixture
def day(site: Site, staff: dict[str, User]) -> list[Appointment]:
    doctor = practitioner(site=site)
    other = practitioner(site=site)
    return [
        appointment(practitioner=doctor, site=site, start=paris(2030, 3, 4, 9), booked_by=u)
        for u in (staff["accueil"],)
    ] + [
        appointment(practitioner=other, site=site, start=paris(2030, 3, 4, 10), booked_by=u)
        for u in (staff["accueil"],)
    ]


def test_the_day_on_the_page_and_in_the_api_leave_the_same_entry(
    day: list[Appointment], site: Site, client_for: Callable[[str | None], Client]
) -> None:
    client = client_for("accueil")
    page = client.get(reverse("appointments:day"), {"site": site.pk, "date": "2030-03-04"})
    assert page.status_code == 200
    api = client.get(reverse("api:appointments"), {"site": site.pk, "day": "2030-03-04"})
    assert api.status_code == 200
    assert [row["id"] for row in api.json()["results"]] == [a.pk for a in day]
    by_page, by_api = _entries("appointment.list")
    expected = ("appointment.list", "appointments.appointment", "", [str(a.pk) for a in day])
    assert by_page == by_api == expected


def test_an_appointment_on_the_page_and_in_the_api_leave_the_same_entry(
    day: list[Appointment], client_for: Callable[[str | None], Client]
) -> None:
    client = client_for("accueil")
    target = day[0]
    assert client.get(reverse("appointments:detail", args=[target.pk])).status_code == 200
    assert client.get(reverse("api:appointment-detail", args=[target.pk])).status_code == 200
    by_page, by_api = _entries("appointment.read")
    assert (
        by_page == by_api == ("appointment.read", "appointments.appointment", str(target.pk), None)
    )


def test_a_refused_read_leaves_no_entry(
    day: list[Appointment], client_for: Callable[[str | None], Client]
) -> None:
    # A practitioner reads only their own appointments: someone else's is a 404, unjournaled.
    client = client_for("soignant")
    assert client.get(reverse("api:appointment-detail", args=[day[0].pk])).status_code == 404
    assert client.get(reverse("appointments:detail", args=[day[0].pk])).status_code == 404
    assert _entries("appointment.read") == []


def test_the_day_sheet_names_the_appointments_printed(
    day: list[Appointment], site: Site, client_for: Callable[[str | None], Client]
) -> None:
    response = client_for("accueil").get(
        reverse("appointments:day_sheet"), {"site": site.pk, "date": "2030-03-04"}
    )
    assert response["Content-Type"] == "application/pdf"
    entry = AuditEntry.objects.get(action="appointment.day_sheet")
    assert sorted(entry.extra["ids"]) == sorted(str(a.pk) for a in day)
    assert (entry.extra["site"], entry.extra["day"]) == (site.pk, "2030-03-04")


def test_the_week_view_and_the_lists_are_journaled(
    day: list[Appointment], site: Site, client_for: Callable[[str | None], Client]
) -> None:
    client = client_for("direction")
    target = day[0]
    week = client.get(
        reverse("appointments:week", args=[target.practitioner_id]), {"date": "2030-03-04"}
    )
    assert week.status_code == 200
    consultations = client.get(
        reverse("appointments:consultations"),
        {"start": "2030-03-04", "end": "2030-03-04", "status": "booked"},
    )
    assert consultations.status_code == 200
    ids = [e[3] for e in _entries("appointment.list")]
    assert ids == [[str(target.pk)], [str(a.pk) for a in day]]


def test_the_booking_patient_picker_journals_the_patients_it_offers(
    client_for: Callable[[str | None], Client],
) -> None:
    from tests.appointments.factories import PatientFactory

    found = PatientFactory(last_name="Zerbinati")
    PatientFactory(last_name="Martin")  # not offered, not journaled
    url = reverse("appointments:patient_picker")
    response = client_for("accueil").get(url, {"q": "zerbinati"})
    assert response.status_code == 200
    assert f'value="{found.pk}"' in response.content.decode()
    assert _entries("patient.search") == [
        ("patient.search", "patients.patient", "", [str(found.pk)])
    ]
    # One character searches nothing and journals nothing more.
    client_for("accueil").get(url, {"q": "z"})
    assert len(_entries("patient.search")) == 1
