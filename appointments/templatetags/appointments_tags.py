"""Template filters of the agenda: French dates (« 1er décembre »), language names, phones in
French format, and which status actions make sense now (`appointments.services.statuses`)."""

from __future__ import annotations

import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

from appointments.languages import language_name
from patients.identifiers import format_phone

register = template.Library()


def french_date(value: datetime.date | datetime.datetime, fmt: str = "l j F Y") -> str:
    """Django's date format with the French ordinal of the first day of the month
    (« mardi 1er décembre 2026 », as the Imprimerie nationale's rules write it)."""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    if value.day == 1:
        fmt = fmt.replace("j", r"j\e\r")
    return str(date_format(value, fmt))


@register.filter(expects_localtime=True)
def fr_date(value: Any, fmt: str = "l j F Y") -> str:
    if not value:
        return ""
    return french_date(value, fmt)


@register.filter
def language(value: str) -> str:
    return language_name(value)


@register.filter
def phone_fr(value: str) -> str:
    return format_phone(value or "")


@register.filter
def offers(appointment: Any, action: str) -> bool:
    """`{% if appointment|offers:"arrive" %}`: the action makes sense now."""
    from appointments.services.statuses import offers as status_offers

    return status_offers(appointment, action)


@register.filter
def waited(appointment: Any, now: datetime.datetime | None = None) -> int:
    """Minutes waited in the waiting room (0 when the arrival time is unknown)."""
    return appointment.minutes_waited(now) or 0


@register.filter
def duration_minutes(appointment: Any) -> int:
    return int((appointment.end - appointment.start).total_seconds() // 60)


@register.filter
def has_slots(column: Any) -> bool:
    return any(b.kind == "slot" for b in column.blocks)


@register.filter
def can_book(user: Any) -> bool:
    """`{% if user|can_book %}`: reception's « Prendre un rendez-vous » (patient record)."""
    from appointments import perms

    return bool(getattr(user, "is_authenticated", False)) and perms.can_book(user)
