"""From computed results to the figures a report shows: small-cell suppression and French
number formatting. The stored figures feed the PDF, the CSV and the XLSX alike, which is what
makes the three files carry the same numbers."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from centre.reports.indicators import Kind, Number, Result
from centre.reports.suppression import State, primary, protect

NARROW_NBSP = "\u202f"
Cell = int | str | None  # an int, a decimal written "12.5", "< 5", "secret", or None
# A share hidden because it would reveal a hidden count, or a cell hidden by complementary
# suppression (it would give a hidden cell back by subtraction).
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
    """A JSON-ready figure. `threshold=None` keeps exact counts (the internal dashboard).

    Everything about units and suppression comes from the indicator's declaration: only
    counts whose unit is `secret` (about patients and people met) are suppressed, partitions
    get complementary suppression (`suppression.protect`), shares and rates computed on a
    hidden count are hidden too."""
    keys = list(result.breakdown)
    units = [result.unit_of(k) for k in keys]
    headline = result.headline_unit
    value: Cell = _exact(result.value)
    parts: dict[str, Cell] = {k: _exact(v) for k, v in result.breakdown.items()}
    definition = result.definition
    if threshold is not None:
        value, parts = _suppress(result, threshold)
        # Some definitions carry a count ("… ; dont 2 avec un·e interprète professionnel·le").
        if result.unit.is_suppressed_count:
            definition = COUNT_IN_TEXT.sub(
                lambda m: f"dont < {threshold}" if 0 < int(m.group(1)) < threshold else m.group(0),
                definition,
            )
    return {
        "key": result.key,
        "app": result.app,
        "label": result.label,
        "definition": definition,
        "unit": headline.symbol,
        "kind": str(headline.kind),
        "population": result.population,
        "span": str(result.span),
        "value": value,
        "breakdown": [[k, v] for k, v in parts.items()],
        "units": [u.symbol for u in units],
        "kinds": [str(u.kind) for u in units],
        "partial": dict(result.partial),
        "suppressed": is_suppressed(value) or any(is_suppressed(v) for v in parts.values()),
    }


def _exact(value: Number | None) -> Cell:
    return mask(value, 1)


def _suppress(result: Result, threshold: int) -> tuple[Cell, dict[str, Cell]]:
    states: dict[str, State] = {}
    for key, number in result.breakdown.items():
        unit = result.unit_of(key)
        hidden = unit.is_suppressed_count and isinstance(number, int) and primary(number, threshold)
        states[key] = State.PRIMARY if hidden else State.SHOWN
    value_state = State.SHOWN
    count_headline = result.unit.is_suppressed_count and not result.span.is_rate
    if count_headline and isinstance(result.value, int) and primary(result.value, threshold):
        value_state = State.PRIMARY
    own = result.parts_unit or result.unit
    members = [k for k in result.breakdown if result.unit_of(k) == own]
    if result.partition and own.is_suppressed_count and members:
        numbers = [int(result.breakdown[k]) for k in members]
        # A share's or a rate's population (the sum) is published elsewhere: known too.
        known = count_headline and isinstance(result.value, int)
        total = int(result.value or 0) if known else sum(numbers)
        protected = protect(total, numbers, threshold)
        for k, state in zip(members, protected.part_states, strict=True):
            states[k] = state
        if count_headline:
            value_state = protected.total_state
        elif result.span.is_rate and protected.total_state is not State.SHOWN:
            value_state = State.SECONDARY  # the rate would give the hidden total back
    if result.span.is_rate and result.total is not None and primary(result.total, threshold):
        value_state = State.SECONDARY
    parts = {k: _cell(result.breakdown[k], states[k], threshold) for k in result.breakdown}
    value = _cell(result.value, value_state, threshold)
    _hide_revealing_shares(result, value, parts)
    if result.unit.kind is Kind.SHARE and any(
        is_suppressed(parts[k]) for k in parts if result.unit_of(k).is_count
    ):
        value = HIDDEN_SHARE  # a headline share is hidden with a count it is made of
    return value, parts


def _cell(number: Number | None, state: State, threshold: int) -> Cell:
    if state is State.PRIMARY:
        return f"< {threshold}"
    if state in (State.SECONDARY, State.WITHHELD):
        return HIDDEN_SHARE
    return _exact(number)


def _hide_revealing_shares(result: Result, value: Cell, parts: dict[str, Cell]) -> None:
    """A share computed on a hidden count would give the count back (share × total): shares
    "part X (%)" are hidden with the count "X" (or with the headline count if there is no X)."""
    for key in result.breakdown:
        if result.unit_of(key).kind is not Kind.SHARE:
            continue
        match = SHARE.match(key)
        base = match.group(1) if match else ""
        hidden = is_suppressed(parts[base]) if base in parts else is_suppressed(value)
        if hidden:
            parts[key] = HIDDEN_SHARE


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
