"""Working the claims a payer rejected or paid in part: resubmit, bill the patient, write off."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from billing import perms
from billing.errors import BillingError
from billing.models import (
    Claim,
    ClaimStatus,
    Invoice,
    TransitionError,
)
from centre import audit
from centre.models import User
from centre.refusals import Kind

CLAIM_FIELDS = ("status", "closing_reason")


def claim_resubmit(*, claim: Claim, by: User) -> Claim:
    """Correct and resubmit: the rejected (or partly paid) claim is closed and a new claim for
    what is still owed goes into the next batch."""
    perms.require(by, perms.BILLING_WRITE)
    with transaction.atomic():
        old = Claim.objects.select_for_update().get(pk=claim.pk)
        before = audit.snapshot(old, CLAIM_FIELDS)
        try:
            old.mark_corrected()
        except TransitionError as error:
            raise BillingError(str(error), kind=Kind.CONFLICT) from error
        old.save(update_fields=["status", "updated_at"])
        count = Claim.objects.filter(invoice_id=old.invoice_id, payer_type=old.payer_type).count()
        new = Claim.objects.create(
            reference=f"{old.invoice.number}-{old.payer_type}{count + 1}",
            invoice_id=old.invoice_id,
            payer_type=old.payer_type,
            payer_code=old.payer_code,
            payer_label=old.payer_label,
            amount=old.outstanding,
            replaces=old,
            status=ClaimStatus.READY,
        )
        audit.record(
            actor=by,
            action="billing.claim.resubmit",
            obj=old,
            changes=audit.diff(before, audit.snapshot(old, CLAIM_FIELDS)),
            extra={"new_claim": new.reference, "amount": str(new.amount)},
        )
    return new


def claim_bill_patient(*, claim: Claim, by: User, reason: str = "") -> Claim:
    """What the payer refused is asked of the patient (added to what is due at the desk)."""
    perms.require(by, perms.BILLING_WRITE)
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        before = audit.snapshot(locked, CLAIM_FIELDS)
        try:
            locked.bill_patient(reason or locked.reject_label)
        except TransitionError as error:
            raise BillingError(str(error), kind=Kind.CONFLICT) from error
        locked.save(update_fields=["status", "closing_reason", "updated_at"])
        Invoice.objects.filter(pk=locked.invoice_id).update(
            patient_due=F("patient_due") + locked.outstanding
        )
        audit.record(
            actor=by,
            action="billing.claim.bill_patient",
            obj=locked,
            changes=audit.diff(before, audit.snapshot(locked, CLAIM_FIELDS)),
            extra={"amount": str(locked.outstanding)},
        )
    return locked


def claim_write_off(*, claim: Claim, reason: str, by: User) -> Claim:
    """The amount will not be recovered: the claim is closed as a loss, with the reason."""
    perms.require(by, perms.BILLING_WRITE)
    if not reason.strip():
        raise BillingError("Indiquez le motif de la perte.", field="reason")
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        before = audit.snapshot(locked, CLAIM_FIELDS)
        try:
            locked.write_off(reason)
        except TransitionError as error:
            raise BillingError(str(error), kind=Kind.CONFLICT) from error
        locked.save(update_fields=["status", "closing_reason", "updated_at"])
        audit.record(
            actor=by,
            action="billing.claim.write_off",
            obj=locked,
            changes=audit.diff(before, audit.snapshot(locked, CLAIM_FIELDS)),
            extra={"amount": str(locked.outstanding)},
        )
    return locked
