"""« À faire » items of billing (centre.notifications), for the billing clerks: rejects to
work (rejected or paid in part, the list of `billing:claims_to_work`), claims still to check
before they can be sent (drafts, on `billing:dashboard`) and acknowledged claims with no
payment after 7 working days (art. D161-13-3 CSS, `selectors.overdue_claims`). One aggregate
query; counts only."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from billing import selectors
from billing.models import Claim, ClaimStatus
from centre.models import User
from centre.notifications import NotificationItem, Severity, plural
from centre.roles import Role


def provider(user: User) -> list[NotificationItem]:
    if not user.has_role(Role.FACTURATION):
        return []
    # The same cut-off as `selectors.overdue_claims`, inside the one aggregate.
    cutoff = selectors.overdue_cutoff(timezone.localdate())
    row = Claim.objects.aggregate(
        rejects=Count("pk", filter=Q(status__in=(ClaimStatus.REJECTED, ClaimStatus.PARTLY_PAID))),
        to_check=Count("pk", filter=Q(status=ClaimStatus.DRAFT)),
        overdue=Count("pk", filter=Q(status=ClaimStatus.ACKNOWLEDGED, acknowledged_on__lt=cutoff)),
    )
    to_work = reverse("billing:claims_to_work")
    return [
        NotificationItem(
            kind="billing.rejects",
            label=f"{plural(row['rejects'], 'rejet', 'rejets')} à traiter",
            url=to_work,
            severity=Severity.URGENT,
            count=row["rejects"],
        ),
        NotificationItem(
            kind="billing.overdue",
            label=(
                f"{plural(row['overdue'], 'demande', 'demandes')} sans paiement "
                "7 jours ouvrés après l'accusé de réception"
            ),
            url=to_work,
            severity=Severity.URGENT,
            count=row["overdue"],
        ),
        NotificationItem(
            kind="billing.to_check",
            label=f"{plural(row['to_check'], 'demande', 'demandes')} à vérifier avant envoi",
            url=reverse("billing:dashboard"),
            severity=Severity.WARNING,
            count=row["to_check"],
        ),
    ]
