from __future__ import annotations

from typing import Any

from django import template

from billing import selectors

register = template.Library()


@register.inclusion_tag("billing/_worklist.html")
def billing_worklist() -> dict[str, Any]:
    """The clerk's counts (home page of the billing role)."""
    return {"worklist": selectors.clerk_worklist()}
