"""Status changes of an appointment: arrival, call into consultation (waiting room), seen,
no-show, cancellation. Each locks the row, checks when the change makes sense (arrival on the
appointment's day only, no-show only once it has started), runs the model's transition, saves
and audits in one transaction. `offers` says which of them a page should show."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from appointments.models import (
    Appointment,
    Status,
    TransitionError,
)
from appointments.services.booking import (
    AUDIT_FIELDS,
    BookingError,
    save_or_conflict,
)
from centre import audit
from centre.models import User
from centre.refusals import Kind

# The waiting-room times are journaled with the status they go with.
STATUS_AUDIT_FIELDS = (*AUDIT_FIELDS, "arrived_at", "called_at")

ARRIVAL_NOT_TODAY = "L'arrivée ne se note que le jour du rendez-vous."
NO_SHOW_TOO_EARLY = "Une absence ne peut être notée qu'après l'heure du rendez-vous."


def _local_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def check_arrival(appointment: Appointment, now: datetime.datetime | None = None) -> None:
    """A patient arrives on the day of their appointment (Paris time), not before: an
    « Arrivé·e » on next Monday's appointment is a slip of the mouse."""
    now = now or timezone.now()
    if _local_day(appointment.start) != _local_day(now):
        raise TransitionError(ARRIVAL_NOT_TODAY)


def check_no_show(appointment: Appointment, now: datetime.datetime | None = None) -> None:
    """A no-show is noted once the appointment's time has come, never before."""
    if appointment.start > (now or timezone.now()):
        raise TransitionError(NO_SHOW_TOO_EARLY)


def offers(appointment: Appointment, action: str, now: datetime.datetime | None = None) -> bool:
    """Whether a page should offer `action` on `appointment` now: the same conditions the
    service checks, so a button shown is a button that works (the role is checked apart)."""
    now = now or timezone.now()
    status = appointment.status
    started = appointment.start <= now
    today = _local_day(appointment.start) == _local_day(now)
    if action == "arrive":
        return status == Status.BOOKED and today
    if action == "call":
        return status == Status.ARRIVED and appointment.called_at is None
    if action == "seen":
        return status in (Status.BOOKED, Status.ARRIVED) and started
    if action == "no_show":
        return status == Status.BOOKED and started
    if action == "undo_arrival":
        return status == Status.ARRIVED
    if action in ("cancel", "move"):
        return status == Status.BOOKED
    return False


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
        before = audit.snapshot(locked, STATUS_AUDIT_FIELDS)
        try:
            apply(locked)
        except TransitionError as error:
            # The appointment's current state forbids the change: a conflict, not bad input.
            raise BookingError(str(error), kind=Kind.CONFLICT) from error
        save_or_conflict(locked)
        audit.record(
            actor=by,
            action=action,
            obj=locked,
            changes=audit.diff(before, audit.snapshot(locked, STATUS_AUDIT_FIELDS)),
        )
    # Keep the caller's instance in step with the database.
    appointment.status = locked.status
    appointment.status_changed_at = locked.status_changed_at
    appointment.status_changed_by = locked.status_changed_by
    appointment.cancel_reason = locked.cancel_reason
    appointment.arrived_at = locked.arrived_at
    appointment.called_at = locked.called_at
    return locked


def appointment_mark_arrived(*, appointment: Appointment, by: User) -> Appointment:
    """Into the waiting room, with the arrival time (on the appointment's day only)."""

    def apply(a: Appointment) -> None:
        if a.status == Status.BOOKED:
            check_arrival(a)
        a.mark_arrived(by=by)

    return _transition(appointment, by=by, action="appointment.arrived", apply=apply)


def appointment_call_in(*, appointment: Appointment, by: User) -> Appointment:
    """The practitioner calls the patient from the waiting room (« en consultation »)."""
    return _transition(
        appointment, by=by, action="appointment.called_in", apply=lambda a: a.call_in(by=by)
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
    def apply(a: Appointment) -> None:
        if a.status == Status.BOOKED:
            check_no_show(a)
        a.mark_no_show(by=by)

    return _transition(appointment, by=by, action="appointment.no_show", apply=apply)


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


def _enqueue_waiting_offers(appointment_id: int) -> None:
    from django.conf import settings

    from appointments.tasks import offer_freed_slot

    if settings.APPOINTMENT_WAITING_LIST_OFFERS:
        transaction.on_commit(lambda: offer_freed_slot.delay(appointment_id))
