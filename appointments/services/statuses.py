"""Status changes of an appointment: arrival, seen, no-show, cancellation. Each locks the
row, runs the model's transition, saves and audits in one transaction."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from appointments.models import (
    Appointment,
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
            # The appointment's current state forbids the change: a conflict, not bad input.
            raise BookingError(str(error), kind=Kind.CONFLICT) from error
        save_or_conflict(locked)
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


def _enqueue_waiting_offers(appointment_id: int) -> None:
    from django.conf import settings

    from appointments.tasks import offer_freed_slot

    if settings.APPOINTMENT_WAITING_LIST_OFFERS:
        transaction.on_commit(lambda: offer_freed_slot.delay(appointment_id))
