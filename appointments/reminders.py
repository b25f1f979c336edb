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
from django.utils import timezone, translation
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext

from appointments.models import (
    ACTIVE_STATUSES,
    Appointment,
    DeliveryStatus,
    Reminder,
    ReminderChannel,
    ReminderKind,
    Status,
    WaitingListEntry,
    WaitingListOffer,
    WaitingStatus,
)
from centre import audit, sms
from centre.models import User
from patients.models import Patient


@dataclass(frozen=True)
class Outcome:
    sent: bool
    reason: str  # "sent", "failed", "already", "no_consent", "started", "not_booked"


def _recipient(appointment: Appointment, channel: str) -> str:
    return patient_recipient(appointment.patient, channel)


def patient_recipient(patient: Patient, channel: str) -> str:
    """The patient's number (E.164) or address on `channel`, or "" without consent."""
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


# Languages the messages to patients are translated into (locale/<code>/LC_MESSAGES), chosen
# from the patient's preferred language; any other language gets French. Translations are
# reviewed by the centre's interpreters before they are added here (docs/appointments.md).
MESSAGE_LANGUAGES = ("fr", "en", "ar", "tr", "ro", "uk", "pt")


def message_language(patient: Patient) -> str:
    language = (patient.language or "fr").lower()
    return language if language in MESSAGE_LANGUAGES else "fr"


def _when(start: datetime.datetime) -> dict[str, str]:
    """The date and time of a slot in the active language (French: « vendredi 4 décembre
    2026 », « 09h00 »)."""
    local = timezone.localtime(start)
    time = f"{local:%H:%M}"
    if translation.get_language() == "fr":
        time = time.replace(":", "h")
    return {"date": date_format(local.date(), "l j F Y"), "time": time}


def message_text(appointment: Appointment, kind: str, *, language: str | None = None) -> str:
    """Confirmation or reminder, in `language` (the patient's, by default). No health detail
    beyond the motif's label; kept within GSM-7 in French so that it fits one or two SMS."""
    language = language or message_language(appointment.patient)
    site = appointment.site
    phone = site.centre.phone
    with translation.override(language):
        values = {
            **_when(appointment.start),
            "motif": appointment.consultation_type.label,
            "site": site.name,
        }
        if kind == ReminderKind.REMINDER:
            text = gettext("Rappel : rendez-vous le %(date)s à %(time)s (%(motif)s), %(site)s.")
        else:
            text = gettext("Rendez-vous confirmé le %(date)s à %(time)s (%(motif)s), %(site)s.")
        text %= values
        if phone:
            text += gettext(" Si vous ne pouvez pas venir, appelez le %(phone)s.") % {
                "phone": phone
            }
    return text


def message_subject(kind: str, *, language: str) -> str:
    with translation.override(language):
        if kind == "offer":
            return gettext("Un rendez-vous s'est libéré")
        return gettext("Votre rendez-vous")


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
        language = message_language(appointment.patient)
        text = message_text(appointment, kind, language=language)
    size = sms.sms_size(text)
    ok, provider_id, error = _send(
        channel, to, text, subject=message_subject(kind, language=language)
    )
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
            extra={
                "channel": channel,
                "reminder": reminder.pk,
                "language": language,
                **({"sms_segments": size.segments} if channel == ReminderChannel.SMS else {}),
            },
        )
    return Outcome(ok, "sent" if ok else "failed")


def _send(channel: str, to: str, text: str, *, subject: str) -> tuple[bool, str, str]:
    """(ok, provider id, error) of one message through the SMS backend or e-mail."""
    if channel == ReminderChannel.SMS:
        result = sms.get_backend().send(to=to, text=text)
        return result.ok, result.provider_id, result.error
    try:
        send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    except OSError as exc:
        return False, "", str(exc)
    return True, "", ""


# --- waiting list: offering a freed slot ----------------------------------------------------

FREED_STATUSES = (Status.EXCUSED, Status.CANCELLED)


def offer_text(freed: Appointment, *, language: str = "fr") -> str:
    """No patient name, no diagnosis: only the slot and how to take it, in `language`."""
    site = freed.site
    phone = site.centre.phone
    with translation.override(language):
        text = gettext(
            "Un rendez-vous s'est libéré le %(date)s à %(time)s (%(motif)s), %(site)s."
        ) % {**_when(freed.start), "motif": freed.consultation_type.label, "site": site.name}
        if phone:
            text += gettext(" Pour le prendre, appelez le %(phone)s.") % {"phone": phone}
        else:
            text += gettext(" Contactez l'accueil.")
    return text


def offer_slot(
    *,
    freed_id: int,
    entry_id: int,
    by: User | None = None,
    now: datetime.datetime | None = None,
) -> list[Outcome]:
    """Offer the slot freed by a cancelled appointment to one waiting-list entry, on each
    channel the patient consented to, at most once per channel (WaitingListOffer unique
    constraint; the row is committed before the message goes out, like reminders). Nothing is
    sent once the slot has started, or if it has been booked again meanwhile."""
    now = now or timezone.now()
    created: list[WaitingListOffer] = []
    with transaction.atomic():
        freed = (
            Appointment.objects.select_related("site__centre", "consultation_type")
            .select_for_update(of=("self",))
            .get(pk=freed_id)
        )
        entry = (
            WaitingListEntry.objects.select_for_update(of=("self",))
            .select_related("patient")
            .get(pk=entry_id)
        )
        if freed.status not in FREED_STATUSES:
            return [Outcome(False, "not_freed")]
        if freed.start <= now:
            return [Outcome(False, "started")]
        if entry.status != WaitingStatus.WAITING:
            return [Outcome(False, "not_waiting")]
        retaken = Appointment.objects.filter(
            practitioner_id=freed.practitioner_id, status__in=ACTIVE_STATUSES
        ).between(freed.start, freed.end)
        if retaken.exists():
            return [Outcome(False, "taken")]
        outcomes: list[Outcome] = []
        for channel in ReminderChannel.values:
            to = patient_recipient(entry.patient, channel)
            if not to:
                continue
            try:
                with transaction.atomic():
                    created.append(
                        WaitingListOffer.objects.create(
                            entry=entry,
                            freed=freed,
                            slot_start=freed.start,
                            channel=channel,
                            to=to,
                            created_by=by,
                        )
                    )
            except IntegrityError:
                outcomes.append(Outcome(False, "already"))
        if not created:
            return outcomes or [Outcome(False, "no_consent")]
        entry.notified_at = now
        entry.save(update_fields=["notified_at"])
        language = message_language(entry.patient)
        text = offer_text(freed, language=language)
    for offer in created:
        ok, provider_id, error = _send(
            offer.channel, offer.to, text, subject=message_subject("offer", language=language)
        )
        with transaction.atomic():
            offer.status = DeliveryStatus.SENT if ok else DeliveryStatus.FAILED
            offer.provider_id = provider_id[:120]
            offer.error = error[:300]
            offer.sent_at = timezone.now() if ok else None
            offer.save(update_fields=["status", "provider_id", "error", "sent_at"])
            audit.record(
                actor=by,
                action=f"waiting_list.offer_{'sent' if ok else 'failed'}",
                obj=entry,
                extra={
                    "channel": offer.channel,
                    "language": language,
                    "freed_appointment": freed.pk,
                    "slot_start": freed.start,
                    "offer": offer.pk,
                },
            )
        outcomes.append(Outcome(ok, "sent" if ok else "failed"))
    return outcomes


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
