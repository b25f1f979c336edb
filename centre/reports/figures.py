"""From computed results to the figures a report shows: small-cell suppression and French
number formatting. The stored figures feed the PDF, the CSV and the XLSX alike, which is what
makes the three files carry the same numbers."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from centre.reports.indicators import Number, Result

NARROW_NBSP = "\u202f"
Cell = int | str | None  # an int, a decimal written "12.5", "< 5", "secret", or None
# A share hidden because it would reveal a hidden count.
HIDDEN_SHARE = "secret"
SHARE = re.compile(r"^part (.+) \(%\)$")
COUNT_IN_TEXT = re.compile(r"\bdont (\d+)\b")


def mask(value: Number | None, threshold: int) -> Cell:
    """Counts from 1 to threshold − 1 become "< threshold" (amounts, shares and hours are not
    counts of people and stay as they are). Zero stays zero: it identifies nobody."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return f"< {threshold}" if 0 < value < threshold else value
    if isinstance(value, Decimal):
        return str(value)
    return None


def figure(result: Result, threshold: int | None) -> dict[str, Any]:
    """A JSON-ready figure. `threshold=None` keeps exact counts (the internal dashboard)."""

    def cell(value: Number | None) -> Cell:
        if threshold is None:
            return mask(value, 1)
        return mask(value, threshold)

    value = cell(result.value)
    parts = {k: cell(v) for k, v in result.breakdown.items()}
    definition = result.definition
    if threshold is not None:
        # Some definitions carry a count ("… ; dont 2 avec un·e interprète professionnel·le").
        definition = COUNT_IN_TEXT.sub(
            lambda m: f"dont < {threshold}" if 0 < int(m.group(1)) < threshold else m.group(0),
            definition,
        )
        _hide_revealing_shares(result, value, parts)
        if _share_of_hidden(result, parts):
            value = HIDDEN_SHARE
    return {
        "key": result.key,
        "app": result.app,
        "label": result.label,
        "definition": definition,
        "unit": result.unit,
        "value": value,
        "breakdown": [[k, v] for k, v in parts.items()],
        "suppressed": is_suppressed(value) or any(is_suppressed(v) for v in parts.values()),
    }


def _hide_revealing_shares(result: Result, value: Cell, parts: dict[str, Cell]) -> None:
    """A share computed on a hidden count would give the count back (share × total): shares
    "part X (%)" are hidden with the count "X" (or with the headline count if there is no X)."""
    for key, original in result.breakdown.items():
        match = SHARE.match(key)
        if not match or not isinstance(original, Decimal):
            continue
        base = match.group(1)
        hidden = is_suppressed(parts[base]) if base in parts else is_suppressed(value)
        if hidden:
            parts[key] = HIDDEN_SHARE


def _share_of_hidden(result: Result, parts: dict[str, Cell]) -> bool:
    # A headline share (unit %) is hidden when one of the counts it is made of is.
    return result.unit == "%" and any(
        is_suppressed(v) for k, v in parts.items() if not SHARE.match(k)
    )


def is_suppressed(cell: Cell) -> bool:
    return isinstance(cell, str) and (cell.startswith("<") or cell == HIDDEN_SHARE)


def as_number(cell: Cell) -> int | Decimal | None:
    """The numeric value of a cell, or None (no value, or suppressed)."""
    if cell is None or isinstance(cell, int):
        return cell
    try:
        return Decimal(cell)
    except InvalidOperation:
        return None


def display(cell: Cell, unit: str = "") -> str:
    """French display: "1 234", "12,5 %", "1 234,50 €", "< 5", "—"."""
    if cell is None:
        return "—"
    if is_suppressed(cell):
        return str(cell)
    number = as_number(cell)
    if number is None:
        return str(cell)
    if isinstance(number, int):
        return _group(str(number))  # a count, even inside an amount's breakdown
    if unit == "€":
        text = _group(f"{Decimal(number):.2f}")
        return f"{text}{NARROW_NBSP}€"
    text = _group(str(number))
    if unit == "%":
        return f"{text}{NARROW_NBSP}%"
    return text


def csv_value(cell: Cell) -> str:
    """A cell for French spreadsheets: decimal comma, no thousands separator."""
    if cell is None:
        return ""
    return str(cell).replace(".", ",")


def _group(text: str) -> str:
    sign = "-" if text.startswith("-") else ""
    text = text.lstrip("-")
    units, _, decimals = text.partition(".")
    groups: list[str] = []
    while len(units) > 3:
        groups.insert(0, units[-3:])
        units = units[:-3]
    groups.insert(0, units)
    joined = NARROW_NBSP.join(groups)
    return f"{sign}{joined},{decimals}" if decimals else f"{sign}{joined}"
