"""`{{ entries|journal_rows }}`: journal entries as the director reads them (French labels,
staff names, field changes with their labels and values)."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

from centre.journal_labels import Row, readable
from centre.models import AuditEntry

register = template.Library()


@register.filter
def journal_rows(entries: Iterable[AuditEntry]) -> list[Row]:
    return readable(entries)
