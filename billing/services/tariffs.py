"""The fee schedule: dated tariffs of the acts."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction

from billing import perms
from billing.errors import BillingError
from billing.models import (
    Act,
    InvoiceLine,
    Tariff,
)
from billing.money import to_cents
from centre import audit
from centre.models import User
from centre.refusals import Kind

TARIFF_FIELDS = ("unit_price", "amo_rate", "source", "to_verify")


def tariff_add(
    *,
    act: Act,
    unit_price: Decimal,
    amo_rate: Decimal,
    valid_from: datetime.date,
    source: str,
    to_verify: bool,
    by: User,
) -> Tariff:
    """A new tariff from `valid_from`: invoices keep their frozen copy; consultations from that
    date use it, earlier ones the previous tariff."""
    perms.require(by, perms.FEE_SCHEDULE_WRITE)
    if unit_price < 0:
        raise BillingError("Le tarif ne peut pas être négatif.", field="unit_price")
    if not Decimal("0") <= amo_rate <= Decimal("1"):
        raise BillingError("Le taux AMO est compris entre 0 et 1 (ex. 0,70).", field="amo_rate")
    if not source.strip():
        raise BillingError("Indiquez la source (texte officiel, convention…).", field="source")
    with transaction.atomic():
        if Tariff.objects.filter(act=act, valid_from=valid_from).exists():
            raise BillingError("Un tarif commence déjà à cette date.", field="valid_from")
        tariff = Tariff.objects.create(
            act=act,
            unit_price=to_cents(unit_price),
            amo_rate=amo_rate,
            valid_from=valid_from,
            source=source.strip(),
            to_verify=to_verify,
            created_by=by,
        )
        audit.record(
            actor=by,
            action="billing.tariff.add",
            obj=tariff,
            changes={
                "unit_price": str(tariff.unit_price),
                "amo_rate": str(amo_rate),
                "valid_from": valid_from,
            },
        )
    return tariff


def tariff_correct(
    *,
    tariff: Tariff,
    source: str,
    to_verify: bool,
    by: User,
    unit_price: Decimal | None = None,
    amo_rate: Decimal | None = None,
) -> Tariff:
    """The director checks a tariff against its published text: the source and the « à
    vérifier » flag may always be updated; the amount and the rate only while no invoice line
    has used the tariff (afterwards, a new dated tariff is the way: invoices keep the figures
    they were computed with)."""
    perms.require(by, perms.FEE_SCHEDULE_WRITE)
    if not source.strip():
        raise BillingError("Indiquez la source (texte officiel, convention…).", field="source")
    if unit_price is not None and unit_price < 0:
        raise BillingError("Le tarif ne peut pas être négatif.", field="unit_price")
    if amo_rate is not None and not Decimal("0") <= amo_rate <= Decimal("1"):
        raise BillingError("Le taux AMO est compris entre 0 et 1 (ex. 0,70).", field="amo_rate")
    with transaction.atomic():
        tariff = Tariff.objects.select_for_update().get(pk=tariff.pk)
        before = audit.snapshot(tariff, TARIFF_FIELDS)
        new_price = to_cents(unit_price) if unit_price is not None else tariff.unit_price
        new_rate = amo_rate if amo_rate is not None else tariff.amo_rate
        if new_price != tariff.unit_price or new_rate != tariff.amo_rate:
            used = InvoiceLine.objects.filter(tariff=tariff).count()
            if used:
                raise BillingError(
                    f"Ce tarif a déjà servi à {used} ligne(s) de facture : ajoutez un nouveau "
                    "tarif daté plutôt que de le modifier.",
                    kind=Kind.CONFLICT,
                )
        tariff.unit_price, tariff.amo_rate = new_price, new_rate
        tariff.source, tariff.to_verify = source.strip(), to_verify
        tariff.save(update_fields=["unit_price", "amo_rate", "source", "to_verify"])
        audit.record(
            actor=by,
            action="billing.tariff.correct",
            obj=tariff,
            changes=audit.diff(before, audit.snapshot(tariff, TARIFF_FIELDS)),
        )
    return tariff
