"""The indicator framework shared by the dashboard, the reports and the API.

Each app defines its indicators once, in `<app>/indicators.py`, as functions of a period and a
list of sites (``None`` = every site) that run a few SQL aggregates. An app module exposes
either:

- ``INDICATORS``: a sequence of :class:`Indicator` (the form used by centre, patients,
  appointments and billing), or
- ``ALL``: a sequence of functions returning an object with ``key``, ``label``,
  ``definition``, ``value``, ``unit`` and ``breakdown`` (the form outreach chose), typed by the
  module's ``TYPES`` (function name → the keyword arguments of :class:`Indicator`).

Every indicator is *typed*: it declares its unit (:class:`Unit` — a count of persons, a count
of events, a share, an amount or a duration, and whether small counts identify people), the
population it is about, its period semantics (:class:`Span`: counted over the period, a state
on its last day, a rate per week or per month) and the unit of each category of its
breakdown. Formatting, the unit written in the page, CSV, XLSX and PDF, small-cell
suppression and the chart drawn all follow from that declaration (`figures.py`,
`presentation.py`), never from a report template.

The registry imports these modules by name; an app without one contributes nothing.
"""

from __future__ import annotations

import calendar
import datetime
import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import cache
from typing import Any

from centre.models import Site

Number = int | Decimal
# Apps asked for their indicators, in the order they appear in reports and the API.
INDICATOR_APPS = ("centre", "patients", "appointments", "billing", "outreach")
MODULES = {"centre": "centre.reports.centre_indicators"}


class Kind(StrEnum):
    PERSONS = "persons"
    EVENTS = "events"
    SHARE = "share"
    AMOUNT = "amount"
    DURATION = "duration"

    @property
    def label(self) -> str:
        return KIND_LABELS[self.value]


KIND_LABELS = {
    "persons": "effectif de personnes",
    "events": "nombre d'événements",
    "share": "part (%)",
    "amount": "montant (€)",
    "duration": "durée",
}


@dataclass(frozen=True)
class Unit:
    """What a number is. `noun` is the word written after it (« patient·e·s », « heures »);
    shares are written « % » and amounts « € ». `secret`: small counts of this unit could
    identify a patient or a person met in mediation, so reports suppress them (staff counts,
    meetings, surveys are not about them and are never suppressed)."""

    kind: Kind
    noun: str
    secret: bool = False

    @property
    def is_count(self) -> bool:
        return self.kind in (Kind.PERSONS, Kind.EVENTS)

    @property
    def is_suppressed_count(self) -> bool:
        return self.is_count and self.secret

    @property
    def symbol(self) -> str:
        return self.noun


def persons(noun: str, *, secret: bool = True) -> Unit:
    return Unit(Kind.PERSONS, noun, secret)


def events(noun: str, *, secret: bool = True) -> Unit:
    return Unit(Kind.EVENTS, noun, secret)


def duration(noun: str) -> Unit:
    return Unit(Kind.DURATION, noun)


SHARE = Unit(Kind.SHARE, "%")
AMOUNT = Unit(Kind.AMOUNT, "€")


class Span(StrEnum):
    """Period semantics of an indicator."""

    FLOW = "flow"  # counted or summed over the days of the period
    STOCK = "stock"  # a state on the period's last day (team, opening hours)
    PER_WEEK = "per_week"  # a rate: the headline is the mean per week of the period
    PER_MONTH = "per_month"  # a rate: the headline is the mean per month of the period

    @property
    def label(self) -> str:
        return {
            "flow": "sur la période",
            "stock": "au dernier jour de la période",
            "per_week": "moyenne par semaine de la période",
            "per_month": "moyenne par mois de la période",
        }[self.value]

    @property
    def is_rate(self) -> bool:
        return self in (Span.PER_WEEK, Span.PER_MONTH)


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both days included."""

    start: datetime.date
    end: datetime.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("La fin de la période doit être après son début.")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def as_params(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}

    def weeks(self) -> list[tuple[datetime.date, int]]:
        """The ISO weeks touched by the period (their Monday) and how many of their days are
        in the period (7 for a full week)."""
        out: list[tuple[datetime.date, int]] = []
        monday = self.start - datetime.timedelta(days=self.start.weekday())
        while monday <= self.end:
            first = max(monday, self.start)
            last = min(monday + datetime.timedelta(days=6), self.end)
            out.append((monday, (last - first).days + 1))
            monday += datetime.timedelta(days=7)
        return out

    def months(self) -> list[tuple[datetime.date, int, int]]:
        """The months touched by the period (their first day), the days of each in the period
        and the days of the month."""
        out: list[tuple[datetime.date, int, int]] = []
        first = self.start.replace(day=1)
        while first <= self.end:
            length = calendar.monthrange(first.year, first.month)[1]
            last_of_month = first.replace(day=length)
            inside = (min(last_of_month, self.end) - max(first, self.start)).days + 1
            out.append((first, inside, length))
            first = last_of_month + datetime.timedelta(days=1)
        return out


@dataclass(frozen=True)
class Breakdown:
    """What an indicator function returns when it has details: the headline value and the
    value per category (in display order)."""

    value: Number | None
    parts: Mapping[str, Number] = field(default_factory=dict)
    # Set only by indicators that describe themselves as they compute (outreach's form).
    label: str = ""
    definition: str = ""


Compute = Callable[[Period, "list[Site] | None"], "Number | Breakdown | None"]
# The rows a figure counts or sums (category None: the headline), or None when that number is
# not a list of rows (a share beside counts, mentions): what the dashboard's links list.
Rows = Callable[[Period, "list[Site] | None", "str | None"], Any]


@dataclass(frozen=True)
class Indicator:
    """The definition of an indicator: what it counts, in French, how, and its type.

    `parts`: the unit of the breakdown's categories (the headline's unit by default, or the
    count the headline share or rate is made of); `part_units`: the categories of another unit
    (« factures » in an amount, « part C2S (%) » among counts). `partition`: the categories of
    the parts' unit add up to the headline (or, for a share or a rate, to the population it is
    computed on) — what complementary suppression protects."""

    key: str
    label: str
    definition: str
    unit: Unit
    compute: Compute
    app: str = ""
    population: str = ""
    span: Span = Span.FLOW
    parts: Unit | None = None
    part_units: Mapping[str, Unit] = field(default_factory=dict)
    partition: bool = False
    rows: Rows | None = None

    @property
    def parts_unit(self) -> Unit:
        return self.parts or self.unit

    def run(self, period: Period, sites: list[Site] | None) -> Result:
        outcome = self.compute(period, sites)
        if not isinstance(outcome, Breakdown):
            outcome = Breakdown(outcome)
        parts = dict(outcome.parts)
        value = outcome.value
        partial: dict[str, int] = {}
        total: int | None = None
        if self.span.is_rate:
            parts, partial, periods = _series(self.span, period, parts)
            total = sum(int(v) for v in parts.values())
            value = rate(total, periods)
        units = {k: self.part_units.get(k, self.parts_unit) for k in parts}
        return Result(
            key=self.key,
            app=self.app,
            label=outcome.label or self.label,
            definition=outcome.definition or self.definition,
            unit=self.unit,
            value=value,
            breakdown=parts,
            part_units=units,
            population=self.population,
            span=self.span,
            partition=self.partition,
            parts_unit=self.parts_unit,
            partial=partial,
            total=total,
        )


def rate(total: int, periods: Decimal) -> Decimal | None:
    """A count per week (or month) of the period, one decimal place, half up."""
    if not periods:
        return None
    return (Decimal(total) / periods).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _series(
    span: Span, period: Period, parts: dict[str, Number]
) -> tuple[dict[str, Number], dict[str, int], Decimal]:
    """Every week (or month) of the period, zeros included, in order; the partial ones with
    their number of days in the period; and how many weeks (months) the period spans."""
    series: dict[str, Number] = {}
    partial: dict[str, int] = {}
    if span is Span.PER_WEEK:
        for monday, days in period.weeks():
            key = monday.isoformat()
            series[key] = parts.get(key, 0)
            if days < 7:
                partial[key] = days
        return series, partial, Decimal(period.days) / 7
    periods = Decimal(0)
    for first, days, length in period.months():
        key = f"{first:%Y-%m}"
        series[key] = parts.get(key, 0)
        periods += Decimal(days) / Decimal(length)
        if days < length:
            partial[key] = days
    return series, partial, periods


@dataclass(frozen=True)
class Result:
    """A computed indicator: the same object feeds the dashboard, the PDF, CSV and XLSX."""

    key: str
    app: str
    label: str
    definition: str
    unit: Unit
    value: Number | None
    breakdown: dict[str, Number]
    part_units: dict[str, Unit] = field(default_factory=dict)
    population: str = ""
    span: Span = Span.FLOW
    partition: bool = False
    parts_unit: Unit | None = None
    # Categories of a time series only partly inside the period → their days in it.
    partial: dict[str, int] = field(default_factory=dict)
    # The count a rate is computed from (rates only).
    total: int | None = None

    def unit_of(self, category: str) -> Unit:
        return self.part_units.get(category, self.unit)

    @property
    def headline_unit(self) -> Unit:
        """The headline's unit as written: a rate is « consultations par semaine »."""
        if self.span is Span.PER_WEEK:
            return replace(self.unit, noun=f"{self.unit.noun} par semaine")
        if self.span is Span.PER_MONTH:
            return replace(self.unit, noun=f"{self.unit.noun} par mois")
        return self.unit

    @property
    def is_count(self) -> bool:
        return self.unit.is_count

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "app": self.app,
            "label": self.label,
            "definition": self.definition,
            "unit": self.headline_unit.symbol,
            "value": _json_number(self.value),
            "breakdown": {k: _json_number(v) for k, v in self.breakdown.items()},
        }


def _json_number(value: Number | None) -> int | str | None:
    if value is None or isinstance(value, int):
        return value
    return str(value)


def percent(part: int, whole: int) -> Decimal | None:
    """Share in percent, one decimal place, half up: the one rounding rule of the reports."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def site_ids(sites: Iterable[Site] | None) -> list[int] | None:
    return None if sites is None else [s.pk for s in sites]


def _adapt(app: str, function: Callable[..., Any], types: Mapping[str, Any]) -> Indicator:
    """Wraps a function that returns its own label and definition with its value (outreach);
    its type comes from the module's TYPES."""
    name = function.__name__
    if name not in types:
        raise TypeError(f"{app}.indicators.TYPES ne déclare pas le type de {name}.")

    def compute(period: Period, sites: list[Site] | None) -> Breakdown:
        outcome = function(period, sites)
        return Breakdown(
            outcome.value,
            dict(outcome.breakdown),
            label=outcome.label,
            definition=outcome.definition,
        )

    doc = (function.__doc__ or "").strip()
    return Indicator(
        f"{app}.{name}", name.replace("_", " "), doc, compute=compute, app=app, **types[name]
    )


def _module_indicators(app: str) -> list[Indicator]:
    module_name = MODULES.get(app, f"{app}.indicators")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name == module_name:
            return []  # this app defines no indicators (yet)
        raise
    found: list[Indicator] = []
    for item in getattr(module, "INDICATORS", ()):
        if not isinstance(item, Indicator):
            raise TypeError(f"{module_name}.INDICATORS contient {item!r}, pas un Indicator.")
        found.append(item if item.app else replace(item, app=app))
    types = getattr(module, "TYPES", {})
    found += [_adapt(app, function, types) for function in getattr(module, "ALL", ())]
    return found


@cache
def registry() -> dict[str, Indicator]:
    """Every indicator of the project by key (`app.name`), in report order."""
    indicators: dict[str, Indicator] = {}
    for app in INDICATOR_APPS:
        for indicator in _module_indicators(app):
            if indicator.key in indicators:
                raise ValueError(f"Indicateur défini deux fois : {indicator.key}")
            indicators[indicator.key] = indicator
    return indicators


def compute(
    keys: Sequence[str],
    period: Period,
    sites: list[Site] | None,
    *,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[Result]:
    """Results of the indicators named in `keys` that exist (missing apps are skipped)."""
    known = registry()
    wanted = [known[k] for k in keys if k in known]
    results: list[Result] = []
    for done, indicator in enumerate(wanted, start=1):
        results.append(indicator.run(period, sites))
        if on_progress is not None:
            on_progress(done, len(wanted))
    return results


def compute_apps(apps: Iterable[str], period: Period, sites: list[Site] | None) -> list[Result]:
    allowed = set(apps)
    keys = [k for k, i in registry().items() if i.app in allowed]
    return compute(keys, period, sites)
