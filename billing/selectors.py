"""Reads of the billing app: fee schedule on a date, worklists, ageing of unpaid claims."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar

import holidays
from django.db.models import Count, Exists, Max, Model, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from billing import perms
from billing.errors import BillingNotFound
from billing.models import (
    Act,
    Batch,
    BatchStatus,
    Claim,
    ClaimStatus,
    Invoice,
    ItemStatus,
    Parameter,
    ParameterKey,
    Payment,
    PaymentSource,
    ReconciliationItem,
    ReturnFile,
    Tariff,
)
from billing.money import ZERO
from billing.pricing import AlreadyCharged, Deductibles
from centre import audit
from centre.models import User
from centre.roles import Role

M = TypeVar("M", bound=Model)

# Payment delay under tiers payant: 7 working days at most, for the AMO share of care sheets
# secured with the patient's Vitale card only (art. L161-36-3 and L161-36-4 CSS, décret
# n° 2016-1069 du 3 août 2016: penalty of 1 € on the 8th and 9th working day, 10 % from the
# 10th) — counted here from the ARL; docs/billing.md « Délais ».
PAYMENT_DELAY_WORKING_DAYS = 7
# Sending deadline of electronic care sheets when the patient does not advance the fees:
# 8 working days from the date of care (art. R161-47 I 1° b CSS; 3 working days in direct
# payment, a) — which Passerelle never uses: every claim is tiers payant).
SENDING_DELAY_WORKING_DAYS = 8
# The payers R161-47 speaks of: the organisms serving the basic benefits (the caisse, which
# also pays the C2S share). A complementary (AMC) or the PASS agreement has its own terms.
SENDING_DEADLINE_PAYERS = ("AMO", "C2S")
NOT_SENT_STATES = (ClaimStatus.DRAFT, ClaimStatus.READY, ClaimStatus.IN_BATCH)
AGEING_BUCKETS = ((0, 30, "0–30 jours"), (31, 60, "31–60 jours"), (61, 90, "61–90 jours"))
OPEN_CLAIM_STATES = (
    ClaimStatus.SENT,
    ClaimStatus.ACKNOWLEDGED,
    ClaimStatus.REJECTED,
    ClaimStatus.PARTLY_PAID,
)


def tariff_on(act: Act, day: datetime.date) -> Tariff | None:
    """The tariff of `act` valid on `day`: the latest one started on or before that day."""
    return Tariff.objects.filter(act=act).valid_on(day).order_by("-valid_from").first()


def deductibles_on(day: datetime.date) -> Deductibles:
    """Dated PF / franchise parameters valid on `day` (defaults if none loaded)."""
    values: dict[str, Decimal] = {}
    for key, value in (
        Parameter.objects.filter(valid_from__lte=day)
        .order_by("key", "-valid_from")
        .distinct("key")
        .values_list("key", "value")
    ):
        values[key] = value
    base = Deductibles()
    return Deductibles(
        pf_amount=values.get(ParameterKey.PF_AMOUNT, base.pf_amount),
        pf_day_cap=values.get(ParameterKey.PF_DAY_CAP, base.pf_day_cap),
        pf_year_cap=values.get(ParameterKey.PF_YEAR_CAP, base.pf_year_cap),
        franchise_amount=values.get(ParameterKey.FRANCHISE_AMOUNT, base.franchise_amount),
        franchise_day_cap=values.get(ParameterKey.FRANCHISE_DAY_CAP, base.franchise_day_cap),
        franchise_year_cap=values.get(ParameterKey.FRANCHISE_YEAR_CAP, base.franchise_year_cap),
        out_of_pathway_rate=values.get(ParameterKey.OUT_OF_PATHWAY_RATE, base.out_of_pathway_rate),
    )


def already_charged(patient_id: int, day: datetime.date) -> AlreadyCharged:
    year = (
        Invoice.objects.current()
        .filter(patient_id=patient_id, date_of_care__year=day.year)
        .aggregate(
            pf_year=Sum("pf"),
            franchise_year=Sum("franchise"),
            pf_day=Sum("pf", filter=Q(date_of_care=day)),
            franchise_day=Sum("franchise", filter=Q(date_of_care=day)),
        )
    )
    return AlreadyCharged(**{k: v or ZERO for k, v in year.items()})


def visible_invoices(user: User) -> QuerySet[Invoice]:
    """Invoices a user may open: everything for billing, direction and reception; a
    practitioner only the invoices of their own consultations; nobody else."""
    qs = Invoice.objects.select_related("patient", "practitioner__user")
    if user.is_superuser or user.has_role(Role.FACTURATION, Role.DIRECTION, Role.ACCUEIL):
        return qs
    if user.has_role(Role.SOIGNANT):
        return qs.filter(practitioner__user=user)
    return qs.none()


@lru_cache(maxsize=8)
def _french_holidays(year: int) -> frozenset[datetime.date]:
    return frozenset(holidays.country_holidays("FR", years=year).keys())


def is_working_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and day not in _french_holidays(day.year)


def add_working_days(day: datetime.date, count: int) -> datetime.date:
    """The `count`-th working day after `day` (weekends and French public holidays skipped)."""
    counted = 0
    while counted < count:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def overdue_cutoff(today: datetime.date) -> datetime.date:
    """Claims acknowledged before this date have had their 7 working days."""
    day, counted = today, 0
    while counted < PAYMENT_DELAY_WORKING_DAYS:
        day -= datetime.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def sending_deadline(date_of_care: datetime.date) -> datetime.date:
    """Last day to send the care sheet of `date_of_care` (art. R161-47 I 1° b CSS)."""
    return add_working_days(date_of_care, SENDING_DELAY_WORKING_DAYS)


def sending_cutoff(today: datetime.date) -> datetime.date:
    """The earliest date of care whose sending deadline is not yet past on `today`: care
    before it is late (the deadline grows with the date of care, so walking back is enough)."""
    day = today
    while sending_deadline(day - datetime.timedelta(days=1)) >= today:
        day -= datetime.timedelta(days=1)
    return day


def claims_to_send() -> QuerySet[Claim]:
    """Tiers-payant claims to the caisse not sent yet (to check, ready, in a lot not sent)."""
    return Claim.objects.filter(
        status__in=NOT_SENT_STATES,
        payer_type__in=SENDING_DEADLINE_PAYERS,
        invoice__superseded_at__isnull=True,
    )


def claims_sending_late(today: datetime.date | None = None) -> QuerySet[Claim]:
    """Not sent and past their 8-working-day deadline (art. R161-47 I 1° b CSS)."""
    cutoff = sending_cutoff(today or timezone.localdate())
    return claims_to_send().filter(invoice__date_of_care__lt=cutoff)


def claims_sending_soon(today: datetime.date | None = None, *, days: int = 2) -> QuerySet[Claim]:
    """Not sent, in time, but their deadline falls within `days` working days."""
    today = today or timezone.localdate()
    cutoff = sending_cutoff(today)
    later = sending_cutoff(add_working_days(today, days))
    return claims_to_send().filter(
        invoice__date_of_care__gte=cutoff, invoice__date_of_care__lt=later
    )


def batches_without_arl(now: datetime.datetime | None = None) -> QuerySet[Batch]:
    """Lots sent and still without ARL `BILLING_ARL_WAIT_DAYS` after their last sending:
    flagged, and they may be sent again (`batches.batch_send`)."""
    from billing.services.batches import awaiting_arl_since

    return Batch.objects.filter(status=BatchStatus.SENT, last_sent_at__lt=awaiting_arl_since(now))


def overdue_claims(today: datetime.date | None = None) -> QuerySet[Claim]:
    """Claims late on the payer's side: acknowledged more than 7 working days ago without
    payment, for sheets secured with the Vitale card (the only ones the delay applies to:
    art. L161-36-3 and L161-36-4 CSS), and claims of a lot that never got its ARL
    (`batches_without_arl`)."""
    from billing.models import FseMode

    now = (
        timezone.now()
        if today is None
        else timezone.make_aware(datetime.datetime.combine(today, datetime.time(23, 59)))
    )
    cutoff = overdue_cutoff(today or timezone.localdate())
    unacknowledged = batches_without_arl(now).values("pk")
    return Claim.objects.filter(
        Q(
            status=ClaimStatus.ACKNOWLEDGED,
            acknowledged_on__lt=cutoff,
            invoice__fse_mode=FseMode.CARD,
        )
        | Q(status=ClaimStatus.SENT, batch__in=unacknowledged)
    )


@dataclass(frozen=True)
class AgeingBucket:
    label: str
    count: int
    amount: Decimal


def unpaid_ageing(today: datetime.date | None = None) -> list[AgeingBucket]:
    """Open claims by age of the care (one query)."""
    today = today or timezone.localdate()
    filters: list[tuple[str, Q]] = []
    for low, high, label in AGEING_BUCKETS:
        start = today - datetime.timedelta(days=high)
        end = today - datetime.timedelta(days=low)
        filters.append((label, Q(invoice__date_of_care__gte=start, invoice__date_of_care__lte=end)))
    oldest = today - datetime.timedelta(days=91)
    filters.append(("plus de 90 jours", Q(invoice__date_of_care__lte=oldest)))
    aggregates: dict[str, Count | Sum] = {}
    for i, (_, q) in enumerate(filters):
        aggregates[f"n{i}"] = Count("id", filter=q)
        aggregates[f"a{i}"] = Sum("amount", filter=q)
        aggregates[f"p{i}"] = Sum("paid_amount", filter=q)
    row = Claim.objects.filter(status__in=OPEN_CLAIM_STATES).aggregate(**aggregates)
    return [
        AgeingBucket(label, row[f"n{i}"], (row[f"a{i}"] or ZERO) - (row[f"p{i}"] or ZERO))
        for i, (label, _) in enumerate(filters)
    ]


@dataclass(frozen=True)
class Worklist:
    to_check: int
    ready_by_payer: list[dict[str, Any]]
    batches_in_flight: int
    rejects: int
    overdue: int
    ageing: list[AgeingBucket]
    without_arl: int = 0
    sending_late: int = 0
    sending_soon: int = 0
    to_reconcile: int = 0
    degraded: int = 0


def clerk_worklist(today: datetime.date | None = None) -> Worklist:
    ready: list[dict[str, Any]] = [
        dict(row)
        for row in Claim.objects.ready()
        .values("payer_type", "payer_code")
        .annotate(count=Count("id"), amount=Sum("amount"), label=Max("payer_label"))
        .order_by("payer_type", "payer_code")
    ]
    return Worklist(
        to_check=Claim.objects.filter(status=ClaimStatus.DRAFT).count(),
        ready_by_payer=ready,
        batches_in_flight=Batch.objects.filter(
            status__in=(BatchStatus.BUILDING, BatchStatus.BUILT, BatchStatus.SENT)
        ).count(),
        rejects=Claim.objects.to_work().count(),
        overdue=overdue_claims(today).count(),
        ageing=unpaid_ageing(today),
        without_arl=batches_without_arl().count(),
        sending_late=claims_sending_late(today).count(),
        sending_soon=claims_sending_soon(today).count(),
        to_reconcile=ReconciliationItem.objects.filter(status=ItemStatus.OPEN).count(),
        degraded=Invoice.objects.current().filter(fse_mode="degraded").count(),
    )


def pending_convertible() -> QuerySet[Invoice]:
    """PASS de ville: current invoices with an open claim to the "rights pending" payer whose
    patient now has rights (AMO or AME) valid on the date of care — rights often open
    retroactively, so the coverage row was entered after the care. One query."""
    from billing.models import CANCELLABLE_PENDING, Claim
    from billing.pricing import PayerType
    from patients.models import Coverage, CoverageKind

    rights = Coverage.objects.filter(
        patient_id=OuterRef("patient_id"),
        kind__in=(CoverageKind.AMO, CoverageKind.AME),
        start__lte=OuterRef("date_of_care"),
    ).filter(Q(end__isnull=True) | Q(end__gte=OuterRef("date_of_care")))
    pending = Claim.objects.filter(
        invoice_id=OuterRef("pk"),
        payer_type=PayerType.PENDING,
        status__in=CANCELLABLE_PENDING,
    )
    return (
        Invoice.objects.current()
        .filter(Exists(pending), Exists(rights))
        .select_related("patient")
        .order_by("date_of_care", "id")
    )


# --- journaled reads --------------------------------------------------------------------------
# Every read of billing data about a patient goes through one of these, called the same way by
# the page and by the API, so that both doors leave the same journal entry (same action, same
# object type, same ids): « who saw this invoice, this claim file » has one answer. Lists
# journal the records actually shown (the page of a paginated list).


def _shown(by: User, action: str, model: type[M], rows: Iterable[M]) -> list[M]:
    """Journal the rows a list is about to show (one entry naming them, in order); an empty
    list showed nobody and leaves no entry."""
    shown = list(rows)
    if shown:
        audit.record_list_read(actor=by, action=action, model=model, ids=[r.pk for r in shown])
    return shown


def invoice_read(*, by: User, invoice_id: int, current_only: bool = False) -> Invoice:
    """One invoice, as `by` may see it (BillingNotFound otherwise), journaled."""
    perms.require(by, perms.INVOICE_READ)
    qs = (
        visible_invoices(by)
        .select_related("site__centre")
        .prefetch_related(
            "lines", Prefetch("claims", queryset=Claim.objects.order_by("id")), "payments"
        )
    )
    if current_only:
        qs = qs.filter(superseded_at__isnull=True)
    invoice = qs.filter(pk=invoice_id).first()
    if invoice is None:
        raise BillingNotFound("Facture introuvable (ou hors de vos droits).")
    audit.record_read(actor=by, action="billing.invoice.read", obj=invoice)
    return invoice


def invoices_shown(*, by: User, invoices: Iterable[Invoice]) -> list[Invoice]:
    """A list of invoices about to be shown (worklist, cashier, API page): journaled with
    their ids, in the order shown."""
    return _shown(by, "billing.invoice.list", Invoice, invoices)


def claims_shown(*, by: User, claims: Iterable[Claim]) -> list[Claim]:
    """A list of claims about to be shown (rejects to work, API page): journaled."""
    return _shown(by, "billing.claim.list", Claim, claims)


def returns_shown(*, by: User, files: Iterable[ReturnFile]) -> list[ReturnFile]:
    """A list of return files about to be shown: journaled (their lines name claims)."""
    return _shown(by, "billing.return.list", ReturnFile, files)


def claims_to_work() -> QuerySet[Claim]:
    """Claims a clerk must work (rejected, paid in part), oldest care first."""
    return (
        Claim.objects.to_work()
        .select_related("invoice__patient")
        .order_by("invoice__date_of_care", "id")
    )


def claims_filtered(*, status: str = "", payer_type: str = "") -> QuerySet[Claim]:
    """Claims, newest first, filtered by status and payer type (API)."""
    qs = Claim.objects.select_related("invoice").order_by("-id")
    if status:
        qs = qs.filter(status=status)
    if payer_type:
        qs = qs.filter(payer_type=payer_type)
    return qs


@dataclass(frozen=True)
class BatchFile:
    filename: str
    content: bytes


def batch_file(*, by: User, batch_id: int) -> BatchFile:
    """The transmission file of a batch (NIRs, dates of birth, acts of every claim in it):
    facturation only, journaled as a download whichever door asks."""
    perms.require(by, perms.BILLING_WRITE)
    batch = Batch.objects.filter(pk=batch_id).first()
    if batch is None or not batch.file:
        raise BillingNotFound("Ce lot n'existe pas ou n'a pas de fichier.")
    audit.record_read(actor=by, action="billing.batch.download", obj=batch)
    with batch.file.open("rb") as fh:
        content = fh.read()
    return BatchFile((batch.file.name or "lot.txt").rsplit("/", 1)[-1], content)


def receipt_read(*, by: User, payment_id: int) -> Payment:
    """A payment receipt (patient's name, amounts) to print: journaled on its invoice."""
    perms.require(by, perms.CASHIER)
    payment = (
        Payment.objects.select_related("invoice__patient", "invoice__site__centre")
        .filter(pk=payment_id, source=PaymentSource.PATIENT)
        .first()
    )
    if payment is None:
        raise BillingNotFound("Reçu introuvable.")
    audit.record_read(actor=by, action="billing.receipt.print", obj=payment.invoice)
    return payment


def consultation_to_close(*, by: User, appointment_id: int) -> Any:
    """An appointment `by` may close with its acts: their own (BillingNotFound otherwise)."""
    from appointments.models import Appointment

    perms.require(by, perms.CLOSE_CONSULTATION)
    appointment = (
        Appointment.objects.select_related("patient", "practitioner", "site")
        .filter(pk=appointment_id, practitioner__user=by)
        .first()
    )
    if appointment is None:
        raise BillingNotFound("Consultation introuvable (ou hors de vos droits).")
    return appointment
