"""Benchmark figures, printed as one table by `make bench`.

Figures are medians and p95 over repeated runs, with an in-run baseline where a ratio is
quoted: the machines are shared and noisy, so absolute times vary between runs.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Figure:
    name: str
    median_ms: float
    p95_ms: float
    target: str
    passed: bool
    baseline: str = ""


def measure(fn: Callable[[], object], *, repeat: int = 30, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fn()
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def summarise(
    name: str, timings: list[float], *, target_ms: float | None = None, baseline: str = ""
) -> Figure:
    ordered = sorted(timings)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    median = statistics.median(ordered)
    return Figure(
        name=name,
        median_ms=median,
        p95_ms=p95,
        target=f"p95 < {target_ms:g} ms" if target_ms is not None else "—",
        passed=target_ms is None or p95 < target_ms,
        baseline=baseline,
    )


def print_table(figures: list[Figure]) -> None:
    header = f"{'figure':<48} {'médiane':>10} {'p95':>10}  {'cible':<18} {'ok':<4} référence"
    print()
    print(header)
    print("-" * len(header))
    for f in figures:
        print(
            f"{f.name:<48} {f.median_ms:>8.2f}ms {f.p95_ms:>8.2f}ms  {f.target:<18} "
            f"{'oui' if f.passed else 'NON':<4} {f.baseline}"
        )
