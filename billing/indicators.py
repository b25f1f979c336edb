"""Billing indicators for the reports: amounts billed, paid, rejected and still due, and the
share of care in tiers payant. Money is Decimal euros with two places (Sum of numeric columns;
no rounding is needed since every stored amount is already in cents).

Collected by `centre.reports.indicators.registry()` under the keys ``billing.*``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, Exists, F, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from billing.models import Claim, ClaimStatus, Invoice, Payment, PaymentSource
from centre.models import Site
from centre.reports.indicators import (
    AMOUNT,
    SHARE,
    Breakdown,
    Indicator,
    Period,
    events,
    percent,
    site_ids,
)

ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=14, decimal_places=2))
# Claims sent and not settled: what the payers still owe.
OPEN_CLAIMS = (
    ClaimStatus.SENT,
    ClaimStatus.ACKNOWLEDGED,
    ClaimStatus.REJECTED,
    ClaimStatus.PARTLY_PAID,
    ClaimStatus.IN_BATCH,
    ClaimStatus.READY,
    ClaimStatus.DRAFT,
)


def _money_sum(expression: object, **kw: object) -> Coalesce:
    return Coalesce(Sum(expression, **kw), ZERO)  # type: ignore[arg-type]


def _invoices(period: Period, sites: list[Site] | None) -> QuerySet[Invoice]:
    qs = Invoice.objects.current().filter(
        date_of_care__gte=period.start, date_of_care__lte=period.end
    )
    ids = site_ids(sites)
    return qs if ids is None else qs.filter(site__in=ids)


def billed(period: Period, sites: list[Site] | None) -> Breakdown:
    agg = _invoices(period, sites).aggregate(
        total=_money_sum("total"),
        amo=_money_sum("amo"),
        amc=_money_sum("amc"),
        patient=_money_sum("patient_share"),
        count=Count("pk"),
    )
    return Breakdown(
        agg["total"],
        {
            "assurance maladie (AMO)": agg["amo"],
            "complémentaires (AMC)": agg["amc"],
            "reste à charge des patient·e·s": agg["patient"],
            "factures": agg["count"],
        },
    )


def paid(period: Period, sites: list[Site] | None) -> Breakdown:
    qs = Payment.objects.filter(received_on__gte=period.start, received_on__lte=period.end)
    ids = site_ids(sites)
    if ids is not None:
        qs = qs.filter(invoice__site__in=ids)
    rows = qs.values("source").annotate(amount=_money_sum("amount")).order_by("source")
    labels = dict(PaymentSource.choices)
    parts: dict[str, int | Decimal] = {
        labels.get(r["source"], r["source"]): r["amount"] for r in rows
    }
    return Breakdown(sum((Decimal(v) for v in parts.values()), Decimal("0.00")), parts)


def _claims(period: Period, sites: list[Site] | None) -> QuerySet[Claim]:
    qs = Claim.objects.filter(
        invoice__date_of_care__gte=period.start, invoice__date_of_care__lte=period.end
    )
    ids = site_ids(sites)
    return qs if ids is None else qs.filter(invoice__site__in=ids)


def rejected(period: Period, sites: list[Site] | None) -> Breakdown:
    agg = _claims(period, sites).aggregate(
        amount=_money_sum("amount", filter=Q(status=ClaimStatus.REJECTED)),
        count=Count("pk", filter=Q(status=ClaimStatus.REJECTED)),
    )
    return Breakdown(agg["amount"], {"demandes rejetées": agg["count"]})


def unpaid(period: Period, sites: list[Site] | None) -> Breakdown:
    payers = _claims(period, sites).aggregate(
        due=_money_sum(F("amount") - F("paid_amount"), filter=Q(status__in=OPEN_CLAIMS))
    )["due"]
    patients = _invoices(period, sites).aggregate(
        due=_money_sum(
            F("patient_due") - F("patient_paid"), filter=Q(patient_due__gt=F("patient_paid"))
        )
    )["due"]
    return Breakdown(
        payers + patients,
        {"caisses et complémentaires": payers, "patient·e·s": patients},
    )


def tiers_payant(period: Period, sites: list[Site] | None) -> Breakdown:
    claimed = Claim.objects.filter(invoice=OuterRef("pk"))
    agg = _invoices(period, sites).aggregate(
        total=Count("pk"), tp=Count("pk", filter=Q(Exists(claimed)))
    )
    return Breakdown(
        percent(agg["tp"], agg["total"]),
        {"factures en tiers payant": agg["tp"], "factures": agg["total"]},
    )


# --- the rows each figure counts or sums (the dashboard's links) -----------------------------


def billed_rows(period: Period, sites: list[Site] | None, category: str | None) -> Any:
    # Every figure of « montant facturé » (total, AMO, AMC, patients, count) is over the
    # same invoices.
    return _invoices(period, sites)


def paid_rows(period: Period, sites: list[Site] | None, category: str | None) -> Any:
    qs = Payment.objects.filter(received_on__gte=period.start, received_on__lte=period.end)
    ids = site_ids(sites)
    if ids is not None:
        qs = qs.filter(invoice__site__in=ids)
    if category is None:
        return qs
    source = next((v for v, label in PaymentSource.choices if label == category), category)
    return qs.filter(source=source)


def rejected_rows(period: Period, sites: list[Site] | None, category: str | None) -> Any:
    return _claims(period, sites).filter(status=ClaimStatus.REJECTED)


def unpaid_rows(period: Period, sites: list[Site] | None, category: str | None) -> Any:
    # Two kinds of rows: the headline (claims and invoices together) is not one list.
    if category == "caisses et complémentaires":
        return _claims(period, sites).filter(status__in=OPEN_CLAIMS)
    if category == "patient·e·s":
        return _invoices(period, sites).filter(patient_due__gt=F("patient_paid"))
    return None


def tiers_payant_rows(period: Period, sites: list[Site] | None, category: str | None) -> Any:
    claimed = Claim.objects.filter(invoice=OuterRef("pk"))
    if category in (None, "factures en tiers payant"):
        return _invoices(period, sites).filter(Exists(claimed))
    if category == "factures":
        return _invoices(period, sites)
    return None


INVOICES = "factures dont la date des soins est dans la période"

INDICATORS = (
    Indicator(
        "billing.billed",
        "Montant facturé",
        "Total des factures dont la date des soins est dans la période, et sa répartition "
        "entre assurance maladie, complémentaires et patient·e·s (en euros).",
        AMOUNT,
        billed,
        rows=billed_rows,
        population=INVOICES,
        part_units={"factures": events("factures")},
    ),
    Indicator(
        "billing.paid",
        "Montant encaissé",
        "Paiements reçus dans la période (virements des caisses et complémentaires, règlements "
        "des patient·e·s), par payeur, en euros.",
        AMOUNT,
        paid,
        rows=paid_rows,
        population="paiements reçus dans la période",
    ),
    Indicator(
        "billing.rejected",
        "Montant rejeté",
        "Montant des demandes de remboursement (soins de la période) dont l'état est « rejetée » "
        "au moment du calcul, en euros.",
        AMOUNT,
        rejected,
        rows=rejected_rows,
        population="demandes de remboursement des soins de la période",
        part_units={"demandes rejetées": events("demandes")},
    ),
    Indicator(
        "billing.unpaid",
        "Reste à recouvrer",
        "Pour les soins de la période : montant des demandes non soldées (non envoyées, "
        "envoyées, rejetées ou payées en partie) et reste dû par les patient·e·s, au moment "
        "du calcul, en euros.",
        AMOUNT,
        unpaid,
        rows=unpaid_rows,
        population=INVOICES,
    ),
    Indicator(
        "billing.tiers_payant",
        "Part des soins en tiers payant",
        "Factures de la période pour lesquelles une demande de remboursement a été faite à un "
        "payeur (tiers payant), en % des factures.",
        SHARE,
        tiers_payant,
        rows=tiers_payant_rows,
        population=INVOICES,
        parts=events("factures"),
    ),
)
