"""Units follow the indicators' declarations: one test per unit kind (display, CSV, XLSX
cell and unit column), and every indicator of the registry declares a unit, a population and
a unit for each of its categories that matches the numbers it computes."""

from __future__ import annotations

import datetime
import io
import itertools
import re
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from centre.models import Site, User
from centre.reports import figures
from centre.reports.exports import ExportContext, to_csv, to_xlsx
from centre.reports.indicators import (
    AMOUNT,
    SHARE,
    Kind,
    Result,
    Span,
    Unit,
    compute,
    duration,
    events,
    persons,
    registry,
)
from centre.reports.presentation import present
from tests.centre.reports_data import JANUARY, build

NNBSP = "\u202f"
CTX = ExportContext("Test", "2026-01-01", "2026-01-31", "Tous les sites", 5, "2026-02-01 10:00")


def one(unit: Unit, value: Any, parts: dict[str, Any] | None = None, **kw: Any) -> Result:
    return Result(
        key="x.k",
        app="x",
        label="X",
        definition="",
        unit=unit,
        value=value,
        breakdown=parts or {},
        **kw,
    )


def exported(result: Result, threshold: int | None = 5) -> tuple[dict[str, Any], list[str], Any]:
    fig = figures.figure(result, threshold)
    csv_rows = to_csv(CTX, [fig]).decode("utf-8-sig").splitlines()[1:]
    book = load_workbook(io.BytesIO(to_xlsx(CTX, [fig])))
    summary = next(iter(book["Synthèse"].iter_rows(min_row=2, values_only=True)))
    return fig, csv_rows, summary


def test_count_of_persons() -> None:
    fig, rows, summary = exported(one(persons("patient·e·s"), 1234, {"nouveaux": 3}))
    shown = present(fig)
    assert (shown.display, shown.unit_word) == (f"1{NNBSP}234", "patient·e·s")
    assert shown.rows == [("nouveaux", "< 5", "patient·e·s")]
    assert rows[0].endswith(";total;1234;patient·e·s")
    assert rows[1].endswith(";nouveaux;< 5;patient·e·s")
    assert summary[2:4] == (1234, "patient·e·s")


def test_count_of_events_and_counts_not_about_people() -> None:
    fig, rows, _summary = exported(one(events("réunions", secret=False), 2))
    assert (fig["value"], present(fig).display) == (2, "2")  # not « < 5 »
    assert rows[0].endswith(";total;2;réunions")
    fig, _, _ = exported(one(events("consultations"), 2))
    assert fig["value"] == "< 5"


def test_share() -> None:
    # The XLSX of issue 18 said « part C2S (%) 28,8 patient·e·s »: a share's unit is « % ».
    result = one(
        persons("patient·e·s"),
        553,
        {"C2S": 159, "part C2S (%)": Decimal("28.8")},
        part_units={"part C2S (%)": SHARE},
    )
    fig, rows, _ = exported(result)
    assert present(fig).rows == [
        ("C2S", "159", "patient·e·s"),
        ("part C2S (%)", f"28,8{NNBSP}%", "%"),
    ]
    assert rows[2].endswith(";part C2S (%);28,8;%")
    # A headline share: its counts carry their own unit (« en QPV 191 % » was the bug).
    qpv = one(
        SHARE,
        Decimal("34.5"),
        {"en QPV": 191, "hors QPV": 363},
        parts_unit=persons("patient·e·s"),
        part_units={"en QPV": persons("patient·e·s"), "hors QPV": persons("patient·e·s")},
    )
    fig, rows, summary = exported(qpv)
    assert present(fig).display == f"34,5{NNBSP}%"
    assert rows[0].endswith(";total;34,5;%") and rows[1].endswith(";en QPV;191;patient·e·s")
    assert summary[2:4] == (34.5, "%")


def test_amount() -> None:
    fig, rows, summary = exported(
        one(
            AMOUNT, Decimal("1234.50"), {"factures": 3}, part_units={"factures": events("factures")}
        )
    )
    assert present(fig).display == f"1{NNBSP}234,50{NNBSP}€"
    assert present(fig).rows == [("factures", "< 5", "factures")]
    assert rows[0].endswith(";total;1234,50;€")
    assert summary[2:4] == (1234.5, "€")


def test_duration() -> None:
    fig, rows, _summary = exported(one(duration("heures"), Decimal("10.5"), {"Médecin": 3}))
    # Hours are not people: « 3 » is shown.
    assert present(fig).rows == [("Médecin", "3", "heures")]
    assert (present(fig).display, present(fig).unit_word) == ("10,5", "heures")
    assert rows[0].endswith(";total;10,5;heures")


def test_rate_per_week() -> None:
    # The bug: « Consultations par semaine 6 338 », the year's total. A rate is a mean.
    result = one(
        events("consultations"),
        Decimal("121.6"),
        {"2025-12-29": 40, "2026-01-05": 120},
        span=Span.PER_WEEK,
        partition=True,
        partial={"2025-12-29": 4},
        total=160,
    )
    fig, rows, summary = exported(result)
    shown = present(fig)
    assert (shown.display, shown.unit_word) == ("121,6", "consultations par semaine")
    assert shown.rows[0] == ("semaine du 29/12/2025 (partielle : 4 jours)", "40", "consultations")
    assert rows[0].endswith(";moyenne;121,6;consultations par semaine")
    assert summary[2:4] == (121.6, "consultations par semaine")


@pytest.mark.django_db
def test_every_indicator_is_typed_and_its_numbers_match_their_units(
    site: Site, other_site: Site, staff: dict[str, User]
) -> None:
    build(site=site, other_site=other_site, staff=staff)
    for key, indicator in registry().items():
        assert indicator.population, f"{key} : population non déclarée"
        assert isinstance(indicator.unit, Unit)
    for result in compute(list(registry()), JANUARY, None):
        if result.value is not None:
            if result.unit.is_count and not result.span.is_rate:
                assert isinstance(result.value, int), result.key
            else:
                assert isinstance(result.value, Decimal), result.key
        for category, number in result.breakdown.items():
            unit = result.unit_of(category)
            if category.startswith("part ") and category.endswith("(%)"):
                assert unit.kind is Kind.SHARE, (result.key, category)
            if isinstance(number, int):
                assert unit.is_count, (result.key, category, unit)
            else:
                assert not unit.is_count, (result.key, category, unit)


def test_docs_list_every_indicator() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "reports.md").read_text()
    missing = [key for key in registry() if f"| `{key}` |" not in text]
    assert not missing, f"docs/reports.md ne décrit pas : {missing}"


def test_chart_labels_of_a_year_are_short_french_and_do_not_overlap() -> None:
    result = one(
        events("entretiens"),
        Decimal("10.0"),
        {f"2025-{m:02d}": 10 for m in range(1, 13)},
        span=Span.PER_MONTH,
        partition=True,
    )
    svg = str(present(figures.figure(result, None)).chart)
    assert ">janv. 25<" in svg and ">avr. 25<" in svg and ">déc. 25<" in svg
    # A year of weeks: 53 bars, their labels at least 34 px apart (readable, not cut).
    mondays = [datetime.date(2024, 12, 30) + datetime.timedelta(weeks=n) for n in range(53)]
    weeks = one(
        events("consultations"),
        Decimal("1.0"),
        {m.isoformat(): 1 for m in mondays},
        span=Span.PER_WEEK,
        partial={mondays[0].isoformat(): 5},
    )
    chart = str(present(figures.figure(weeks, None)).chart)
    xs = [float(x) for x in re.findall(r'<text x="([\d.]+)" y="196"', chart)]
    assert len(xs) >= 12
    assert all(b - a >= 34 for a, b in itertools.pairwise(xs))
    assert ">30/12*<" in chart and "période partielle" in chart
