"""The optional daily e-mail « À faire » (settings.NOTIFICATIONS_DIGEST), sent by the beat
task `centre.tasks.send_digests`.

Each active member of staff with something waiting gets a plain-text e-mail with the counts
of their inbox (centre.notifications) and a link to each page. Counts and links only: an
e-mail leaves the centre's systems, so it carries no health data and no patient name (RGPD
art. 5(1)(c) and 32; the items are built from COUNT queries and never name anybody). A day's
digest is sent once per person even if the task runs twice (a Redis key per day and person).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation

from centre import notifications
from centre.models import User
from centre.roles import STAFF_ROLES

# Two days: long enough to cover the day of the digest in any time zone, then forgotten.
_SENT_KEY_SECONDS = 2 * 24 * 3600


def _staff() -> list[User]:
    from django.contrib.auth.models import Group

    users = list(
        User.objects.filter(is_active=True, groups__name__in=[r.value for r in STAFF_ROLES])
        .exclude(email="")
        .distinct()
        .prefetch_related(Prefetch("groups", queryset=Group.objects.only("name")))
        .order_by("pk")
    )
    for user in users:
        # The roles cache of User.roles, filled from the prefetch: no query per person.
        user._roles_cache = frozenset(g.name for g in user.groups.all())
    return users


def digest_text(user: User, items: list[notifications.NotificationItem], on: datetime.date) -> str:
    base = settings.SITE_URL.rstrip("/")
    with translation.override("fr"):
        day = formats.date_format(on, "l j F Y")
    return render_to_string(
        "centre/email/digest.txt",
        {
            "user": user,
            "day": day,
            "items": [(item.label, base + item.url) for item in items],
            "inbox_url": base + reverse("notifications"),
        },
    )


def digest_send_all(*, on: datetime.date | None = None) -> int:
    """Sends the day's digests; returns how many were sent (0 when the setting is off)."""
    if not settings.NOTIFICATIONS_DIGEST:
        return 0
    on = on or timezone.localdate()
    messages = []
    for user in _staff():
        items = notifications.inbox(user)
        if not items:
            continue
        if not cache.add(f"notifications:digest:{on.isoformat()}:{user.pk}", 1, _SENT_KEY_SECONDS):
            continue  # already sent today
        with translation.override("fr"):
            subject = f"Passerelle — à faire le {formats.date_format(on, 'l j F')}"
        messages.append(
            mail.EmailMessage(subject=subject, body=digest_text(user, items, on), to=[user.email])
        )
    if messages:
        with mail.get_connection() as connection:
            connection.send_messages(messages)
    return len(messages)
