"""The agenda's time grid (day and week): placement at 5-minute rows, free time in place, the
chosen motif's slots, absences and holidays shaded, a constant number of queries; booking in
place (panel) and moving from the grid (the moves service's rules, French refusals)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from appointments import selectors
from appointments.models import Absence, Appointment, Status
from centre.models import AuditEntry, Site, User
from tests.appointments.factories import (
    ConsultationTypeFactory,
    PatientFactory,
    appointment,
    paris,
    practitioner,
    weekly,
)

pytestmark = pytest.mark.django_db

DAY = datetime.date(2030, 3, 4)  # a Monday
NOW = paris(2030, 3, 1, 8)  # the Friday before: everything on DAY is in the future


def _blocks(column: Any, kind: str) -> list[Any]:
    return [b for b in column.blocks if b.kind == kind]


def test_day_grid_places_appointments_free_time_and_absences(
    site: Site, staff: dict[str, User]
) -> None:
    doctor = practitioner(site=site, first_name="Claire", last_name="Moreau")
    weekly(doctor, site, 0, "09:00", "12:00")
    nurse = practitioner(site=site, first_name="Inès", last_name="Bakri", profession="infirmier")
    weekly(nurse, site, 0, "08:30", "10:00")
    a = appointment(
        practitioner=doctor, site=site, start=paris(2030, 3, 4, 9, 20), booked_by=staff["accueil"]
    )
    Absence.objects.create(
        practitioner=doctor,
        start=paris(2030, 3, 4, 11),
        end=paris(2030, 3, 4, 12),
        reason="formation",
        note="DPC",
    )
    grid = selectors.day_grid(by=staff["accueil"], site=site, day=DAY, now=NOW)
    # Rows from 08:00 (the nurse's 08:30 rounded down to the hour) to 12:00: 48 rows of 5 min.
    assert (grid.first_minute, grid.rows) == (8 * 60, 48)
    by_name = {str(c.practitioner): c for c in grid.columns}
    column = by_name["Claire Moreau"]
    (block,) = _blocks(column, "appointment")
    assert block.obj == a
    assert (block.row, block.span) == (17, 4)  # 09:20 is the 17th row from 08:00; 20 min
    # Free time in place, in quarter hours: 9:00–9:15, 9:15–9:20, 9:40–9:45, 9:45–10:00 …
    # up to the absence at 11:00.
    free = [
        (b.local_start.strftime("%H:%M"), b.local_end.strftime("%H:%M"))
        for b in _blocks(column, "free")
    ]
    assert free == [
        ("09:00", "09:15"),
        ("09:15", "09:20"),
        ("09:40", "09:45"),
        ("09:45", "10:00"),
        ("10:00", "10:15"),
        ("10:15", "10:30"),
        ("10:30", "10:45"),
        ("10:45", "11:00"),
    ]
    assert all(b.bookable and b.site_id == site.pk for b in _blocks(column, "free"))
    (absence,) = [b for b in column.background if b.kind == "absence"]
    assert absence.label == "Absence : Formation — DPC"
    assert (absence.row, absence.span) == (37, 12)
    # The journal names the site's appointments shown, as the agenda's day always did.
    entry = AuditEntry.objects.filter(action="appointment.list").latest("id")
    assert entry.extra["ids"] == [str(a.pk)]


def test_day_grid_highlights_the_motifs_bookable_slots(site: Site, staff: dict[str, User]) -> None:
    doctor = practitioner(site=site, first_name="Claire", last_name="Moreau")
    weekly(doctor, site, 0, "09:00", "10:00")
    nurse = practitioner(site=site, profession="infirmier")
    weekly(nurse, site, 0, "09:00", "10:00")
    appointment(
        practitioner=doctor, site=site, start=paris(2030, 3, 4, 9, 20), booked_by=staff["accueil"]
    )
    ctype = ConsultationTypeFactory()  # general practice, 20 minutes
    grid = selectors.day_grid(
        by=staff["accueil"], site=site, day=DAY, consultation_type=ctype, now=NOW
    )
    by_pk = {c.practitioner.pk: c for c in grid.columns}
    slots = [b.local_start.strftime("%H:%M") for b in _blocks(by_pk[doctor.pk], "slot")]
    assert slots == ["09:00", "09:40"]
    # The nurse's column shows her free time, not bookable for a doctor's motif.
    assert _blocks(by_pk[nurse.pk], "slot") == []
    assert [b.bookable for b in _blocks(by_pk[nurse.pk], "free")] == [False]


def test_a_public_holiday_is_shaded_with_its_name(site: Site, staff: dict[str, User]) -> None:
    doctor = practitioner(site=site)
    weekly(doctor, site, 0, "09:00", "12:00")
    appointment(  # forced long ago, it still shows
        practitioner=doctor, site=site, start=paris(2030, 4, 22, 10), booked_by=staff["accueil"]
    )
    easter_monday = datetime.date(2030, 4, 22)
    grid = selectors.day_grid(by=staff["accueil"], site=site, day=easter_monday, now=NOW)
    (column,) = grid.columns
    (holiday,) = [b for b in column.background if b.kind == "holiday"]
    assert holiday.label == "Lundi de Pâques"
    assert [b for b in column.background if b.kind == "open"] == []
    assert _blocks(column, "free") == []


def test_a_practitioner_busy_at_another_site_is_not_free_there(
    site: Site, staff: dict[str, User]
) -> None:
    from tests.factories import SiteFactory

    other = SiteFactory(centre=site.centre, name="Antenne")
    doctor = practitioner(site=site)
    weekly(doctor, site, 0, "09:00", "10:00")
    elsewhere = appointment(
        practitioner=doctor, site=other, start=paris(2030, 3, 4, 9), booked_by=staff["accueil"]
    )
    grid = selectors.day_grid(by=staff["accueil"], site=site, day=DAY, now=NOW)
    (column,) = grid.columns
    (busy,) = _blocks(column, "busy")
    assert busy.label == "Autre site"
    assert column.appointments == []  # not named here
    assert str(elsewhere.pk) not in AuditEntry.objects.latest("id").extra["ids"]
    assert _blocks(column, "free")[0].local_start.strftime("%H:%M") == "09:20"


def test_day_page_is_a_grid_with_constant_queries(
    site: Site,
    staff: dict[str, User],
    client_for: Callable[[str | None], Client],
    django_assert_max_num_queries: Any,
) -> None:
    client = client_for("accueil")
    url = f"{reverse('appointments:day')}?site={site.pk}&date={DAY.isoformat()}"

    def fill(practitioners: int, per_column: int) -> None:
        for _ in range(practitioners):
            p = practitioner(site=site)
            weekly(p, site, 0, "08:00", "19:00")
            for i in range(per_column):
                appointment(
                    practitioner=p,
                    site=site,
                    start=paris(2030, 3, 4, 8) + datetime.timedelta(minutes=20 * i),
                    booked_by=staff["accueil"],
                )

    fill(1, 1)
    with django_assert_max_num_queries(18):
        small = client.get(url)
    fill(9, 33)  # 10 practitioners, 298 appointments
    with django_assert_max_num_queries(18):
        big = client.get(url)
    assert len(big.context["grid"].columns) == 10
    assert big.context["grid"].appointment_count == 1 + 9 * 33
    assert small.status_code == big.status_code == 200
    html = big.text
    assert 'class="tgrid"' in html and "r-1 s-132" in html  # 08:00–19:00 = 132 rows


def test_htmx_refresh_carries_heading_date_and_grid(
    site: Site, client_for: Callable[[str | None], Client]
) -> None:
    response = client_for("accueil").get(
        reverse("appointments:day"),
        {"site": site.pk, "date": "2030-03-08"},
        HTTP_HX_REQUEST="true",
    )
    html = response.text
    assert "<html" not in html
    assert '<span id="agenda-day">vendredi 8 mars 2030</span>' in html
    assert 'value="2030-03-08"' in html  # the date field
    assert "lundi 11 mars" not in html or "→" in html


def test_week_grid_has_days_as_columns(
    site: Site,
    staff: dict[str, User],
    client_for: Callable[[str | None], Client],
    django_assert_max_num_queries: Any,
) -> None:
    doctor = staff["soignant"].profile
    weekly(doctor, site, 0, "09:00", "12:00")
    weekly(doctor, site, 2, "14:00", "17:00")
    appointment(
        practitioner=doctor, site=site, start=paris(2030, 3, 6, 14), booked_by=staff["accueil"]
    )
    grid = selectors.week_grid(by=staff["accueil"], practitioner=doctor, monday=DAY, now=NOW)
    assert [c.day.isoformat() for c in grid.columns] == [
        "2030-03-04",
        "2030-03-05",
        "2030-03-06",
        "2030-03-07",
        "2030-03-08",
    ]
    assert (grid.first_minute, grid.rows) == (9 * 60, 96)  # 09:00–17:00
    wednesday = grid.columns[2]
    (block,) = _blocks(wednesday, "appointment")
    assert (block.row, block.span) == (61, 4)
    assert _blocks(grid.columns[1], "free") == []  # nobody on Tuesday
    url = reverse("appointments:week", args=[doctor.pk]) + "?date=2030-03-04"
    client = client_for("accueil")
    client.get(url)
    # session, user, groups, the practitioner, the grid's reads (weekly and one-off plages,
    # the sites' holiday calendars, appointments, absences), the motifs of the filter, the
    # practitioners' list, the journal entry, the session save.
    with django_assert_max_num_queries(15):
        html = client.get(url).text
    assert "mercredi 6 mars" in html and "tgrid" in html


def test_book_panel_books_in_place(
    site: Site, staff: dict[str, User], client_for: Callable[[str | None], Client]
) -> None:
    doctor = practitioner(site=site, first_name="Claire", last_name="Moreau")
    weekly(doctor, site, 0, "09:00", "12:00")
    ctype = ConsultationTypeFactory()
    patient = PatientFactory(last_name="Benhamou", first_name="Yasmina")
    client = client_for("accueil")
    start = paris(2030, 3, 4, 9, 30).isoformat()
    panel = client.get(
        reverse("appointments:book_panel"),
        {"practitioner": doctor.pk, "site": site.pk, "start": start, "patient": patient.pk},
    ).text
    assert "lundi 4 mars 2030 à 09:30" in panel and "Claire Moreau" in panel
    assert "BENHAMOU Yasmina" in panel  # from the patient record's link
    data = {
        "patient": patient.pk,
        "consultation_type": ctype.pk,
        "practitioner": doctor.pk,
        "site": site.pk,
        "date": "2030-03-04",
        "time": "09:30",
        "interpreter_language": "pachto",
        "note": "",
    }
    done = client.post(reverse("appointments:book_panel"), data, HTTP_HX_REQUEST="true")
    assert "Rendez-vous pris pour" in done.text
    booked = Appointment.objects.get()
    assert booked.start == paris(2030, 3, 4, 9, 30)
    assert f'data-booked="{booked.pk}"' in done.text
    # Same slot again: the booking service refuses, in French, on the panel.
    again = client.post(
        reverse("appointments:book_panel"),
        {**data, "patient": PatientFactory().pk},
        HTTP_HX_REQUEST="true",
    ).text
    assert "Ce créneau" in again
    assert Appointment.objects.count() == 1


def test_move_to_follows_the_rules_and_answers_in_french(
    site: Site, staff: dict[str, User], client_for: Callable[[str | None], Client]
) -> None:
    doctor = practitioner(site=site, first_name="Claire", last_name="Moreau")
    weekly(doctor, site, 0, "09:00", "12:00")
    a = appointment(
        practitioner=doctor, site=site, start=paris(2030, 3, 4, 9), booked_by=staff["accueil"]
    )
    client = client_for("accueil")
    url = reverse("appointments:move_to", args=[a.pk])
    ok = client.post(url, {"start": "2030-03-04T10:15", "practitioner": doctor.pk})
    assert ok.status_code == 200
    assert ok.json()["message"] == (
        "Rendez-vous déplacé au lundi 4 mars 2030 à 10:15 avec Claire Moreau."
    )
    a.refresh_from_db()
    assert a.start == paris(2030, 3, 4, 10, 15)
    refused = client.post(url, {"start": "2030-03-04T14:00"})  # outside the plage
    assert refused.status_code == 400
    body = refused.json()
    assert body["ok"] is False and "en dehors des plages" in body["message"]
    assert body["can_force"] is True
    assert body["move_url"] == reverse("appointments:move", args=[a.pk])
    a.refresh_from_db()
    assert a.start == paris(2030, 3, 4, 10, 15)
    assert AuditEntry.objects.filter(action="appointment.move").count() == 1
    a.status = Status.CANCELLED
    a.save()
    assert client.post(url, {"start": "2030-03-04T11:00"}).json()["message"] == (
        "Seul un rendez-vous prévu peut être déplacé."
    )
    assert client.post(url, {"start": "demain"}).status_code == 400


def test_patient_record_offers_to_book(
    site: Site, client_for: Callable[[str | None], Client]
) -> None:
    patient = PatientFactory()
    html = client_for("accueil").get(reverse("patients:detail", args=[patient.pk])).text
    assert f'href="/rendez-vous/jour/?patient={patient.pk}">Prendre un rendez-vous</a>' in html
    day = client_for("accueil").get(reverse("appointments:day"), {"patient": patient.pk}).text
    assert "choisissez un créneau libre" in day
