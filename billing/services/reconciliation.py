"""The « à rapprocher » worklist: return lines that matched no claim (lump sums, adjustments,
recoveries, payments or rejects naming no claim awaiting them, ARL of no lot sent). The clerk
settles each by hand — booked to the right account, a claim corrected, the caisse asked — and
says how; the line is then « rapproché », journaled."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from billing import perms
from billing.errors import BillingError, BillingNotFound
from billing.models import ItemStatus, ReconciliationItem
from centre import audit
from centre.models import User
from centre.refusals import Kind


def item_resolve(*, item_id: int, resolution: str, by: User) -> ReconciliationItem:
    """Mark a line « rapproché » with what was done (required, kept in the journal)."""
    perms.require(by, perms.BILLING_WRITE)
    resolution = " ".join(resolution.split())
    if not resolution:
        raise BillingError(
            "Indiquez comment la ligne a été rapprochée (compte, demande, appel à la caisse…).",
            field="resolution",
        )
    with transaction.atomic():
        item = ReconciliationItem.objects.select_for_update().filter(pk=item_id).first()
        if item is None:
            raise BillingNotFound("Ligne à rapprocher introuvable.")
        if item.status != ItemStatus.OPEN:
            when = timezone.localtime(item.resolved_at) if item.resolved_at else None
            raise BillingError(
                f"Cette ligne a déjà été rapprochée le {when:%d/%m/%Y}." if when else "Déjà fait.",
                kind=Kind.CONFLICT,
            )
        item.status = ItemStatus.RESOLVED
        item.resolution = resolution[:300]
        item.resolved_at = timezone.now()
        item.resolved_by = by
        item.save(update_fields=["status", "resolution", "resolved_at", "resolved_by"])
        audit.record(
            actor=by,
            action="billing.reconciliation.resolve",
            obj=item,
            changes={"status": [ItemStatus.OPEN, ItemStatus.RESOLVED]},
            extra={"resolution": item.resolution, "amount": str(item.amount)},
        )
    return item
