"""Booking an appointment, and what every write that places an appointment in the agenda
shares (moves, walk-ins): the checks of a booking, the booking rules (opening plages, absences,
public holidays) and their forcing, the save that turns a double booking into SlotUnavailable.

Every door (pages, API, outreach's referral booking, the demo) books through
`appointment_book`, so the rules hold whichever way a booking comes in (docs/appointments.md)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import psycopg.errors
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from appointments import perms
from appointments.models import (
    Absence,
    Appointment,
    ConsultationType,
    ExtraSchedule,
    WeeklySchedule,
)
from appointments.slots import (
    Breach,
    ExtraPlage,
    Interval,
    WeeklyPlage,
    booking_breaches,
    local_days,
    public_holiday_names,
)
from centre import audit
from centre.models import Site, StaffProfile, User
from centre.refusals import Forbidden, Kind, Refusal
from patients.models import Patient

AUDIT_FIELDS = (
    "patient",
    "practitioner",
    "consultation_type",
    "site",
    "start",
    "end",
    "status",
    "interpreter_language",
    "is_walk_in",
    "cancel_reason",
    "forced_reason",
    "forced_rules",
)

FORCE_REASON_MAX = 200  # Appointment.forced_reason
FORCE_FORBIDDEN = (
    "Seuls l'accueil et la direction peuvent forcer un rendez-vous hors des règles "
    "(plages d'ouverture, absences, jours fériés)."
)

CONFLICT_MESSAGE = "Ce créneau vient d'être pris : choisissez-en un autre."
PATIENT_CONFLICT_MESSAGE = "Ce·tte patient·e a déjà un rendez-vous qui chevauche ce créneau."


class BookingError(Refusal):
    """A booking or a change that cannot be made; the message is French, for the user."""


class SlotUnavailable(BookingError):
    """The practitioner or the patient already has an active appointment at that time."""

    kind = Kind.CONFLICT


class RuleRefused(BookingError):
    """The time breaks a booking rule (outside the plages, during an absence, on a public
    holiday): reception or direction may force it with a reason (`force_reason`).
    `details["rules"]` lists the rules broken (`appointments.slots.Rule`)."""

    def __init__(self, breaches: list[Breach], *, can_force: bool) -> None:
        reasons = " ; ".join(b.message for b in breaches)
        hint = (
            " Pour le prendre quand même, indiquez le motif du forçage."
            if can_force
            else " Seuls l'accueil et la direction peuvent le forcer, avec un motif."
        )
        super().__init__(
            f"Rendez-vous refusé : {reasons}.{hint}",
            field="start",
            details={"rules": [str(b.rule) for b in breaches]},
        )
        self.rules = [b.rule for b in breaches]
        self.can_force = can_force


def _practitioner_for_rules(practitioner: StaffProfile) -> None:
    """Key-share lock on the practitioner for the rest of the transaction: a change of their
    plages or a new absence (`services.schedules`, FOR UPDATE on the practitioner) waits for
    this booking or is seen by its rule check — never neither."""
    table = StaffProfile._meta.db_table
    list(
        StaffProfile.objects.raw(
            f"SELECT * FROM {table} WHERE id = %s FOR KEY SHARE",  # noqa: S608 (model's table)
            [practitioner.pk],
        )
    )


# The plages and absences the rules read, in one query (see `rule_breaches`).
RULES_SQL = f"""
SELECT 'w', weekday::integer, start_time, end_time, valid_from, valid_until,
       open_on_public_holidays, NULL::date, NULL::timestamptz, NULL::timestamptz
  FROM {WeeklySchedule._meta.db_table}
 WHERE practitioner_id = %s AND site_id = %s AND valid_from <= %s
   AND (valid_until IS NULL OR valid_until >= %s)
UNION ALL
SELECT 'e', NULL, start_time, end_time, NULL, NULL, NULL, date, NULL, NULL
  FROM {ExtraSchedule._meta.db_table}
 WHERE practitioner_id = %s AND site_id = %s AND date BETWEEN %s AND %s
UNION ALL
SELECT 'a', NULL, NULL, NULL, NULL, NULL, NULL, NULL, start, "end"
  FROM {Absence._meta.db_table}
 WHERE practitioner_id = %s AND start < %s AND "end" > %s
"""  # noqa: S608 (model tables, values as parameters)


def rule_breaches(
    *,
    practitioner: StaffProfile,
    site: Site,
    start: datetime.datetime,
    end: datetime.datetime,
    require_plage: bool = True,
) -> list[Breach]:
    """Load what the rules need (one query) and apply the pure `slots.booking_breaches`, the
    arithmetic of the slot search."""
    interval = Interval(start, end)
    days = local_days(interval)
    first, last = days[0], days[-1]
    weekly: list[WeeklyPlage] = []
    extra: list[ExtraPlage] = []
    absences: list[Interval] = []
    # One round trip instead of three ORM queries: building and running them was more than
    # half of a booking's time (7.5 ms a booking, 4 ms of it in the rules, measured on the
    # bench centre), and every door books through here.
    with connection.cursor() as cursor:
        cursor.execute(RULES_SQL, [
            practitioner.pk, site.pk, last, first,
            practitioner.pk, site.pk, first, last,
            practitioner.pk, end, start,
        ])  # fmt: skip
        for kind, weekday, t_start, t_end, v_from, v_until, holidays_open, day, a, b in cursor:
            if kind == "w":
                weekly.append(
                    WeeklyPlage(
                        practitioner.pk, site.pk, weekday, t_start, t_end, v_from, v_until,
                        holidays_open,
                    )
                )  # fmt: skip
            elif kind == "e":
                extra.append(ExtraPlage(practitioner.pk, site.pk, day, t_start, t_end))
            else:
                absences.append(Interval(a, b))
    return booking_breaches(
        interval=interval,
        practitioner_id=practitioner.pk,
        site_id=site.pk,
        weekly=weekly,
        extra=extra,
        absences=absences,
        holidays=public_holiday_names(first, last, site.holiday_subdivision),
        require_plage=require_plage,
    )


def enforce_rules(
    *,
    by: User,
    practitioner: StaffProfile,
    site: Site,
    start: datetime.datetime,
    end: datetime.datetime,
    force_reason: str = "",
    require_plage: bool = True,
) -> tuple[str, list[str]]:
    """Refuse a time that breaks a booking rule, unless `by` may force and gives a reason.
    Returns what to store on the appointment: (forced reason, rules forced), empty when the
    time keeps every rule (a reason given for nothing is not stored). Runs inside the write's
    transaction."""
    reason = " ".join(force_reason.split())
    if reason and not perms.can_force(by):
        raise Forbidden(FORCE_FORBIDDEN, field="force_reason")
    if len(reason) > FORCE_REASON_MAX:
        raise BookingError(
            f"Le motif du forçage ne doit pas dépasser {FORCE_REASON_MAX} caractères.",
            field="force_reason",
        )
    _practitioner_for_rules(practitioner)
    breaches = rule_breaches(
        practitioner=practitioner, site=site, start=start, end=end, require_plage=require_plage
    )
    if not breaches:
        return "", []
    if not reason:
        raise RuleRefused(breaches, can_force=perms.can_force(by))
    return reason, [str(b.rule) for b in breaches]


@dataclass(frozen=True)
class Admitted:
    """What a new appointment may be written with, once checked."""

    consultation_type: ConsultationType
    end: datetime.datetime
    forced_reason: str
    forced_rules: list[str]


def admit(
    *,
    by: User,
    practitioner: StaffProfile,
    consultation_type: ConsultationType,
    site: Site,
    start: datetime.datetime,
    end: datetime.datetime | None = None,
    force_reason: str = "",
    require_plage: bool = True,
) -> Admitted:
    """The checks every new appointment goes through, inside the write's transaction: the
    type re-read under lock, its end, `check_booking`, then the booking rules (or their
    forcing). Bookings and walk-ins (`require_plage=False`) call it."""
    consultation_type = type_for_booking(consultation_type)
    end = end or start + consultation_type.duration
    check_booking(
        practitioner=practitioner,
        consultation_type=consultation_type,
        site=site,
        start=start,
        end=end,
    )
    forced_reason, forced_rules = enforce_rules(
        by=by,
        practitioner=practitioner,
        site=site,
        start=start,
        end=end,
        force_reason=force_reason,
        require_plage=require_plage,
    )
    return Admitted(consultation_type, end, forced_reason, forced_rules)


def as_aware(value: datetime.datetime, field: str) -> datetime.datetime:
    if timezone.is_naive(value):
        raise BookingError("L'heure doit indiquer son fuseau horaire.", field=field)
    return value


def save_or_conflict(appointment: Appointment) -> None:
    """Save inside a savepoint so that an exclusion violation leaves the outer transaction
    usable and turns into SlotUnavailable (never a 500).

    Two bookings of the same slot that insert at the same instant may each wait for the other
    while PostgreSQL checks the exclusion constraint: it then cancels one of them (deadlock
    detected) and the other goes on. The cancelled one lost the slot, like a violation."""
    try:
        with transaction.atomic():
            appointment.save()
    except OperationalError as error:
        if not isinstance(error.__cause__, psycopg.errors.DeadlockDetected):
            raise
        raise SlotUnavailable(CONFLICT_MESSAGE, field="start") from error
    except IntegrityError as error:
        cause = error.__cause__
        if not isinstance(cause, psycopg.errors.ExclusionViolation):
            raise
        if cause.diag.constraint_name == "appointment_no_patient_overlap":
            raise SlotUnavailable(PATIENT_CONFLICT_MESSAGE, field="patient") from error
        raise SlotUnavailable(CONFLICT_MESSAGE, field="start") from error


def check_booking(
    *,
    practitioner: StaffProfile,
    consultation_type: ConsultationType,
    site: Site,
    start: datetime.datetime,
    end: datetime.datetime,
    moving: bool = False,
) -> None:
    """`moving`: an appointment already made keeps its type even once the type is no longer
    offered (deactivated): it can still be moved."""
    if end <= start:
        raise BookingError("La fin du rendez-vous doit être après son début.", field="end")
    if end - start > datetime.timedelta(hours=8):
        raise BookingError("Un rendez-vous ne peut pas durer plus de 8 heures.", field="end")
    if not practitioner.profession:
        raise BookingError("Cette personne n'est pas soignante.", field="practitioner")
    if consultation_type.profession != practitioner.profession:
        raise BookingError(
            f"Le motif « {consultation_type} » ne correspond pas à la profession de "
            f"{practitioner}.",
            field="consultation_type",
        )
    if not consultation_type.is_active and not moving:
        raise BookingError("Ce motif n'est plus proposé.", field="consultation_type")
    if not site.is_active:
        raise BookingError("Ce site est fermé.", field="site")


def type_for_booking(consultation_type: ConsultationType) -> ConsultationType:
    """The type read again inside the booking's transaction, under a key-share lock: a
    concurrent change of its profession or its deactivation
    (`consultation_types.consultation_type_update`, FOR UPDATE) either waits for the booking
    or is seen by its checks — never neither."""
    # FOR KEY SHARE (raw: Django only offers FOR UPDATE / FOR NO KEY UPDATE): bookings of the
    # same type do not wait for one another, only for a change of the type.
    table = ConsultationType._meta.db_table
    return ConsultationType.objects.raw(
        f"SELECT * FROM {table} WHERE id = %s FOR KEY SHARE",  # noqa: S608 (model's table name)
        [consultation_type.pk],
    )[0]


def appointment_book(
    *,
    patient: Patient,
    practitioner: StaffProfile,
    consultation_type: ConsultationType,
    site: Site,
    start: datetime.datetime,
    by: User,
    interpreter_language: str = "",
    end: datetime.datetime | None = None,
    note: str = "",
    send_confirmation: bool = False,
    force_reason: str = "",
) -> Appointment:
    """Book `patient` with `practitioner`. Raises SlotUnavailable when the time is taken (by
    the database constraint, so two receptionists clicking at once cannot both win),
    RuleRefused outside the booking rules unless `force_reason` is given by reception or
    direction (Forbidden for anyone else)."""
    start = as_aware(start, "start")
    given_end = as_aware(end, "end") if end is not None else None
    if patient.merged_into_id is not None or patient.anonymised_at is not None:
        raise BookingError("Ce dossier patient n'est plus actif.", field="patient")
    with transaction.atomic():
        admitted = admit(
            by=by,
            practitioner=practitioner,
            consultation_type=consultation_type,
            site=site,
            start=start,
            end=given_end,
            force_reason=force_reason,
        )
        appointment = Appointment(
            patient=patient,
            practitioner=practitioner,
            consultation_type=admitted.consultation_type,
            site=site,
            start=start,
            end=admitted.end,
            interpreter_language=interpreter_language.strip(),
            note=note,
            booked_by=by,
            forced_reason=admitted.forced_reason,
            forced_rules=admitted.forced_rules,
        )
        save_or_conflict(appointment)
        audit.record(
            actor=by,
            action="appointment.book",
            obj=appointment,
            changes=audit.snapshot(appointment, AUDIT_FIELDS),
        )
        if send_confirmation:
            _enqueue_confirmation(appointment.pk)
    return appointment


def _enqueue_confirmation(appointment_id: int) -> None:
    from appointments.tasks import send_confirmation

    transaction.on_commit(lambda: send_confirmation.delay(appointment_id))
