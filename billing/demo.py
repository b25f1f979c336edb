"""Demo billing: invoices for the past seen consultations, monthly batches, returns with about
3 % rejects, a few partial payments, and a last month still unpaid.

Idempotent: consultations that already have an invoice are skipped, batches are built only
from ready claims, and a return file is imported once (same content, same sha256).
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from billing.errors import BillingError
from billing.formats import (
    AckRecord,
    PaymentRecord,
    RejectRecord,
    ReturnRecord,
    UnmatchedKind,
    UnmatchedRecord,
    return_lines,
)
from billing.models import Batch, BatchStatus, Claim, ClaimStatus, Invoice
from billing.rejects import REJECT_REASONS
from billing.services import batches, invoices, returns
from centre.models import Profession

ACTS_BY_PROFESSION: dict[str, list[tuple[str, Decimal | None]]] = {
    Profession.GENERALISTE: [("G", None)],
    Profession.GYNECOLOGUE: [("CS", None)],
    Profession.INFIRMIER: [("AMI", Decimal("1")), ("AMI", Decimal("2"))],
    Profession.ORTHOPHONISTE: [("AMO", Decimal("10")), ("AMO", Decimal("13.5"))],
}


def seed(org: Any, rng: random.Random) -> str:
    try:
        from appointments.models import Appointment, Status
    except ImportError:  # pragma: no cover
        return ""
    clerk = next((u for u in org.users.values() if u.has_role("facturation")), None)
    if clerk is None:
        return ""
    today = timezone.localdate()
    seen = (
        Appointment.objects.filter(status=Status.SEEN, start__date__lt=today, invoice__isnull=True)
        .select_related("patient", "practitioner", "site")
        .order_by("start", "id")
    )
    created = 0
    for appointment in seen:
        choices = ACTS_BY_PROFESSION.get(appointment.practitioner.profession)
        if not choices:
            continue
        code, coefficient = rng.choice(choices)
        day = timezone.localtime(appointment.start).date()
        acts = [invoices.ActChoice(code, coefficient)]
        if code == "G" and appointment.patient.age_on(day) < 6:
            acts.append(invoices.ActChoice("MEG"))
        try:
            invoices.invoice_create(
                patient=appointment.patient,
                practitioner=appointment.practitioner,
                site=appointment.site,
                on=day,
                acts=acts,
                appointment=appointment,
                by=appointment.practitioner.user,
            )
        except BillingError:
            continue
        created += 1

    # One batch per payer and per month of care, as if built every month.
    months: dict[tuple[int, int], list[int]] = defaultdict(list)
    for claim_id, day in Claim.objects.ready().values_list("id", "invoice__date_of_care"):
        if (today - day).days > 7:
            months[(day.year, day.month)].append(claim_id)
    built = 0
    for _, ids in sorted(months.items()):
        for batch_id in batches.batches_build(by=clerk, claim_ids=ids):
            batches.batch_send(batch_id=batch_id, by=clerk)
            built += 1

    imported = 0
    for batch in Batch.objects.filter(status=BatchStatus.SENT).order_by("id"):
        last_care = (
            Invoice.objects.filter(claims__batch=batch)
            .order_by("-date_of_care")
            .values_list("date_of_care", flat=True)
            .first()
        )
        if last_care is None:
            continue
        ack_on = min(today, last_care + datetime.timedelta(days=3))
        paid_on = ack_on + datetime.timedelta(days=rng.randint(3, 9))
        records: list[ReturnRecord] = [AckRecord(0, batch.number, True, ack_on, "", "")]
        # Payers pay within about two weeks: only the month in progress and the last one's
        # late batch stay unpaid (with 45 days, the month before last showed 0,00 € collected).
        if paid_on <= today and (today - last_care).days > 25:
            codes = sorted(REJECT_REASONS)
            for ref, amount in batch.claims.order_by("id").values_list("reference", "amount"):
                draw = rng.random()
                if draw < 0.03:
                    records.append(RejectRecord(0, ref, rng.choice(codes), ""))
                elif draw < 0.05 and amount > 1:
                    paid = (amount * Decimal("0.7")).quantize(Decimal("0.01"))
                    records.append(
                        PaymentRecord(0, ref, paid, paid_on, f"VIR{batch.pk:06d}", "R07", "")
                    )
                else:
                    records.append(
                        PaymentRecord(0, ref, amount, paid_on, f"VIR{batch.pk:06d}", "", "")
                    )
        data = "".join(
            return_lines(
                payer_type=batch.payer_type,
                payer_code=batch.payer_code,
                created_on=ack_on,
                records=records,
            )
        ).encode()
        _, new = returns.return_import(
            open_lines=lambda data=data: data.splitlines(keepends=True),  # type: ignore[misc]
            filename=f"retour-{batch.payer_type}-{batch.payer_code}-{batch.number:05d}.txt",
            by=clerk,
        )
        imported += int(new)
    return f"{created} factures, {built} lots, {imported} fichiers retour"


@dataclass(frozen=True)
class SampleReturn:
    filename: str
    content: bytes
    lots: int
    payments: int
    rejects: int


def sample_return(today: datetime.date | None = None) -> SampleReturn:
    """A return file for the demo data, to try the import (development only: the page offers it
    when not in production). It plays the caisse of the oldest lot still awaiting an answer:
    an ARL for each of its lots sent, a payment for each claim awaiting one, but a reject
    (R02) for the first, plus a lump sum (forfait structure, 150.00 €) and a recovery of
    participations forfaitaires (2.00 €) that match no claim — these go « à rapprocher »."""
    today = today or timezone.localdate()
    first = (
        Batch.objects.filter(status__in=(BatchStatus.SENT, BatchStatus.ACKNOWLEDGED))
        .order_by("id")
        .first()
    )
    payer_type, payer_code = (first.payer_type, first.payer_code) if first else ("AMO", "861")
    lots = list(
        Batch.objects.filter(
            payer_type=payer_type, payer_code=payer_code, status=BatchStatus.SENT
        ).order_by("number")
    )
    records: list[ReturnRecord] = [AckRecord(0, b.number, True, today, "", "") for b in lots]
    claims = (
        Claim.objects.filter(
            batch__payer_type=payer_type,
            batch__payer_code=payer_code,
            status__in=(ClaimStatus.SENT, ClaimStatus.ACKNOWLEDGED),
        )
        .order_by("id")
        .values_list("reference", "amount")
    )
    payments = rejects = 0
    for i, (ref, amount) in enumerate(claims):
        if i == 0:
            records.append(RejectRecord(0, ref, "R02", ""))
            rejects += 1
        else:
            records.append(PaymentRecord(0, ref, amount, today, f"VIR-EX-{today:%Y%m%d}", "", ""))
            payments += 1
    transfer = f"VIR-EX-{today:%Y%m%d}"
    records.append(
        UnmatchedRecord(
            0, UnmatchedKind.LUMP_SUM, Decimal("150.00"), today, transfer, "", "FST",
            "Forfait structure (exemple)",
        )
    )  # fmt: skip
    records.append(
        UnmatchedRecord(
            0, UnmatchedKind.RECOVERY, Decimal("2.00"), today, transfer, "", "PF",
            "Récupération de participations forfaitaires (exemple)",
        )
    )  # fmt: skip
    text = "".join(
        return_lines(
            payer_type=payer_type, payer_code=payer_code, created_on=today, records=records
        )
    )
    name = f"retour-exemple-{payer_type}-{payer_code}-{today:%Y%m%d}.txt"
    return SampleReturn(name, text.encode(), len(lots), payments, rejects)
