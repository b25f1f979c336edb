"""Payments at the desk (reception records what the patient paid, with a receipt)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from billing import perms
from billing.errors import BillingError
from billing.models import (
    Invoice,
    Payment,
    PaymentMethod,
    PaymentSource,
)
from billing.money import to_cents
from centre import audit
from centre.models import User
from centre.refusals import Kind


def payment_record(
    *, invoice: Invoice, amount: Decimal, method: str, by: User, reference: str = ""
) -> Payment:
    """Reception records what the patient paid at the desk."""
    perms.require(by, perms.CASHIER)
    if method not in {PaymentMethod.CASH, PaymentMethod.CARD, PaymentMethod.CHEQUE}:
        raise BillingError("Moyen de paiement : espèces, carte ou chèque.", field="method")
    amount = to_cents(amount)
    if amount <= 0:
        raise BillingError("Le montant doit être positif.", field="amount")
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.superseded_at is not None:
            raise BillingError(
                "Cette facture a été remplacée : encaissez sur la nouvelle version.",
                kind=Kind.CONFLICT,
            )
        if amount > locked.patient_balance:
            raise BillingError(
                f"Le montant dépasse le reste à régler ({locked.patient_balance} €).",
                field="amount",
            )
        payment = Payment.objects.create(
            invoice=locked,
            source=PaymentSource.PATIENT,
            method=method,
            amount=amount,
            received_on=timezone.localdate(),
            reference=reference[:40],
            recorded_by=by,
        )
        payment.receipt_number = f"R{payment.received_on.year}{payment.pk:07d}"
        payment.save(update_fields=["receipt_number"])
        Invoice.objects.filter(pk=locked.pk).update(patient_paid=F("patient_paid") + amount)
        audit.record(
            actor=by,
            action="billing.payment.record",
            obj=locked,
            changes={"amount": str(amount), "method": method},
        )
    invoice.refresh_from_db()
    return payment
