"""Booking, moving, cancelling and status transitions (services + model transitions)."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from appointments.models import Appointment, Status
from appointments.services import booking, moves, statuses, waiting_list, walk_ins
from centre.models import AuditEntry, Profession, Site, User
from tests.appointments.factories import (
    ConsultationTypeFactory,
    PatientFactory,
    appointment,
    open_plages,
    paris,
    practitioner,
)

pytestmark = pytest.mark.django_db

FUTURE = paris(2030, 3, 4, 9)
PAST = paris(2025, 3, 3, 9)


@pytest.fixture
def doctor(site: Site) -> object:
    profile = practitioner(site=site)
    open_plages(profile, site)
    return profile


def _book(
    doctor: object, site: Site, user: User, start: datetime.datetime, **kw: object
) -> Appointment:
    return booking.appointment_book(
        patient=kw.pop("patient", None) or PatientFactory(),  # type: ignore[arg-type]
        practitioner=doctor,  # type: ignore[arg-type]
        consultation_type=ConsultationTypeFactory(),
        site=site,
        start=start,
        by=user,
        **kw,  # type: ignore[arg-type]
    )


def test_booking_uses_the_type_duration_and_audits(
    doctor: object, site: Site, staff: dict[str, User]
) -> None:
    booked = _book(doctor, site, staff["accueil"], FUTURE, interpreter_language="arabe")
    assert booked.end - booked.start == datetime.timedelta(minutes=20)
    assert booked.status == Status.BOOKED
    assert booked.interpreter_language == "arabe"
    entry = AuditEntry.objects.get(action="appointment.book")
    assert entry.actor == staff["accueil"]
    assert entry.object_id == str(booked.pk)
    assert entry.changes["status"] == "booked"


def test_start_is_stored_in_utc(doctor: object, site: Site, staff: dict[str, User]) -> None:
    booked = _book(doctor, site, staff["accueil"], paris(2030, 7, 1, 9))
    booked.refresh_from_db()
    assert booked.start.utcoffset() == datetime.timedelta(0)
    assert booked.start.hour == 7  # 9:00 Paris summer time


def test_practitioner_double_booking_is_refused_in_french(
    doctor: object, site: Site, staff: dict[str, User]
) -> None:
    _book(doctor, site, staff["accueil"], FUTURE)
    with pytest.raises(booking.SlotUnavailable) as caught:
        _book(doctor, site, staff["accueil"], FUTURE + datetime.timedelta(minutes=10))
    assert caught.value.message == "Ce créneau vient d'être pris : choisissez-en un autre."
    assert Appointment.objects.count() == 1
    # Back to back is fine: ranges are half-open.
    _book(doctor, site, staff["accueil"], FUTURE + datetime.timedelta(minutes=20))


def test_patient_cannot_have_two_overlapping_appointments(
    site: Site, staff: dict[str, User]
) -> None:
    patient = PatientFactory()
    first, second = practitioner(site=site), practitioner(site=site)
    open_plages(first, site)
    open_plages(second, site)
    _book(first, site, staff["accueil"], FUTURE, patient=patient)
    with pytest.raises(booking.SlotUnavailable) as caught:
        _book(second, site, staff["accueil"], FUTURE, patient=patient)
    assert "déjà un rendez-vous" in caught.value.message


def test_the_database_itself_refuses_overlaps(
    doctor: object, site: Site, staff: dict[str, User]
) -> None:
    appointment(practitioner=doctor, site=site, start=FUTURE, booked_by=staff["accueil"])  # type: ignore[arg-type]
    with pytest.raises(IntegrityError), transaction.atomic():
        appointment(practitioner=doctor, site=site, start=FUTURE, booked_by=staff["accueil"])  # type: ignore[arg-type]


def test_cancelled_appointment_frees_the_slot(
    doctor: object, site: Site, staff: dict[str, User]
) -> None:
    first = _book(doctor, site, staff["accueil"], FUTURE)
    statuses.appointment_cancel(
        appointment=first, by=staff["accueil"], by_patient=True, reason="Malade"
    )
    first.refresh_from_db()
    assert first.status == Status.EXCUSED
    assert first.cancel_reason == "Malade"
    second = _book(doctor, site, staff["accueil"], FUTURE)
    assert second.is_active
    assert AuditEntry.objects.filter(action="appointment.cancel_by_patient").count() == 1


def test_profession_must_match_the_type(site: Site, staff: dict[str, User]) -> None:
    nurse = practitioner(site=site, profession=Profession.INFIRMIER)
    with pytest.raises(booking.BookingError, match="ne correspond pas"):
        _book(nurse, site, staff["accueil"], FUTURE)


def test_naive_datetimes_are_refused(doctor: object, site: Site, staff: dict[str, User]) -> None:
    with pytest.raises(booking.BookingError, match="fuseau"):
        _book(doctor, site, staff["accueil"], datetime.datetime(2030, 3, 4, 9))


def test_move_keeps_duration_and_checks_conflicts(
    doctor: object, site: Site, staff: dict[str, User]
) -> None:
    a = _book(doctor, site, staff["accueil"], FUTURE)
    b = _book(doctor, site, staff["accueil"], FUTURE + datetime.timedelta(hours=1))
    with pytest.raises(booking.SlotUnavailable):
        moves.appointment_move(
            appointment=b, start=FUTURE + datetime.timedelta(minutes=5), by=staff["accueil"]
        )
    b.refresh_from_db()
    assert b.start == FUTURE + datetime.timedelta(hours=1)
    moved = moves.appointment_move(
        appointment=a, start=FUTURE + datetime.timedelta(hours=2), by=staff["accueil"]
    )
    assert moved.end - moved.start == datetime.timedelta(minutes=20)
    entry = AuditEntry.objects.get(action="appointment.move")
    assert set(entry.changes) == {"start", "end"}


# --- transitions ----------------------------------------------------------------------------


@pytest.mark.usefixtures("daytime")
def test_booked_arrived_seen(doctor: object, site: Site, staff: dict[str, User]) -> None:
    a = appointment(
        practitioner=doctor,
        site=site,
        start=timezone.now() - datetime.timedelta(minutes=5),
        booked_by=staff["accueil"],
    )  # type: ignore[arg-type]
    statuses.appointment_mark_arrived(appointment=a, by=staff["accueil"])
    statuses.appointment_mark_seen(appointment=a, by=staff["soignant"])
    a.refresh_from_db()
    assert a.status == Status.SEEN
    assert a.status_changed_by == staff["soignant"]
    assert list(
        AuditEntry.objects.filter(object_id=str(a.pk))
        .values_list("action", flat=True)
        .order_by("id")
    ) == [
        "appointment.arrived",
        "appointment.seen",
    ]


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (Status.SEEN, statuses.appointment_mark_arrived),
        (Status.SEEN, statuses.appointment_mark_no_show),
        (Status.CANCELLED, statuses.appointment_mark_seen),
        (Status.NO_SHOW, statuses.appointment_mark_seen),
        (Status.ARRIVED, statuses.appointment_mark_no_show),
        (Status.EXCUSED, statuses.appointment_mark_arrived),
    ],
)
def test_invalid_transitions_are_refused_and_nothing_is_saved(
    status: str, action: object, doctor: object, site: Site, staff: dict[str, User]
) -> None:
    a = appointment(
        practitioner=doctor, site=site, start=PAST, booked_by=staff["accueil"], status=status
    )  # type: ignore[arg-type]
    with pytest.raises(booking.BookingError, match="Impossible"):
        action(appointment=a, by=staff["accueil"])  # type: ignore[operator]
    a.refresh_from_db()
    assert a.status == status
    assert not AuditEntry.objects.filter(object_id=str(a.pk)).exists()


def test_no_show_only_after_the_start(doctor: object, site: Site, staff: dict[str, User]) -> None:
    a = appointment(practitioner=doctor, site=site, start=FUTURE, booked_by=staff["accueil"])  # type: ignore[arg-type]
    with pytest.raises(booking.BookingError, match="après l'heure"):
        statuses.appointment_mark_no_show(appointment=a, by=staff["accueil"])
    with pytest.raises(booking.BookingError, match="pas encore commencé"):
        statuses.appointment_mark_seen(appointment=a, by=staff["accueil"])


def test_cancel_by_patient_after_start_is_refused(
    doctor: object, site: Site, staff: dict[str, User]
) -> None:
    a = appointment(practitioner=doctor, site=site, start=PAST, booked_by=staff["accueil"])  # type: ignore[arg-type]
    with pytest.raises(booking.BookingError, match="absence"):
        statuses.appointment_cancel(appointment=a, by=staff["accueil"], by_patient=True)
    statuses.appointment_mark_no_show(appointment=a, by=staff["accueil"])
    a.refresh_from_db()
    assert a.status == Status.NO_SHOW


def test_walk_in_enters_the_waiting_room_even_over_a_booking(
    doctor: object, site: Site, staff: dict[str, User]
) -> None:
    now = timezone.now()
    appointment(
        practitioner=doctor,
        site=site,
        start=now - datetime.timedelta(minutes=5),
        booked_by=staff["accueil"],
    )  # type: ignore[arg-type]
    walk_in = walk_ins.appointment_record_walk_in(
        patient=PatientFactory(),
        practitioner=doctor,  # type: ignore[arg-type]
        consultation_type=ConsultationTypeFactory(),
        site=site,
        by=staff["accueil"],
    )
    assert walk_in.status == Status.ARRIVED
    assert walk_in.waiting
    assert walk_in.arrived_at is not None
    assert abs((walk_in.arrived_at - now).total_seconds()) < 60
    assert walk_in.is_walk_in
    entry = AuditEntry.objects.get(action="appointment.walk_in")
    assert entry.changes["status"] == "arrived"


def test_to_fill_in_lists_past_appointments_without_final_status(
    doctor: object, site: Site, staff: dict[str, User]
) -> None:
    pending = appointment(practitioner=doctor, site=site, start=PAST, booked_by=staff["accueil"])  # type: ignore[arg-type]
    appointment(
        practitioner=doctor,
        site=site,
        start=PAST + datetime.timedelta(hours=1),
        booked_by=staff["accueil"],
        status=Status.SEEN,
    )  # type: ignore[arg-type]
    appointment(practitioner=doctor, site=site, start=FUTURE, booked_by=staff["accueil"])  # type: ignore[arg-type]
    assert list(Appointment.objects.to_fill_in()) == [pending]


def test_waiting_list_candidates_when_a_slot_frees_up(
    doctor: object, site: Site, staff: dict[str, User]
) -> None:
    from appointments.selectors import waiting_candidates

    ctype = ConsultationTypeFactory()
    waiting = waiting_list.waiting_list_add(
        patient=PatientFactory(), consultation_type=ctype, by=staff["accueil"]
    )
    waiting_list.waiting_list_add(
        patient=PatientFactory(),
        consultation_type=ctype,
        by=staff["accueil"],
        before=datetime.date(2029, 1, 1),
    )
    with pytest.raises(booking.BookingError, match="attend déjà"):
        waiting_list.waiting_list_add(
            patient=waiting.patient, consultation_type=ctype, by=staff["accueil"]
        )
    a = _book(doctor, site, staff["accueil"], FUTURE)
    statuses.appointment_cancel(appointment=a, by=staff["accueil"], by_patient=False)
    assert list(waiting_candidates(a)) == [waiting]
