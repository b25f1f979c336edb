"""Factories for billing tests: patients with coverage, invoices through the service."""

from __future__ import annotations

import datetime
import importlib
from decimal import Decimal
from typing import Any

from billing.models import Act, Claim, Invoice
from billing.services import invoices
from centre.models import Site, StaffProfile, User
from patients.models import Coverage, CoverageKind, Patient

ON = datetime.date(2025, 3, 10)


def ensure_fee_schedule() -> None:
    """The fee schedule comes from a data migration; transactional tests (browser, worker)
    flush it, so tests that need it load it again (idempotent)."""
    from django.apps import apps

    if not Act.objects.exists():
        for name in FEE_SCHEDULE_MIGRATIONS:
            importlib.import_module(f"billing.migrations.{name}").load(apps, None)


# The data migrations that load the fee schedule, in order.
FEE_SCHEDULE_MIGRATIONS = (
    "0002_fee_schedule",
    "0004_br_tariff_history",
    "0006_br_fee_schedule_acts",
)


_counter = iter(range(1, 10**6))


def make_patient(
    *,
    birth_date: datetime.date = datetime.date(1985, 6, 1),
    nir: str = "185067511212345",
    amo: bool = True,
    caisse: str = "861",
    mutuelle: bool = False,
    medecin_traitant: bool = True,
    ame: bool = False,
    c2s: bool = False,
    start: datetime.date = datetime.date(2020, 1, 1),
    **fields: Any,
) -> Patient:
    n = next(_counter)
    patient = Patient.objects.create(
        last_name=fields.pop("last_name", f"Patient{n}"),
        first_name=fields.pop("first_name", "Camille"),
        sex="F",
        birth_date=birth_date,
        nir=nir,
        **fields,
    )
    if amo:
        Coverage.objects.create(
            patient=patient,
            kind=CoverageKind.AMO,
            start=start,
            scheme_code="01",
            caisse_code=caisse,
            insured_nir=nir,
        )
    if mutuelle:
        Coverage.objects.create(
            patient=patient,
            kind=CoverageKind.AMC,
            start=start,
            organism_name="Mutuelle du Poitou",
            organism_number="12345678",
            contract="C1",
            tiers_payant=True,
        )
    if medecin_traitant:
        # A médecin traitant of the centre (one practising elsewhere puts a centre GP's
        # consultation outside the pathway: tests/billing/test_rules.py).
        Coverage.objects.create(
            patient=patient,
            kind=CoverageKind.MEDECIN_TRAITANT,
            start=start,
            doctor_in_centre=True,
        )
    if ame:
        Coverage.objects.create(patient=patient, kind=CoverageKind.AME, start=start)
    if c2s:
        Coverage.objects.create(patient=patient, kind=CoverageKind.C2S, start=start)
    return patient


def practitioner_of(user: User) -> StaffProfile:
    return StaffProfile.objects.get(user=user)


def make_invoice(
    *,
    by: User,
    practitioner: User,
    site: Site,
    patient: Patient | None = None,
    on: datetime.date = ON,
    acts: list[tuple[str, Decimal | None]] | None = None,
) -> Invoice:
    ensure_fee_schedule()
    return invoices.invoice_create(
        patient=patient or make_patient(),
        practitioner=practitioner_of(practitioner),
        site=site,
        on=on,
        acts=[invoices.ActChoice(c, k) for c, k in (acts or [("G", None)])],
        by=by,
    )


def amo_claim(invoice: Invoice) -> Claim:
    return invoice.claims.get(payer_type="AMO")


def built_and_sent(by: User) -> list[int]:
    """Build the lots of the ready claims, then send each (the clerk's two steps)."""
    from billing.services import batches

    ids = batches.batches_build(by=by)
    for batch_id in ids:
        batches.batch_send(batch_id=batch_id, by=by)
    return ids
