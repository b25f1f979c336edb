from __future__ import annotations

from typing import Any

from django import template

from billing import selectors

register = template.Library()


@register.inclusion_tag("billing/_worklist.html")
def billing_worklist() -> dict[str, Any]:
    """The clerk's counts (home page of the billing role)."""
    return {"worklist": selectors.clerk_worklist()}


@register.simple_tag
def payer_name(payer_type: str, payer_code: str, label: str = "") -> str:
    """« CPAM de la Vienne », never « AMO 861 » (billing.payers)."""
    from billing.payers import payer_name as name

    return name(payer_type, payer_code, label)


@register.filter
def euros(value: Any) -> str:
    """1234.5 → « 1 234,50 € »."""
    from decimal import Decimal

    from billing.money import fmt

    return fmt(Decimal(value or 0))
