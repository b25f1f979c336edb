"""Reception's guards and formatting (issue 16): arrival only on the appointment's day, no-show
only after its start, the day sheet's next working day, language names, French phones and
dates, danger buttons; and the waiting room (arrived → in consultation → seen)."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appointments import selectors
from appointments.models import ExtraSchedule, Status
from appointments.services import booking, statuses, walk_ins
from appointments.templatetags.appointments_tags import french_date
from centre.models import AuditEntry, Site, User
from tests.appointments.factories import (
    ConsultationTypeFactory,
    PatientFactory,
    appointment,
    paris,
    practitioner,
    weekly,
)

# « Earlier today » everywhere in this module: see the `daytime` fixture.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("daytime")]


def _now_minus(minutes: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=minutes)


# --- guards in the service --------------------------------------------------------------------


def test_arrival_is_refused_on_another_day(site: Site, staff: dict[str, User]) -> None:
    doctor = practitioner(site=site)
    later = appointment(
        practitioner=doctor,
        site=site,
        start=timezone.now() + datetime.timedelta(days=3),
        booked_by=staff["accueil"],
    )
    with pytest.raises(booking.BookingError, match="que le jour du rendez-vous"):
        statuses.appointment_mark_arrived(appointment=later, by=staff["accueil"])
    later.refresh_from_db()
    assert later.status == Status.BOOKED
    assert later.arrived_at is None
    assert not AuditEntry.objects.filter(action="appointment.arrived").exists()


def test_no_show_is_refused_before_the_start_and_accepted_after(
    site: Site, staff: dict[str, User]
) -> None:
    doctor = practitioner(site=site)
    soon = appointment(
        practitioner=doctor,
        site=site,
        start=timezone.now() + datetime.timedelta(hours=7),
        booked_by=staff["accueil"],
    )
    with pytest.raises(booking.BookingError, match="qu'après l'heure du rendez-vous"):
        statuses.appointment_mark_no_show(appointment=soon, by=staff["accueil"])
    past = appointment(
        practitioner=doctor, site=site, start=_now_minus(30), booked_by=staff["accueil"]
    )
    statuses.appointment_mark_no_show(appointment=past, by=staff["accueil"])
    assert past.status == Status.NO_SHOW


def test_offers_follow_the_guards(site: Site, staff: dict[str, User]) -> None:
    doctor = practitioner(site=site)
    now = paris(2030, 3, 4, 2)  # Monday 02:00
    a = appointment(
        practitioner=doctor, site=site, start=paris(2030, 3, 4, 9), booked_by=staff["accueil"]
    )
    assert statuses.offers(a, "arrive", now)  # same day
    assert not statuses.offers(a, "no_show", now)  # 02:00 for a 09:00 appointment
    assert not statuses.offers(a, "seen", now)
    assert statuses.offers(a, "no_show", paris(2030, 3, 4, 9, 5))
    assert not statuses.offers(a, "arrive", paris(2030, 3, 1, 9))  # the Friday before
    assert statuses.offers(a, "cancel", now) and statuses.offers(a, "move", now)


def test_detail_page_offers_only_what_makes_sense(
    site: Site, staff: dict[str, User], client_for: Callable[[str | None], Client]
) -> None:
    doctor = practitioner(site=site)
    future = appointment(
        practitioner=doctor,
        site=site,
        start=timezone.now() + datetime.timedelta(days=3),
        booked_by=staff["accueil"],
    )
    html = client_for("accueil").get(reverse("appointments:detail", args=[future.pk])).text
    assert "Arrivé·e</button>" not in html
    assert "Absent·e non excusé·e" not in html
    assert '<button class="button danger" type="submit">Annuler le rendez-vous</button>' in html


# --- formatting -------------------------------------------------------------------------------


def test_interpreter_phone_and_first_of_the_month(
    site: Site, staff: dict[str, User], client_for: Callable[[str | None], Client]
) -> None:
    doctor = practitioner(site=site)
    patient = PatientFactory(phone="+33668888409")
    a = appointment(
        practitioner=doctor,
        site=site,
        start=paris(2030, 10, 1, 9),
        booked_by=staff["accueil"],
        patient=patient,  # type: ignore[arg-type]
    )
    a.interpreter_language = "ps"
    a.save()
    html = client_for("accueil").get(reverse("appointments:detail", args=[a.pk])).text
    assert "Interprète : pachto" in html
    assert "Interprète : ps" not in html
    assert "mardi 1er octobre 2030" in html
    assert french_date(datetime.date(2026, 12, 1), "j F") == "1er décembre"
    assert french_date(datetime.date(2026, 12, 4), "l j F") == "vendredi 4 décembre"
    # The day sheet (HTML before the PDF) shows the same.
    from django.template.loader import render_to_string

    columns = selectors.day_sheet_columns(by=staff["accueil"], site=site, day=a.start.date())
    sheet = render_to_string(
        "appointments/day_sheet_pdf.html",
        {"site": site, "day": datetime.date(2030, 10, 1), "columns": columns},
    )
    assert "06 68 88 84 09" in sheet
    assert "+33668888409" not in sheet
    assert "<td>pachto</td>" in sheet
    assert "mardi 1er octobre 2030" in sheet


# --- next working day of the day sheet ---------------------------------------------------------


def test_next_working_day_skips_weekend_holidays_and_closed_days(site: Site) -> None:
    doctor = practitioner(site=site)
    for weekday in (0, 1, 2, 3, 4):
        weekly(doctor, site, weekday, "09:00", "12:00")
    friday = datetime.date(2026, 12, 4)
    assert selectors.next_working_day(site, friday) == datetime.date(2026, 12, 7)
    # Christmas 2026 is a Friday: Thursday 24 → Monday 28.
    assert selectors.next_working_day(site, datetime.date(2026, 12, 24)) == datetime.date(
        2026, 12, 28
    )
    # A one-off Saturday opening makes Saturday a working day.
    ExtraSchedule.objects.create(
        practitioner=doctor,
        site=site,
        date=datetime.date(2026, 12, 5),
        start_time=datetime.time(9),
        end_time=datetime.time(12),
    )
    assert selectors.next_working_day(site, friday) == datetime.date(2026, 12, 5)


def test_next_working_day_skips_a_weekday_nobody_works(site: Site) -> None:
    doctor = practitioner(site=site)
    weekly(doctor, site, 1, "09:00", "12:00")  # Tuesdays only
    assert selectors.next_working_day(site, datetime.date(2026, 12, 4)) == datetime.date(
        2026, 12, 8
    )


def test_next_working_day_without_plages_is_the_next_weekday(site: Site) -> None:
    assert selectors.next_working_day(site, datetime.date(2026, 12, 4)) == datetime.date(
        2026, 12, 7
    )


def test_day_page_names_the_next_working_day(
    site: Site, client_for: Callable[[str | None], Client]
) -> None:
    html = client_for("accueil").get(reverse("appointments:day"), {"site": site.pk}).text
    assert "Feuille du prochain jour ouvré" in html
    assert "Feuille de demain" not in html


# --- waiting room ------------------------------------------------------------------------------


def test_walk_in_waits_is_called_then_seen(
    site: Site, staff: dict[str, User], client_for: Callable[[str | None], Client]
) -> None:
    doctor_user = staff["soignant"]
    walk_in = walk_ins.appointment_record_walk_in(
        patient=PatientFactory(last_name="Diallo", first_name="Awa"),  # type: ignore[arg-type]
        practitioner=doctor_user.profile,
        consultation_type=ConsultationTypeFactory(),  # type: ignore[arg-type]
        site=site,
        by=staff["accueil"],
        force_reason="Test à toute heure",
    )
    assert walk_in.status == Status.ARRIVED and walk_in.waiting
    # Reception's waiting room shows her, with the minutes waited.
    html = client_for("accueil").get(reverse("appointments:waiting_room"), {"site": site.pk}).text
    assert "DIALLO Awa" in html
    assert "attend depuis <strong>0 min</strong>" in html
    # 12 minutes later the practitioner calls her from their own agenda.
    walk_in.arrived_at = timezone.now() - datetime.timedelta(minutes=12)
    walk_in.save(update_fields=["arrived_at"])
    practitioner_client = client_for("soignant")
    agenda = practitioner_client.get(reverse("appointments:my_agenda")).text
    assert "Mes patient·e·s en salle d&#x27;attente" in agenda or "salle d'attente" in agenda
    assert "attend depuis 12 min" in agenda
    practitioner_client.post(reverse("appointments:call_in", args=[walk_in.pk]))
    walk_in.refresh_from_db()
    assert walk_in.in_consultation
    assert walk_in.minutes_waited() == 12
    room = selectors.waiting_room(by=staff["accueil"], day=timezone.localdate(), site=site)
    assert [a.pk for a in room.in_consultation] == [walk_in.pk]
    assert room.waiting == []
    practitioner_client.post(reverse("appointments:seen", args=[walk_in.pk]))
    walk_in.refresh_from_db()
    assert walk_in.status == Status.SEEN
    assert list(
        AuditEntry.objects.filter(object_id=str(walk_in.pk))
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["appointment.walk_in", "appointment.called_in", "appointment.seen"]
    called = AuditEntry.objects.get(action="appointment.called_in")
    assert set(called.changes) == {"called_at"}


def test_call_in_twice_is_a_conflict(site: Site, staff: dict[str, User]) -> None:
    a = appointment(
        practitioner=staff["soignant"].profile,
        site=site,
        start=_now_minus(1),
        booked_by=staff["accueil"],
    )
    with pytest.raises(booking.BookingError, match="Impossible d'appeler"):
        statuses.appointment_call_in(appointment=a, by=staff["soignant"])
    statuses.appointment_mark_arrived(appointment=a, by=staff["accueil"])
    statuses.appointment_call_in(appointment=a, by=staff["soignant"])
    with pytest.raises(booking.BookingError, match="déjà en consultation"):
        statuses.appointment_call_in(appointment=a, by=staff["soignant"])
    statuses.appointment_undo_arrival(appointment=a, by=staff["accueil"])
    a.refresh_from_db()
    assert a.arrived_at is None and a.called_at is None


def test_a_practitioner_calls_only_their_own_patients(
    site: Site, staff: dict[str, User], client_for: Callable[[str | None], Client]
) -> None:
    other = appointment(
        practitioner=practitioner(site=site),
        site=site,
        start=_now_minus(1),
        booked_by=staff["accueil"],
    )
    statuses.appointment_mark_arrived(appointment=other, by=staff["accueil"])
    client = client_for("soignant")
    assert client.post(reverse("appointments:call_in", args=[other.pk])).status_code == 404
    assert client.post(f"/api/v1/appointments/{other.pk}/call-in/").status_code == 404
    # Their own waiting room does not name the other practitioner's patient.
    assert (
        other.patient.last_name.upper() not in client.get(reverse("appointments:waiting_room")).text
    )


def test_waiting_room_api_matches_the_page_and_journals(
    site: Site, staff: dict[str, User], client_for: Callable[[str | None], Client]
) -> None:
    doctor = practitioner(site=site)
    first = appointment(
        practitioner=doctor, site=site, start=_now_minus(2), booked_by=staff["accueil"]
    )
    second = appointment(
        practitioner=doctor,
        site=site,
        start=_now_minus(40),
        booked_by=staff["accueil"],
    )
    statuses.appointment_mark_arrived(appointment=first, by=staff["accueil"])
    statuses.appointment_mark_arrived(appointment=second, by=staff["accueil"])
    client = client_for("accueil")
    body = client.get("/api/v1/appointments/waiting-room/", {"site": site.pk}).json()
    # Arrival order: first arrived first, whatever the appointment time.
    assert [a["id"] for a in body["waiting"]] == [first.pk, second.pk]
    assert body["in_consultation"] == [] and body["seen"] == []
    assert body["waiting"][0]["arrived_at"] is not None
    api_entry = AuditEntry.objects.filter(action="appointment.list").latest("id")
    client.get(reverse("appointments:waiting_room"), {"site": site.pk})
    page_entry = AuditEntry.objects.filter(action="appointment.list").latest("id")
    assert page_entry.pk != api_entry.pk
    assert page_entry.extra["ids"] == api_entry.extra["ids"] == [str(first.pk), str(second.pk)]
    call = client_for("accueil").post(f"/api/v1/appointments/{first.pk}/call-in/")
    assert call.status_code == 200
    assert call.json()["called_at"] is not None
    assert client.get("/api/v1/appointments/waiting-room/", {"site": "x"}).status_code == 400
