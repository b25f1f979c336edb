"""Messages to patients about their appointments: booking confirmation and the reminder the
day before. Rules (issue 4): never without the patient's consent, never twice, never once the
appointment has started; the delivery status is stored on `Reminder`."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateformat import format as date_format

from appointments.models import (
    Appointment,
    DeliveryStatus,
    Reminder,
    ReminderChannel,
    ReminderKind,
    Status,
)
from centre import audit, sms


@dataclass(frozen=True)
class Outcome:
    sent: bool
    reason: str  # "sent", "failed", "already", "no_consent", "started", "not_booked"


def _recipient(appointment: Appointment, channel: str) -> str:
    patient = appointment.patient
    if channel == ReminderChannel.SMS:
        if not (patient.consent_sms and patient.phone):
            return ""
        try:
            number = phonenumbers.parse(patient.phone, "FR")
        except phonenumbers.NumberParseException:
            return ""
        if not phonenumbers.is_valid_number(number):
            return ""
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if channel == ReminderChannel.EMAIL:
        return patient.email if patient.consent_email and patient.email else ""
    return ""


def consented_channels(appointment: Appointment) -> list[str]:
    return [c for c in ReminderChannel.values if _recipient(appointment, c)]


def message_text(appointment: Appointment, kind: str) -> str:
    local = timezone.localtime(appointment.start)
    when = f"{date_format(local.date(), 'l j F Y')} à {local:%H:%M}".replace(":", "h")
    site = appointment.site
    phone = site.centre.phone
    lead = "Rappel : rendez-vous" if kind == ReminderKind.REMINDER else "Rendez-vous confirmé"
    text = f"{lead} le {when} ({appointment.consultation_type.label}), {site.name}."
    if phone:
        text += f" En cas d'empêchement, appelez le {phone}."
    return text


def deliver(
    *, appointment_id: int, kind: str, channel: str, now: datetime.datetime | None = None
) -> Outcome:
    """Send one message, at most once. The Reminder row is created (and committed) before the
    message goes out: if the worker dies mid-send the row stays « pending » and nobody sends
    it again — a missed reminder is better than a duplicate one."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("patient", "site__centre", "consultation_type")
            .get(pk=appointment_id)
        )
        if appointment.status != Status.BOOKED:
            return Outcome(False, "not_booked")
        if appointment.start <= now:
            return Outcome(False, "started")
        to = _recipient(appointment, channel)
        if not to:
            return Outcome(False, "no_consent")
        try:
            with transaction.atomic():
                reminder = Reminder.objects.create(
                    appointment=appointment, kind=kind, channel=channel, to=to
                )
        except IntegrityError:
            return Outcome(False, "already")
        text = message_text(appointment, kind)
    if channel == ReminderChannel.SMS:
        result = sms.get_backend().send(to=to, text=text)
        ok, provider_id, error = result.ok, result.provider_id, result.error
    else:
        try:
            send_mail("Votre rendez-vous", text, settings.DEFAULT_FROM_EMAIL, [to])
            ok, provider_id, error = True, "", ""
        except OSError as exc:
            ok, provider_id, error = False, "", str(exc)
    with transaction.atomic():
        reminder.status = DeliveryStatus.SENT if ok else DeliveryStatus.FAILED
        reminder.provider_id = provider_id[:120]
        reminder.error = error[:300]
        reminder.sent_at = timezone.now() if ok else None
        reminder.save(update_fields=["status", "provider_id", "error", "sent_at"])
        audit.record(
            actor=None,
            action=f"appointment.{kind}_{'sent' if ok else 'failed'}",
            obj=appointment,
            extra={"channel": channel, "reminder": reminder.pk},
        )
    return Outcome(ok, "sent" if ok else "failed")


def due_for_reminder(now: datetime.datetime | None = None) -> list[tuple[int, str]]:
    """(appointment id, channel) pairs whose reminder is due: booked, starting within
    APPOINTMENT_REMINDER_HOURS, consent given, not yet attempted. One query."""
    now = now or timezone.now()
    horizon = now + datetime.timedelta(hours=settings.APPOINTMENT_REMINDER_HOURS)
    rows = (
        Appointment.objects.filter(status=Status.BOOKED, start__gt=now, start__lte=horizon)
        .select_related("patient")
        .prefetch_related("reminders")
    )
    due: list[tuple[int, str]] = []
    for appointment in rows:
        done = {(r.kind, r.channel) for r in appointment.reminders.all()}
        for channel in consented_channels(appointment):
            if (ReminderKind.REMINDER, channel) not in done:
                due.append((appointment.pk, channel))
    return due
