"""Small-cell suppression with complementary suppression (secret statistique).

Primary suppression: a count about people from 1 to threshold − 1 is published « < threshold »
(zero identifies nobody and stays). Complementary suppression: when the cells of a partition
add up to a published total, one hidden cell could be given back by subtraction (total 139,
visible parts 138: the hidden cell is 1). So further cells are hidden — the smallest visible
non-zero part first, else the total — until every hidden cell can take at least two values
given what is published.

What a reader knows (the audit's model, deliberately pessimistic): a cell shown « < t » is
between 1 and t − 1; a cell hidden for complementary reasons (shown « secret ») is at least t
(it was visible, not zero, and not small); the visible cells, and that the parts add up to the
total. Under one equation with bounded integer unknowns, every integer between the bounds
computed by `feasible` is reachable, so a cell is protected exactly when its bounds differ.
Pure functions, no database: tested by properties (tests/centre/test_reports_suppression.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    SHOWN = "shown"
    PRIMARY = "primary"  # published « < t »
    SECONDARY = "secondary"  # published « secret »
    # Published « secret » too: every non-zero cell of a partition whose hidden cells would
    # still be determined (t − 1 cells of 1 under a total below t): nothing is told about it.
    WITHHELD = "withheld"


def primary(value: int, threshold: int) -> bool:
    return 0 < value < threshold


@dataclass(frozen=True)
class Partition:
    """`parts` add up to `total`; the states say which are published."""

    total: int
    parts: tuple[int, ...]
    total_state: State
    part_states: tuple[State, ...]


def bounds(state: State, value: int, threshold: int) -> tuple[float, float]:
    if state is State.SHOWN:
        return (value, value)
    if state is State.PRIMARY:
        return (1, threshold - 1)
    if state is State.WITHHELD:
        return (0, math.inf)
    return (threshold, math.inf)


def feasible(
    total: int,
    parts: Sequence[int],
    total_state: State,
    part_states: Sequence[State],
    threshold: int,
) -> list[tuple[float, float]]:
    """Bounds a reader can deduce for [total, *parts] from the published cells and the
    equation total − Σ parts = 0 (a shown cell's bounds are its value)."""
    # total − Σ parts = 0, i.e. Σ a_i·x_i = 0 with a = (1, −1, −1, …).
    coefficients = [1, *(-1 for _ in parts)]
    box = [bounds(total_state, total, threshold)] + [
        bounds(s, v, threshold) for s, v in zip(part_states, parts, strict=True)
    ]
    out: list[tuple[float, float]] = []
    for i, a in enumerate(coefficients):
        # a_i·x_i = −Σ_{j≠i} a_j·x_j: the range of the other terms' sum, from their boxes.
        others_low = sum(
            (
                c * (lo if c > 0 else hi)
                for j, (c, (lo, hi)) in enumerate(zip(coefficients, box, strict=True))
                if j != i
            ),
            0.0,
        )
        others_high = sum(
            (
                c * (hi if c > 0 else lo)
                for j, (c, (lo, hi)) in enumerate(zip(coefficients, box, strict=True))
                if j != i
            ),
            0.0,
        )
        lo_i, hi_i = box[i]
        # x_i = −(others) / a_i, a_i = ±1.
        if a > 0:
            lo_i, hi_i = max(lo_i, -others_high), min(hi_i, -others_low)
        else:
            lo_i, hi_i = max(lo_i, others_low), min(hi_i, others_high)
        out.append((lo_i, hi_i))
    return out


def protect(total: int, parts: Sequence[int], threshold: int) -> Partition:
    """Primary then complementary suppression of a partition (`parts` add up to `total`)."""
    part_states = [State.PRIMARY if primary(v, threshold) else State.SHOWN for v in parts]
    total_state = State.PRIMARY if primary(total, threshold) else State.SHOWN
    while True:
        cells = [total_state, *part_states]
        ranges = feasible(total, parts, total_state, part_states, threshold)
        exposed = any(
            state is not State.SHOWN and lo == hi
            for state, (lo, hi) in zip(cells, ranges, strict=True)
        )
        if not exposed:
            break
        candidates = [
            (v, i)
            for i, (v, s) in enumerate(zip(parts, part_states, strict=True))
            if s is State.SHOWN and v > 0
        ]
        if candidates:
            part_states[min(candidates)[1]] = State.SECONDARY
        elif total_state is State.SHOWN:
            total_state = State.SECONDARY
        else:
            # Every cell is hidden and some are still determined: withhold the partition.
            part_states = [State.WITHHELD if v else State.SHOWN for v in parts]
            total_state = State.WITHHELD
            break
    return Partition(total, tuple(parts), total_state, tuple(part_states))
