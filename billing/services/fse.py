"""Securing the care sheet (FSE) when a consultation is closed, through the backend of
`billing.fse` (a certified SESAM-Vitale component; the simulator in development and tests)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from billing import perms
from billing.errors import BillingNotFound
from billing.fse import FseAct, FseRequest, FseResult, FseTimeout, get_fse_backend
from billing.models import FseMode, Invoice
from billing.pricing import PayerType
from centre import audit
from centre.models import User


def _request(invoice: Invoice, card_present: bool) -> FseRequest:
    coverage = invoice.coverage or {}
    return FseRequest(
        invoice_number=invoice.number,
        date_of_care=invoice.date_of_care,
        practitioner_rpps=invoice.practitioner.rpps,
        insured_nir=str(coverage.get("insured_nir") or ""),
        beneficiary_nir=str(coverage.get("beneficiary_nir") or ""),
        birth_date=invoice.patient.birth_date,
        birth_rank=invoice.patient.birth_rank or 1,
        caisse_code=str(coverage.get("amo_caisse") or ""),
        acts=tuple(
            FseAct(line.code, line.coefficient, line.amount, invoice.date_of_care)
            for line in invoice.lines.order_by("id")
        ),
        total=invoice.total,
        amo=invoice.amo,
        card_present=card_present,
    )


def fse_secure(*, invoice_id: int, by: User, card_present: bool = True) -> FseResult:
    """Secure the sheet of a closed consultation. Secured with the card: the invoice keeps the
    sheet number and signing time, and its AMO claim has the 7-working-day payment guarantee.
    Card absent, or no answer from the component: degraded mode, tracked (paper sheet for the
    patient to sign). Refused: nothing secured, the refusals are returned to be fixed (the
    sheet can be secured again). A sheet already secured is returned as is; an invoice with no
    claim to the caisse (rights pending) needs no sheet."""
    perms.require(by, perms.CLOSE_CONSULTATION)
    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("patient", "practitioner")
            .filter(pk=invoice_id, superseded_at__isnull=True)
            .first()
        )
        if invoice is None:
            raise BillingNotFound("Facture introuvable.")
        if invoice.fse_mode:
            return FseResult(invoice.fse_number, invoice.fse_mode, invoice.fse_signed_at)
        if not invoice.claims.filter(payer_type__in=(PayerType.AMO, PayerType.C2S)).exists():
            return FseResult()
        try:
            result = get_fse_backend().secure(_request(invoice, card_present))
        except FseTimeout as error:
            result = FseResult(mode=FseMode.DEGRADED, signed_at=timezone.now())
            reason = str(error)
        else:
            reason = "carte Vitale absente" if result.mode == FseMode.DEGRADED else ""
        if result.refusals:
            audit.record(
                actor=by,
                action="billing.fse.refuse",
                obj=invoice,
                extra={"refusals": [f"{r.code} : {r.reason}" for r in result.refusals]},
            )
            return result
        invoice.fse_mode = result.mode
        invoice.fse_number = result.sheet_number[:24]
        invoice.fse_signed_at = result.signed_at
        invoice.save(update_fields=["fse_mode", "fse_number", "fse_signed_at"])
        audit.record(
            actor=by,
            action="billing.fse.degraded"
            if result.mode == FseMode.DEGRADED
            else "billing.fse.secure",
            obj=invoice,
            changes={"fse_mode": ["", result.mode], "fse_number": ["", invoice.fse_number]},
            extra={"reason": reason} if reason else None,
        )
    return result
