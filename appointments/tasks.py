"""Celery tasks: they take ids and call `appointments.reminders`; running one twice is
harmless (the Reminder unique constraint refuses the second message)."""

from __future__ import annotations

from celery import shared_task

from appointments import reminders
from appointments.models import Appointment, ReminderKind


@shared_task(
    name="appointments.tasks.send_reminder",
    acks_late=True,
    time_limit=60,
    soft_time_limit=50,
    max_retries=0,
)
def send_reminder(appointment_id: int, channel: str) -> str:
    return reminders.deliver(
        appointment_id=appointment_id, kind=ReminderKind.REMINDER, channel=channel
    ).reason


@shared_task(
    name="appointments.tasks.send_confirmation", acks_late=True, time_limit=60, soft_time_limit=50
)
def send_confirmation(appointment_id: int) -> list[str]:
    appointment = Appointment.objects.select_related("patient").get(pk=appointment_id)
    return [
        reminders.deliver(
            appointment_id=appointment_id, kind=ReminderKind.CONFIRMATION, channel=channel
        ).reason
        for channel in reminders.consented_channels(appointment)
    ]


@shared_task(
    name="appointments.tasks.queue_reminders", acks_late=True, time_limit=300, soft_time_limit=280
)
def queue_reminders() -> int:
    """Run by Celery beat every 15 minutes: one task per due (appointment, channel)."""
    due = reminders.due_for_reminder()
    for appointment_id, channel in due:
        send_reminder.delay(appointment_id, channel)
    return len(due)


@shared_task(
    name="appointments.tasks.offer_freed_slot", acks_late=True, time_limit=120, soft_time_limit=100
)
def offer_freed_slot(appointment_id: int) -> list[str]:
    """Enqueued when an appointment is cancelled: the slot is offered to the first
    APPOINTMENT_WAITING_LIST_OFFERS people waiting for that type (oldest first). Idempotent:
    an offer is never made twice on a channel (WaitingListOffer unique constraint)."""
    from django.conf import settings

    from appointments import selectors

    appointment = Appointment.objects.get(pk=appointment_id)
    limit = settings.APPOINTMENT_WAITING_LIST_OFFERS
    reasons: list[str] = []
    for entry in selectors.waiting_candidates(appointment)[:limit] if limit else []:
        reasons.extend(
            o.reason for o in reminders.offer_slot(freed_id=appointment_id, entry_id=entry.pk)
        )
    return reasons
