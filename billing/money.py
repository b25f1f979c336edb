"""Money in Passerelle is `Decimal` euros with two places; rounding is written here, once.

Rule (docs/billing.md, « Arrondi »): every share is computed in Decimal and rounded to the cent
once (half-up): AMO = round(base × rate); ticket modérateur = base − AMO; so the shares always
add up to the base exactly.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
NARROW_NBSP = "\u202f"


def to_cents(value: Decimal | int | str) -> Decimal:
    """Round half-up to the cent (the only rounding function of the billing app)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def share(base: Decimal, rate: Decimal) -> Decimal:
    """round(base × rate), half-up to the cent."""
    return to_cents(base * rate)


def fmt(value: Decimal) -> str:
    """ "1234.5" → "1 234,50 €" (French display)."""
    q = to_cents(value)
    sign = "-" if q < 0 else ""
    units, cents = f"{abs(q):.2f}".split(".")
    groups: list[str] = []
    while len(units) > 3:
        groups.insert(0, units[-3:])
        units = units[:-3]
    groups.insert(0, units)
    return f"{sign}{NARROW_NBSP.join(groups)},{cents} €"
