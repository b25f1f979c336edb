"""Writes to appointments. Each function takes the acting user, runs in one transaction and
records an audit entry in it. Other apps (billing, outreach) call these, never the models'
`save()` directly."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg.errors
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from appointments.models import (
    Absence,
    Appointment,
    AppointmentQuerySet,
    CalendarFeed,
    ConsultationType,
    ExtraSchedule,
    Status,
    TransitionError,
    WaitingListEntry,
    WaitingStatus,
    WeeklySchedule,
)
from appointments.slots import PARIS, local_datetime
from centre import audit
from centre.models import Site, StaffProfile, User
from centre.refusals import Kind, Refusal
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
)

CONFLICT_MESSAGE = "Ce créneau vient d'être pris : choisissez-en un autre."
PATIENT_CONFLICT_MESSAGE = "Ce·tte patient·e a déjà un rendez-vous qui chevauche ce créneau."


class BookingError(Refusal):
    """A booking or a change that cannot be made; the message is French, for the user."""


class SlotUnavailable(BookingError):
    """The practitioner or the patient already has an active appointment at that time."""

    kind = Kind.CONFLICT


def _as_aware(value: datetime.datetime, field: str) -> datetime.datetime:
    if timezone.is_naive(value):
        raise BookingError("L'heure doit indiquer son fuseau horaire.", field=field)
    return value


def _save_or_conflict(appointment: Appointment) -> None:
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


def _check_booking(
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


def _type_for_booking(consultation_type: ConsultationType) -> ConsultationType:
    """The type read again inside the booking's transaction, under a key-share lock: a
    concurrent change of its profession or its deactivation (`types.consultation_type_update`,
    FOR UPDATE) either waits for the booking or is seen by its checks — never neither."""
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
    booked_by: User,
    interpreter_language: str = "",
    end: datetime.datetime | None = None,
    note: str = "",
    send_confirmation: bool = False,
) -> Appointment:
    """Book `patient` with `practitioner`. Raises SlotUnavailable when the time is taken (by
    the database constraint, so two receptionists clicking at once cannot both win)."""
    start = _as_aware(start, "start")
    given_end = _as_aware(end, "end") if end is not None else None
    if patient.merged_into_id is not None or patient.anonymised_at is not None:
        raise BookingError("Ce dossier patient n'est plus actif.", field="patient")
    with transaction.atomic():
        consultation_type = _type_for_booking(consultation_type)
        end = given_end or start + consultation_type.duration
        _check_booking(
            practitioner=practitioner,
            consultation_type=consultation_type,
            site=site,
            start=start,
            end=end,
        )
        appointment = Appointment(
            patient=patient,
            practitioner=practitioner,
            consultation_type=consultation_type,
            site=site,
            start=start,
            end=end,
            interpreter_language=interpreter_language.strip(),
            note=note,
            booked_by=booked_by,
        )
        _save_or_conflict(appointment)
        audit.record(
            actor=booked_by,
            action="appointment.book",
            obj=appointment,
            changes=audit.snapshot(appointment, AUDIT_FIELDS),
        )
        if send_confirmation:
            _enqueue_confirmation(appointment.pk)
    return appointment


def appointment_record_walk_in(
    *,
    patient: Patient,
    practitioner: StaffProfile,
    consultation_type: ConsultationType,
    site: Site,
    recorded_by: User,
    start: datetime.datetime | None = None,
) -> Appointment:
    """A patient seen without an appointment (sans rendez-vous): recorded directly as seen."""
    start = _as_aware(start, "start") if start is not None else timezone.now()
    now = timezone.now()
    with transaction.atomic():
        consultation_type = _type_for_booking(consultation_type)
        end = start + consultation_type.duration
        _check_booking(
            practitioner=practitioner,
            consultation_type=consultation_type,
            site=site,
            start=start,
            end=end,
        )
        appointment = Appointment(
            patient=patient,
            practitioner=practitioner,
            consultation_type=consultation_type,
            site=site,
            start=start,
            end=end,
            status=Status.SEEN,
            is_walk_in=True,
            booked_by=recorded_by,
            status_changed_at=now,
            status_changed_by=recorded_by,
        )
        _save_or_conflict(appointment)
        audit.record(
            actor=recorded_by,
            action="appointment.walk_in",
            obj=appointment,
            changes=audit.snapshot(appointment, AUDIT_FIELDS),
        )
    return appointment


def appointment_move(
    *,
    appointment: Appointment,
    start: datetime.datetime,
    moved_by: User,
    practitioner: StaffProfile | None = None,
    site: Site | None = None,
) -> Appointment:
    """Move a booked appointment to another time (and optionally practitioner or site),
    keeping its duration."""
    start = _as_aware(start, "start")
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.status != Status.BOOKED:
            raise BookingError("Seul un rendez-vous prévu peut être déplacé.")
        before = audit.snapshot(locked, AUDIT_FIELDS)
        duration = locked.end - locked.start
        new_practitioner = practitioner or locked.practitioner
        new_site = site or locked.site
        _check_booking(
            practitioner=new_practitioner,
            consultation_type=locked.consultation_type,
            site=new_site,
            start=start,
            end=start + duration,
            moving=True,
        )
        locked.practitioner = new_practitioner
        locked.site = new_site
        locked.start = start
        locked.end = start + duration
        _save_or_conflict(locked)
        audit.record(
            actor=moved_by,
            action="appointment.move",
            obj=locked,
            changes=audit.diff(before, audit.snapshot(locked, AUDIT_FIELDS)),
        )
    return locked


def _transition(
    appointment: Appointment,
    *,
    by: User,
    action: str,
    apply: Callable[[Appointment], None],
) -> Appointment:
    """Lock the row, run the model transition, save, audit: all or nothing."""
    with transaction.atomic():
        locked = (
            Appointment.objects.select_for_update()
            .select_related("consultation_type")
            .get(pk=appointment.pk)
        )
        before = audit.snapshot(locked, AUDIT_FIELDS)
        try:
            apply(locked)
        except TransitionError as error:
            raise BookingError(str(error)) from error
        _save_or_conflict(locked)
        audit.record(
            actor=by,
            action=action,
            obj=locked,
            changes=audit.diff(before, audit.snapshot(locked, AUDIT_FIELDS)),
        )
    # Keep the caller's instance in step with the database.
    appointment.status = locked.status
    appointment.status_changed_at = locked.status_changed_at
    appointment.status_changed_by = locked.status_changed_by
    appointment.cancel_reason = locked.cancel_reason
    return locked


def appointment_mark_arrived(*, appointment: Appointment, by: User) -> Appointment:
    return _transition(
        appointment, by=by, action="appointment.arrived", apply=lambda a: a.mark_arrived(by=by)
    )


def appointment_undo_arrival(*, appointment: Appointment, by: User) -> Appointment:
    return _transition(
        appointment,
        by=by,
        action="appointment.undo_arrival",
        apply=lambda a: a.undo_arrival(by=by),
    )


def appointment_mark_seen(*, appointment: Appointment, by: User) -> Appointment:
    """Called by reception, by the practitioner, and by billing when a consultation is
    closed."""
    return _transition(
        appointment, by=by, action="appointment.seen", apply=lambda a: a.mark_seen(by=by)
    )


def appointment_mark_no_show(*, appointment: Appointment, by: User) -> Appointment:
    return _transition(
        appointment, by=by, action="appointment.no_show", apply=lambda a: a.mark_no_show(by=by)
    )


def appointment_cancel(
    *, appointment: Appointment, by: User, by_patient: bool, reason: str = ""
) -> Appointment:
    """Cancel; once committed, the freed slot is offered to the waiting list (task)."""
    with transaction.atomic():
        cancelled = _transition(
            appointment,
            by=by,
            action="appointment.cancel_by_patient" if by_patient else "appointment.cancel",
            apply=lambda a: a.cancel(by=by, by_patient=by_patient, reason=reason),
        )
        _enqueue_waiting_offers(cancelled.pk)
    return cancelled


# --- waiting list ---------------------------------------------------------------------------


def waiting_list_add(
    *,
    patient: Patient,
    consultation_type: ConsultationType,
    created_by: User,
    practitioner: StaffProfile | None = None,
    site: Site | None = None,
    before: datetime.date | None = None,
    note: str = "",
) -> WaitingListEntry:
    with transaction.atomic():
        if WaitingListEntry.objects.filter(
            patient=patient, consultation_type=consultation_type, status=WaitingStatus.WAITING
        ).exists():
            raise BookingError(
                "Ce·tte patient·e attend déjà un créneau pour ce motif.", field="patient"
            )
        entry = WaitingListEntry.objects.create(
            patient=patient,
            consultation_type=consultation_type,
            practitioner=practitioner,
            site=site,
            before=before,
            note=note,
            created_by=created_by,
        )
        audit.record(
            actor=created_by,
            action="waiting_list.add",
            obj=entry,
            changes={"patient": patient.pk, "consultation_type": consultation_type.pk},
        )
    return entry


def waiting_list_close(*, entry: WaitingListEntry, by: User, booked: bool) -> WaitingListEntry:
    with transaction.atomic():
        locked = WaitingListEntry.objects.select_for_update().get(pk=entry.pk)
        if locked.status != WaitingStatus.WAITING:
            raise BookingError("Cette inscription n'est plus en attente.")
        locked.status = WaitingStatus.BOOKED if booked else WaitingStatus.WITHDRAWN
        locked.save(update_fields=["status"])
        audit.record(
            actor=by,
            action="waiting_list.close",
            obj=locked,
            changes={"status": [WaitingStatus.WAITING, locked.status]},
        )
    return locked


def waiting_list_mark_notified(*, entry: WaitingListEntry, by: User) -> WaitingListEntry:
    with transaction.atomic():
        locked = WaitingListEntry.objects.select_for_update().get(pk=entry.pk)
        locked.notified_at = timezone.now()
        locked.save(update_fields=["notified_at"])
        audit.record(actor=by, action="waiting_list.notified", obj=locked)
    return locked


# --- opening schedules and absences (staff screens) -----------------------------------------

WEEKLY_FIELDS = (
    "practitioner",
    "site",
    "weekday",
    "start_time",
    "end_time",
    "valid_from",
    "valid_until",
    "open_on_public_holidays",
)
EXTRA_FIELDS = ("practitioner", "site", "date", "start_time", "end_time")
ABSENCE_FIELDS = ("practitioner", "start", "end", "reason", "note")
PlanningRow = TypeVar("PlanningRow", WeeklySchedule, ExtraSchedule, Absence)


def _check_times(start: datetime.time, end: datetime.time) -> None:
    if end <= start:
        raise BookingError("L'heure de fin doit être après l'heure de début.", field="end_time")


def _check_weekly(schedule: WeeklySchedule) -> None:
    """A practitioner is in one place at a time: weekly plages of the same weekday whose hours
    and validity periods overlap are refused (whatever the site)."""
    _check_times(schedule.start_time, schedule.end_time)
    if schedule.valid_until is not None and schedule.valid_until < schedule.valid_from:
        raise BookingError("La date de fin doit être après la date de début.", field="valid_until")
    clash = (
        WeeklySchedule.objects.filter(
            practitioner_id=schedule.practitioner_id,
            weekday=schedule.weekday,
            start_time__lt=schedule.end_time,
            end_time__gt=schedule.start_time,
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=schedule.valid_from))
        .exclude(pk=schedule.pk)
    )
    if schedule.valid_until is not None:
        clash = clash.filter(valid_from__lte=schedule.valid_until)
    other = clash.select_related("site").first()
    if other is not None:
        raise BookingError(
            f"Cette plage chevauche une autre plage de ce·tte soignant·e : {other} "
            f"({other.site}), à partir du {other.valid_from:%d/%m/%Y}.",
            field="start_time",
        )


def _check_extra(extra: ExtraSchedule) -> None:
    _check_times(extra.start_time, extra.end_time)
    other = (
        ExtraSchedule.objects.filter(
            practitioner_id=extra.practitioner_id,
            date=extra.date,
            start_time__lt=extra.end_time,
            end_time__gt=extra.start_time,
        )
        .exclude(pk=extra.pk)
        .first()
    )
    if other is not None:
        raise BookingError(
            f"Cette plage chevauche une autre plage ponctuelle : {other}.", field="start_time"
        )


def _booked_between(
    practitioner_id: int, start: datetime.datetime, end: datetime.datetime
) -> AppointmentQuerySet:
    return Appointment.objects.filter(
        practitioner_id=practitioner_id, status=Status.BOOKED
    ).between(start, end)


def booked_outside_weekly(schedule: WeeklySchedule, after: datetime.date) -> int:
    """Booked appointments of this plage (its weekday and hours, Paris time, at its site)
    after `after`: they stay booked when the plage ends, reception moves them."""
    start_after = datetime.datetime.combine(
        after + datetime.timedelta(days=1), datetime.time.min, tzinfo=PARIS
    )
    return Appointment.objects.filter(
        practitioner_id=schedule.practitioner_id,
        site_id=schedule.site_id,
        status=Status.BOOKED,
        start__gte=start_after,
        start__iso_week_day=schedule.weekday + 1,  # ISO: Monday = 1; in the current zone
        start__time__gte=schedule.start_time,
        start__time__lt=schedule.end_time,
    ).count()


def weekly_schedule_create(
    *,
    practitioner: StaffProfile,
    site: Site,
    weekday: int,
    start_time: datetime.time,
    end_time: datetime.time,
    valid_from: datetime.date,
    valid_until: datetime.date | None = None,
    open_on_public_holidays: bool = False,
    by: User,
) -> WeeklySchedule:
    schedule = WeeklySchedule(
        practitioner=practitioner,
        site=site,
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        valid_from=valid_from,
        valid_until=valid_until,
        open_on_public_holidays=open_on_public_holidays,
    )
    with transaction.atomic():
        # Serialise the plages of one practitioner: the overlap check and the insert are one.
        StaffProfile.objects.select_for_update().get(pk=practitioner.pk)
        _check_weekly(schedule)
        schedule.save()
        audit.record(
            actor=by,
            action="schedule.weekly.create",
            obj=schedule,
            changes=audit.snapshot(schedule, WEEKLY_FIELDS),
        )
    return schedule


def _planning_update(
    obj: PlanningRow,
    *,
    fields: dict[str, Any],
    audited: tuple[str, ...],
    check: Callable[[PlanningRow], None],
    action: str,
    by: User,
    lock_practitioner: bool,
) -> PlanningRow:
    """Change a plage or an absence (any of `audited` but the practitioner), checked and
    audited in one transaction."""
    unknown = set(fields) - set(audited[1:])
    if unknown:
        raise ValueError(f"Champs inconnus : {sorted(unknown)}")
    with transaction.atomic():
        if lock_practitioner:
            # Serialise the plages of one practitioner: the overlap check and the save are one.
            StaffProfile.objects.select_for_update().get(pk=obj.practitioner_id)
        locked = type(obj).objects.select_for_update().get(pk=obj.pk)
        before = audit.snapshot(locked, audited)
        for name, value in fields.items():
            setattr(locked, name, value)
        check(locked)
        locked.save()
        audit.record(
            actor=by,
            action=action,
            obj=locked,
            changes=audit.diff(before, audit.snapshot(locked, audited)),
        )
    return locked


def weekly_schedule_update(*, schedule: WeeklySchedule, by: User, **fields: Any) -> WeeklySchedule:
    """Change a weekly plage (fields among WEEKLY_FIELDS except the practitioner)."""
    return _planning_update(
        schedule,
        fields=fields,
        audited=WEEKLY_FIELDS,
        check=_check_weekly,
        action="schedule.weekly.update",
        by=by,
        lock_practitioner=True,
    )


def weekly_schedule_end(
    *, schedule: WeeklySchedule, last_day: datetime.date, by: User
) -> tuple[WeeklySchedule, int]:
    """End a weekly plage after `last_day` (included). Returns the plage and the number of
    booked appointments left outside any plage, for reception to move."""
    with transaction.atomic():
        locked = WeeklySchedule.objects.select_for_update().get(pk=schedule.pk)
        if last_day < locked.valid_from:
            raise BookingError(
                f"La plage commence le {locked.valid_from:%d/%m/%Y} : choisissez une date de "
                "fin à partir de celle-ci.",
                field="last_day",
            )
        if locked.valid_until is not None and locked.valid_until <= last_day:
            raise BookingError(
                f"La plage se termine déjà le {locked.valid_until:%d/%m/%Y}.", field="last_day"
            )
        before = audit.snapshot(locked, WEEKLY_FIELDS)
        locked.valid_until = last_day
        locked.save(update_fields=["valid_until"])
        left = booked_outside_weekly(locked, last_day)
        audit.record(
            actor=by,
            action="schedule.weekly.end",
            obj=locked,
            changes=audit.diff(before, audit.snapshot(locked, WEEKLY_FIELDS)),
            extra={"booked_after_end": left},
        )
    return locked, left


def extra_schedule_create(
    *,
    practitioner: StaffProfile,
    site: Site,
    date: datetime.date,
    start_time: datetime.time,
    end_time: datetime.time,
    by: User,
) -> ExtraSchedule:
    extra = ExtraSchedule(
        practitioner=practitioner, site=site, date=date, start_time=start_time, end_time=end_time
    )
    with transaction.atomic():
        StaffProfile.objects.select_for_update().get(pk=practitioner.pk)
        _check_extra(extra)
        extra.save()
        audit.record(
            actor=by,
            action="schedule.extra.create",
            obj=extra,
            changes=audit.snapshot(extra, EXTRA_FIELDS),
        )
    return extra


def extra_schedule_update(*, extra: ExtraSchedule, by: User, **fields: Any) -> ExtraSchedule:
    return _planning_update(
        extra,
        fields=fields,
        audited=EXTRA_FIELDS,
        check=_check_extra,
        action="schedule.extra.update",
        by=by,
        lock_practitioner=True,
    )


def extra_schedule_delete(*, extra: ExtraSchedule, by: User) -> int:
    """Remove a one-off plage. Returns the number of booked appointments it held (they stay
    booked; reception moves them)."""
    with transaction.atomic():
        locked = ExtraSchedule.objects.select_for_update().get(pk=extra.pk)
        start = local_datetime(locked.date, locked.start_time)
        end = local_datetime(locked.date, locked.end_time)
        left = (
            _booked_between(locked.practitioner_id, start, end)
            .filter(site_id=locked.site_id)
            .count()
        )
        audit.record(
            actor=by,
            action="schedule.extra.delete",
            obj=locked,
            changes={k: [v, None] for k, v in audit.snapshot(locked, EXTRA_FIELDS).items()},
            extra={"booked": left},
        )
        locked.delete()
    return left


def _check_absence(absence: Absence) -> None:
    if absence.end <= absence.start:
        raise BookingError("La fin de l'absence doit être après son début.", field="end")


def absence_add(
    *,
    practitioner: StaffProfile,
    start: datetime.datetime,
    end: datetime.datetime,
    reason: str,
    note: str = "",
    by: User,
) -> Absence:
    absence = Absence(practitioner=practitioner, start=start, end=end, reason=reason, note=note)
    _check_absence(absence)
    with transaction.atomic():
        absence.save()
        audit.record(
            actor=by,
            action="absence.add",
            obj=absence,
            changes=audit.snapshot(absence, ("practitioner", "start", "end", "reason")),
            extra={"booked_during": booked_during_absence(absence)},
        )
    return absence


def booked_during_absence(absence: Absence) -> int:
    """Appointments still booked while the practitioner is away: reception moves them."""
    return _booked_between(absence.practitioner_id, absence.start, absence.end).count()


def absence_update(*, absence: Absence, by: User, **fields: Any) -> Absence:
    return _planning_update(
        absence,
        fields=fields,
        audited=ABSENCE_FIELDS,
        check=_check_absence,
        action="absence.update",
        by=by,
        lock_practitioner=False,
    )


def absence_delete(*, absence: Absence, by: User) -> None:
    with transaction.atomic():
        locked = Absence.objects.select_for_update().get(pk=absence.pk)
        audit.record(
            actor=by,
            action="absence.delete",
            obj=locked,
            changes={k: [v, None] for k, v in audit.snapshot(locked, ABSENCE_FIELDS).items()},
        )
        locked.delete()


# --- calendar feed --------------------------------------------------------------------------


def calendar_feed_renew(*, practitioner: StaffProfile, by: User) -> CalendarFeed:
    """Revoke the practitioner's current ICS URL (if any) and issue a new one."""
    with transaction.atomic():
        now = timezone.now()
        revoked = CalendarFeed.objects.filter(
            practitioner=practitioner, revoked_at__isnull=True
        ).update(revoked_at=now)
        feed = CalendarFeed.objects.create(practitioner=practitioner)
        audit.record(actor=by, action="calendar_feed.renew", obj=feed, extra={"revoked": revoked})
    return feed


def calendar_feed_revoke(*, practitioner: StaffProfile, by: User) -> int:
    with transaction.atomic():
        revoked = CalendarFeed.objects.filter(
            practitioner=practitioner, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        audit.record(
            actor=by,
            action="calendar_feed.revoke",
            obj=practitioner,
            extra={"revoked": revoked},
        )
    return revoked


def _enqueue_confirmation(appointment_id: int) -> None:
    from appointments.tasks import send_confirmation

    transaction.on_commit(lambda: send_confirmation.delay(appointment_id))


def _enqueue_waiting_offers(appointment_id: int) -> None:
    from django.conf import settings

    from appointments.tasks import offer_freed_slot

    if settings.APPOINTMENT_WAITING_LIST_OFFERS:
        transaction.on_commit(lambda: offer_freed_slot.delay(appointment_id))


def waiting_list_offer(*, entry: WaitingListEntry, freed: Appointment, by: User) -> list[str]:
    """Reception offers the freed slot to one person of the waiting list (SMS / e-mail if
    consented, never twice on a channel, audited)."""
    from appointments import reminders

    return [o.reason for o in reminders.offer_slot(freed_id=freed.pk, entry_id=entry.pk, by=by)]
