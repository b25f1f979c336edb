"""Billing events on a patient's record (registered in BillingConfig.ready()): the invoices
of their care and the payments received, one query each whatever the history. Only the roles
that read invoices see them (`perms.INVOICE_READ`)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone

from billing import perms
from billing.models import Invoice, Payment
from billing.money import fmt
from patients.hooks import TimelineEvent
from patients.models import Patient

ROLES = frozenset(str(role) for role in perms.INVOICE_READ)


def _day(value: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(value, datetime.time(0, 0)))


def invoice_events(patient: Patient) -> Iterable[TimelineEvent]:
    """Current invoices (a superseded version is replaced by its new one)."""
    invoices = Invoice.objects.filter(patient=patient, superseded_at__isnull=True).only(
        "number", "date_of_care", "total"
    )
    for invoice in invoices:
        yield TimelineEvent(
            at=_day(invoice.date_of_care),
            kind="invoice",
            label=f"Facture {invoice.number} — {fmt(invoice.total)}",
            url=reverse("billing:invoice_detail", args=[invoice.pk]),
            roles=ROLES,
        )


def payment_events(patient: Patient) -> Iterable[TimelineEvent]:
    payments = (
        Payment.objects.filter(invoice__patient=patient)
        .select_related("invoice")
        .only("amount", "received_on", "source", "method", "invoice__number")
    )
    for payment in payments:
        yield TimelineEvent(
            at=_day(payment.received_on),
            kind="payment",
            label=(
                f"Paiement {fmt(payment.amount)} ({payment.get_source_display()}, "
                f"{payment.get_method_display().lower()}) — facture {payment.invoice.number}"
            ),
            url=reverse("billing:invoice_detail", args=[payment.invoice.pk]),
            roles=ROLES,
        )
