"""« À faire » item of the reports (centre.notifications), for the direction: report runs
finished in the last 7 days (the list `reports:list`, where they are downloaded). One COUNT
query. Reports hold aggregates only, but the item says just how many are ready."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from centre.models import User
from centre.notifications import NotificationItem, Severity, plural
from centre.reports.models import ReportRun, RunStatus
from centre.roles import Role

READY_DAYS = 7


def provider(user: User) -> list[NotificationItem]:
    if not user.has_role(Role.DIRECTION):
        return []
    since = timezone.now() - datetime.timedelta(days=READY_DAYS)
    count = ReportRun.objects.filter(status=RunStatus.DONE, finished_at__gte=since).count()
    return [
        NotificationItem(
            kind="reports.ready",
            label=(
                f"{plural(count, 'rapport prêt', 'rapports prêts')} ces {READY_DAYS} derniers jours"
            ),
            url=reverse("reports:list"),
            severity=Severity.INFO,
            count=count,
        )
    ]
