"""Benchmarks share one generated centre (tests/bench/generator.py), generated once into the
bench database and reused by later runs, and print one table at the end of `make bench`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from tests.bench import generator, report


@pytest.fixture(scope="session")
def generated(django_db_setup: None, django_db_blocker: Any) -> Iterator[generator.Generated]:
    """The generated centre (committed: the benches' own writes are rolled back around it)."""
    with django_db_blocker.unblock():
        centre, seconds = generator.ensure()
        counts = generator.counts()
        connection.close()
    what = ", ".join(f"{v:,} {k}".replace(",", " ") for k, v in counts.items())
    how = f"générées en {seconds:.0f} s" if seconds else "réutilisées (déjà en base)"
    report.CONTEXT.append(f"Données (graine {generator.SEED}) {how} : {what}.")
    if generator.LOG:
        report.CONTEXT.append("COPY : " + " ; ".join(generator.LOG))
    yield centre


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if report.FIGURES:
        report.print_table(report.FIGURES, write=terminalreporter.write_line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A figure that misses its target fails `make bench` (after the whole table is printed)."""
    if exitstatus == 0 and any(not f.passed for f in report.FIGURES):
        session.exitstatus = 1
