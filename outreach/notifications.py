"""« À faire » items of outreach (centre.notifications).

- reception: referrals to the centre waiting to be booked, and how many are past the deadline
  of their urgency (`Referral.due_at`);
- mediation: their own follow-ups due today or earlier and the open rights files these
  follow-ups belong to.
Each role gets one aggregate query; counts only, no person named."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from centre.models import User
from centre.notifications import NotificationItem, Severity, plural
from centre.roles import Role
from outreach.models import FileStatus, Referral, RightsSession


def _referrals(user: User) -> list[NotificationItem]:
    now = timezone.now()
    row = Referral.objects.pending_to_centre().aggregate(
        waiting=Count("pk"), late=Count("pk", filter=Q(due_at__lt=now))
    )
    waiting, late = row["waiting"], row["late"]
    label = f"{plural(waiting, 'orientation', 'orientations')} vers le centre à programmer"
    if late:
        label += f", dont {late} en retard"
    return [
        NotificationItem(
            kind="outreach.referrals",
            label=label,
            url=reverse("outreach_referral_queue"),
            severity=Severity.URGENT if late else Severity.WARNING,
            count=waiting,
        )
    ]


def _followups(user: User) -> list[NotificationItem]:
    today = timezone.localdate()
    open_file = Q(file__isnull=False) & ~Q(
        file__status__in=(FileStatus.DECIDED, FileStatus.ABANDONED)
    )
    row = (
        RightsSession.objects.followups_due(on=today)
        .filter(mediator=user)
        .aggregate(
            due=Count("pk"),
            late=Count("pk", filter=Q(followup_on__lt=today)),
            files=Count("file", distinct=True, filter=open_file),
        )
    )
    url = reverse("outreach_followups")
    due_label = f"{plural(row['due'], 'suivi', 'suivis')} à faire (prévus aujourd'hui ou avant)"
    if row["late"]:
        due_label += f", dont {row['late']} en retard"
    return [
        NotificationItem(
            kind="outreach.followups",
            label=due_label,
            url=url,
            severity=Severity.URGENT if row["late"] else Severity.WARNING,
            count=row["due"],
        ),
        NotificationItem(
            kind="outreach.files",
            label=(
                f"{plural(row['files'], 'dossier ouvert', 'dossiers ouverts')} dont le suivi est dû"
            ),
            url=url,
            severity=Severity.WARNING,
            count=row["files"],
        ),
    ]


def provider(user: User) -> list[NotificationItem]:
    items: list[NotificationItem] = []
    if user.has_role(Role.ACCUEIL):
        items += _referrals(user)
    if user.has_role(Role.MEDIATION):
        items += _followups(user)
    return items
