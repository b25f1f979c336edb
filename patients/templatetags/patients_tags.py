from __future__ import annotations

from django import template

from patients.identifiers import format_nir, format_phone

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """`+33612345678` → `06 12 34 56 78`."""
    return format_phone(value or "")


@register.filter
def nir(value: str) -> str:
    """`284037511512345` → `2 84 03 75 115 123 45`."""
    return format_nir(value or "")
