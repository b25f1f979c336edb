"""A practitioner's agenda as an iCalendar feed (RFC 5545), written by hand: the format is
small and a dependency would not save much. Only time, type, site and status are exported;
patients' names never leave the centre through a URL that calendar apps cache."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone

from appointments.languages import language_name
from appointments.models import ACTIVE_STATUSES, Appointment
from centre.models import StaffProfile

PAST_DAYS = 30
FUTURE_DAYS = 120


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets are folded with CRLF + space (RFC 5545 §3.1)."""
    raw = line.encode()
    if len(raw) <= 75:
        return line
    parts: list[str] = []
    current = b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += encoded
    parts.append(current.decode())
    return "\r\n ".join(parts)


def _utc(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def practitioner_calendar(
    practitioner: StaffProfile, *, now: datetime.datetime | None = None
) -> str:
    now = now or timezone.now()
    appointments = (
        Appointment.objects.filter(
            practitioner=practitioner,
            status__in=ACTIVE_STATUSES,
            start__gte=now - datetime.timedelta(days=PAST_DAYS),
            start__lt=now + datetime.timedelta(days=FUTURE_DAYS),
        )
        .select_related("consultation_type", "site")
        .order_by("start")
    )
    host = settings.SITE_URL.split("://")[-1].split("/")[0]
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Passerelle//Agenda//FR",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(f'Rendez-vous — {practitioner}')}",
        "X-WR-TIMEZONE:Europe/Paris",
    ]
    for appointment in appointments:
        summary = appointment.consultation_type.label
        if appointment.interpreter_language:
            summary += f" (interprète {language_name(appointment.interpreter_language)})"
        lines += [
            "BEGIN:VEVENT",
            f"UID:rdv-{appointment.pk}@{host}",
            f"DTSTAMP:{_utc(appointment.updated_at)}",
            f"DTSTART:{_utc(appointment.start)}",
            f"DTEND:{_utc(appointment.end)}",
            f"SUMMARY:{_escape(summary)}",
            f"LOCATION:{_escape(appointment.site.name)}",
            f"STATUS:{'CONFIRMED'}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
