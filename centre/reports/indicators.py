"""The indicator framework shared by the dashboard, the reports and the API.

Each app defines its indicators once, in `<app>/indicators.py`, as functions of a period and a
list of sites (``None`` = every site) that run a few SQL aggregates. An app module exposes
either:

- ``INDICATORS``: a sequence of :class:`Indicator` (the form used by centre, patients,
  appointments and billing), or
- ``ALL``: a sequence of functions returning an object with ``key``, ``label``,
  ``definition``, ``value``, ``unit`` and ``breakdown`` (the form outreach chose).

The registry imports these modules by name; an app without one contributes nothing.
"""

from __future__ import annotations

import datetime
import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

from centre.models import Site

Number = int | Decimal
# Apps asked for their indicators, in the order they appear in reports and the API.
INDICATOR_APPS = ("centre", "patients", "appointments", "billing", "outreach")
MODULES = {"centre": "centre.reports.centre_indicators"}

# Units of values that are counts of people or events: the ones small-cell suppression hides.
COUNT_UNITS = frozenset(
    {
        "",
        "actions",
        "consultations",
        "dossiers",
        "entretiens",
        "mentions",
        "orientations",
        "participations",
        "patient·e·s",
        "personnes",
        "professionnel·le·s",
        "rendez-vous",
        "factures",
        "comptes",
    }
)


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


@dataclass(frozen=True)
class Breakdown:
    """What an indicator function returns when it has details: the headline value and the
    value per category (in display order)."""

    value: Number | None
    parts: Mapping[str, Number] = field(default_factory=dict)
    # Set only by indicators that describe themselves as they compute (outreach's form).
    label: str = ""
    definition: str = ""
    unit: str | None = None


Compute = Callable[[Period, "list[Site] | None"], "Number | Breakdown | None"]


@dataclass(frozen=True)
class Indicator:
    """The definition of an indicator: what it counts, in French, and how."""

    key: str
    label: str
    definition: str
    unit: str
    compute: Compute
    app: str = ""

    def run(self, period: Period, sites: list[Site] | None) -> Result:
        outcome = self.compute(period, sites)
        if not isinstance(outcome, Breakdown):
            outcome = Breakdown(outcome)
        return Result(
            key=self.key,
            app=self.app,
            label=outcome.label or self.label,
            definition=outcome.definition or self.definition,
            unit=self.unit if outcome.unit is None else outcome.unit,
            value=outcome.value,
            breakdown=dict(outcome.parts),
        )


@dataclass(frozen=True)
class Result:
    """A computed indicator: the same object feeds the dashboard, the PDF, CSV and XLSX."""

    key: str
    app: str
    label: str
    definition: str
    unit: str
    value: Number | None
    breakdown: dict[str, Number]

    @property
    def is_count(self) -> bool:
        return self.unit in COUNT_UNITS

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "app": self.app,
            "label": self.label,
            "definition": self.definition,
            "unit": self.unit,
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


def _adapt(app: str, function: Callable[..., Any]) -> Indicator:
    """Wraps a function that returns its own label and definition with its value (outreach)."""

    def compute(period: Period, sites: list[Site] | None) -> Breakdown:
        outcome = function(period, sites)
        return Breakdown(
            outcome.value,
            dict(outcome.breakdown),
            label=outcome.label,
            definition=outcome.definition,
            unit=outcome.unit,
        )

    name = function.__name__
    doc = (function.__doc__ or "").strip()
    return Indicator(f"{app}.{name}", name.replace("_", " "), doc, "", compute, app)


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
        found.append(item if item.app else _with_app(item, app))
    found += [_adapt(app, function) for function in getattr(module, "ALL", ())]
    return found


def _with_app(indicator: Indicator, app: str) -> Indicator:
    return Indicator(
        indicator.key,
        indicator.label,
        indicator.definition,
        indicator.unit,
        indicator.compute,
        app,
    )


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
