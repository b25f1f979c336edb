"""The fee schedule: dated tariffs of the acts."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction

from billing import perms
from billing.errors import BillingError
from billing.models import (
    Act,
    Tariff,
)
from billing.money import to_cents
from centre import audit
from centre.models import User


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
