from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def dictget(mapping: dict[str, Any] | None, key: str) -> Any:
    """`{{ counts|dictget:role }}`: a dictionary value by a variable key."""
    if not mapping:
        return None
    return mapping.get(key)
