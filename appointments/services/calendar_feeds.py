"""Practitioners' secret ICS feed URLs."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from appointments.models import (
    CalendarFeed,
)
from centre import audit
from centre.models import StaffProfile, User


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


def calendar_feed_live(token: str) -> CalendarFeed | None:
    """The feed a calendar app asks for, if it still answers: not revoked, and its practitioner's
    account active — checked at each request, so an account deactivated by any door (the
    director's page, the admin, a command) silences its feed at once."""
    return (
        CalendarFeed.objects.filter(
            token=token, revoked_at__isnull=True, practitioner__user__is_active=True
        )
        .select_related("practitioner__user")
        .first()
    )
