"""What billing erases and exports for a person (RGPD art. 17 and 15).

Registered with `patients.hooks` at import (imported by `PatientsConfig.ready`).

Kept, because the law requires it (RGPD art. 17(3)(b) and (e)):
- invoices, their lines and payments: accounting pieces, kept ten years (art. L123-22 du Code
  de commerce), with their figures unchanged; they point to the anonymised record, and the
  copy of the coverage frozen on each invoice loses its identifiers (NIR, contract numbers).
- claims: kept while the caisse may recover an undue payment from the centre, three years
  from the payment (art. L133-4 du Code de la sécurité sociale, five in case of fraud), and
  while the insured may claim a payment, two years (art. L332-1 CSS); they carry no identity.
- the lot files sent to the payers (`Batch.file`): the transmitted piece itself, with the NIR
  the payer was sent, kept unchanged for the same delays and readable by billing staff only.
"""

from __future__ import annotations

from typing import Any

from billing.models import Claim, Invoice, Payment
from patients import hooks
from patients.models import Patient

# Keys of the frozen coverage copy that identify the person (patients.coverage.CoverageSummary
# and its ComplementaryCover).
IDENTIFYING_COVERAGE_KEYS = frozenset(
    {
        "insured_nir",
        "beneficiary_nir",
        "contract",
        "organism_number",
        "doctor_name",
        "nir",
        # The médecin traitant's name and the work-accident records (their number and label
        # name the case) identify the person too.
        "medecin_traitant_name",
        "number",
        "label",
    }
)


def _pseudonymise(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: ("" if k in IDENTIFYING_COVERAGE_KEYS and v else _pseudonymise(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_pseudonymise(v) for v in value]
    return value


def erase(patient: Patient) -> hooks.Erasure:
    changed = 0
    for invoice in Invoice.objects.filter(patient=patient).only(
        "pk", "coverage", "work_accident_number"
    ):
        cleaned = _pseudonymise(invoice.coverage)
        if cleaned != invoice.coverage or invoice.work_accident_number:
            Invoice.objects.filter(pk=invoice.pk).update(coverage=cleaned, work_accident_number="")
            changed += 1
    return hooks.Erasure(counts={"invoice_coverage_copies": changed})


def _money(value: Any) -> str:
    return f"{value:.2f}"


def export(patient: Patient) -> dict[str, list[dict[str, Any]]]:
    invoices = (
        Invoice.objects.filter(patient=patient)
        .prefetch_related("lines")
        .order_by("date_of_care", "pk")
    )
    payments = Payment.objects.filter(invoice__patient=patient).order_by("received_on", "pk")
    claims = Claim.objects.filter(invoice__patient=patient).order_by("created_at", "pk")
    return {
        "invoices": [
            {
                "number": i.number,
                "date_of_care": i.date_of_care.isoformat(),
                "version": i.version,
                "superseded": i.superseded_at is not None,
                "total": _money(i.total),
                "amo": _money(i.amo),
                "amc": _money(i.amc),
                "patient_due": _money(i.patient_due),
                "patient_paid": _money(i.patient_paid),
                "acts": [
                    {"code": line.code, "label": line.label, "amount": _money(line.amount)}
                    for line in i.lines.all()
                ],
            }
            for i in invoices
        ],
        "payments": [
            {
                "invoice": p.invoice.number if p.invoice_id else "",
                "received_on": p.received_on.isoformat(),
                "amount": _money(p.amount),
                "payer": p.get_source_display(),
                "method": p.get_method_display(),
                "receipt_number": p.receipt_number,
            }
            for p in payments.select_related("invoice")
        ],
        "claims": [
            {
                "reference": c.reference,
                "invoice": c.invoice.number,
                "payer": c.payer_label or c.payer_code,
                "amount": _money(c.amount),
                "status": c.get_status_display(),
                "paid_amount": _money(c.paid_amount),
                "paid_on": c.paid_on.isoformat() if c.paid_on else None,
                "reject_label": c.reject_label,
            }
            for c in claims.select_related("invoice")
        ],
    }


def records(patient: Patient) -> dict[str, list[str]]:
    invoices = Invoice.objects.filter(patient=patient)
    return {
        "billing.invoice": [str(pk) for pk in invoices.values_list("pk", flat=True)],
        "billing.claim": [
            str(pk)
            for pk in Claim.objects.filter(invoice__in=invoices).values_list("pk", flat=True)
        ],
    }


hooks.register_erasure(erase)
hooks.register_export(export)
hooks.register_records(records)
