"""Benchmark figures, printed as one table at the end of `make bench`.

Figures are medians and p95 over repeated runs, with an in-run baseline where a ratio is
quoted: the machines are shared and noisy, so absolute times vary between runs. Each bench
calls `record(...)`; tests/bench/conftest.py prints every recorded figure in one table and
fails the run if one misses its target.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

FIGURES: list[Figure] = []
CONTEXT: list[str] = []


@dataclass
class Figure:
    name: str
    median_ms: float
    p95_ms: float
    target: str
    passed: bool
    baseline: str = ""
    unit: str = "ms"


def measure(fn: Callable[[], object], *, repeat: int = 30, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fn()
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def p95(timings: list[float]) -> float:
    ordered = sorted(timings)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def summarise(
    name: str, timings: list[float], *, target_ms: float | None = None, baseline: str = ""
) -> Figure:
    high = p95(timings)
    return Figure(
        name=name,
        median_ms=statistics.median(timings),
        p95_ms=high,
        target=f"p95 < {target_ms:g} ms" if target_ms is not None else "—",
        passed=target_ms is None or high < target_ms,
        baseline=baseline,
    )


def value(
    name: str,
    amount: float,
    *,
    unit: str,
    target: str = "—",
    passed: bool = True,
    baseline: str = "",
) -> Figure:
    """A single figure that is not a timing series (a count, a rate, a ratio)."""
    return Figure(name, amount, amount, target, passed, baseline, unit)


def record(*figures: Figure) -> None:
    FIGURES.extend(figures)


def _fmt(f: Figure, amount: float) -> str:
    if f.unit == "ms":
        return f"{amount:>8.1f}ms"
    if f.unit == "×":
        return f"{amount:>8.2f} ×"
    return f"{amount:>8.0f} {f.unit}" if amount >= 10 else f"{amount:>8.2f} {f.unit}"


def print_table(figures: list[Figure], write: Callable[[str], object] = print) -> None:
    header = f"{'figure':<58} {'médiane':>11} {'p95':>11}  {'cible':<16} {'ok':<4} référence"
    write("")
    for line in CONTEXT:
        write(line)
    write(header)
    write("-" * len(header))
    for f in figures:
        same = f.unit != "ms" and f.median_ms == f.p95_ms
        write(
            f"{f.name[:58]:<58} {_fmt(f, f.median_ms):>11} "
            f"{'' if same else _fmt(f, f.p95_ms):>11}  {f.target:<16} "
            f"{'oui' if f.passed else 'NON':<4} {f.baseline}"
        )
