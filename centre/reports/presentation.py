"""What the dashboard, a run's page and the PDF show of computed figures (French labels of
time series, charts, sections of a report template). Pure presentation: no query but the
centre's name, no write."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from centre.models import Centre
from centre.reports import charts, figures
from centre.reports.models import ReportRun
from centre.reports.templates import ReportTemplate, Section


@dataclass(frozen=True)
class Row:
    category: str  # as computed (ISO week, month, label)
    label: str  # as shown ("semaine du 29/12/2025 (partielle : 4 jours)")
    value: Any  # the stored cell
    display: str  # "1 234", "28,8 %", "< 5"
    unit: str  # "patient·e·s", "%", "€"
    kind: str  # a centre.reports.indicators.Kind value
    partial: int | None = None  # days in the period of a partial week or month
    link: str = ""  # the list behind the number (dashboard only)


@dataclass(frozen=True)
class Shown:
    key: str
    label: str
    definition: str
    unit: str
    value: Any
    display: str
    table: list[Row]
    kind: str = ""
    span: str = ""
    population: str = ""
    link: str = ""  # the list behind the number (dashboard only)

    @property
    def rows(self) -> list[tuple[str, str, str]]:
        return [(r.label, r.display, r.unit) for r in self.table]

    @property
    def raw_rows(self) -> list[tuple[str, Any]]:
        return [(r.category, r.value) for r in self.table]

    @property
    def unit_word(self) -> str:
        """The unit written after the headline (shares and amounts carry theirs)."""
        return "" if self.unit in ("%", "€") else self.unit

    @property
    def is_series(self) -> bool:
        return self.span in ("per_week", "per_month")

    @property
    def chart(self) -> Any:
        return chart_for(self)

    @property
    def long_table(self) -> bool:
        """Tables too long for a page of the PDF: shown as their chart, the table is in the
        CSV and XLSX files."""
        return len(self.table) > LONG_TABLE


LONG_TABLE = 14


MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


# Abbreviations of the Imprimerie nationale's usage, for chart labels.
SHORT_MONTHS = (
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
)


def category_label(key: str, category: str, span: str = "", partial: int | None = None) -> str:
    """ISO weeks and months of time series, in French ("semaine du 05/01/2026"), partial ones
    flagged with their days in the period."""
    weekly = span == "per_week" or (not span and key.endswith("_by_week"))
    monthly = span == "per_month" or (not span and key.endswith("_by_month"))
    try:
        if weekly:
            text = f"semaine du {datetime.date.fromisoformat(category):%d/%m/%Y}"
        elif monthly:
            year, month = category.split("-")
            text = f"{MONTHS[int(month) - 1]} {year}"
        else:
            return category
    except (ValueError, IndexError):
        return category
    if partial:
        text += f" (partielle : {partial} jour{'s' if partial > 1 else ''})"
    return text


def present(fig: dict[str, Any]) -> Shown:
    """A stored figure as the pages and the PDF show it; the units of its rows are the
    indicator's declaration (older runs stored without them fall back on the headline's)."""
    rows = fig["breakdown"]
    units = fig.get("units") or [fig["unit"] if not isinstance(v, int) else "" for _, v in rows]
    kinds = fig.get("kinds") or ["" for _ in rows]
    partial = fig.get("partial") or {}
    span = fig.get("span", "")
    table = [
        Row(
            category=k,
            label=category_label(fig["key"], k, span, partial.get(k)),
            value=v,
            display=figures.display(v, unit),
            unit=unit,
            kind=kind,
            partial=partial.get(k),
        )
        for (k, v), unit, kind in zip(rows, units, kinds, strict=True)
    ]
    return Shown(
        key=fig["key"],
        label=fig["label"],
        definition=fig["definition"],
        unit=fig["unit"],
        value=fig["value"],
        display=figures.display(fig["value"], fig["unit"]),
        table=table,
        kind=fig.get("kind", ""),
        span=span,
        population=fig.get("population", ""),
    )


def chart_for(fig: Shown) -> Any:
    """The chart follows the declaration: a time series is drawn as columns (partial weeks
    or months in a lighter colour, said so in their label), categories as bars; only the
    rows in the breakdown's own unit are drawn (not the shares beside counts)."""
    if fig.is_series:
        points = [(r.label, r.value) for r in fig.table]
        light = {r.label for r in fig.table if r.partial}
        short = [_short_series_label(r) for r in fig.table]
        return charts.column_chart(points, title=fig.label, partial=light, short_labels=short)
    main = _main_unit(fig)
    points = [(r.label, r.value) for r in fig.table if r.unit == main and r.kind != "share"]
    return charts.bar_chart(points, title=fig.label)


def _main_unit(fig: Shown) -> str:
    counts: dict[str, int] = {}
    for r in fig.table:
        counts[r.unit] = counts.get(r.unit, 0) + 1
    return max(counts, key=lambda u: counts[u]) if counts else ""


def _short_series_label(row: Row) -> str:
    try:
        if len(row.category) == 10:
            day = datetime.date.fromisoformat(row.category)
            text = f"{day:%d/%m}"
        else:
            year, month = row.category.split("-")
            text = f"{SHORT_MONTHS[int(month) - 1]} {year[2:]}"
    except (ValueError, IndexError):
        text = row.category
    return f"{text}*" if row.partial else text


def _sections(template: ReportTemplate, shown: dict[str, Shown]) -> list[dict[str, Any]]:
    out = []
    for section in template.sections:
        out.append(build_section(section, shown))
    return out


def build_section(section: Section, shown: dict[str, Shown]) -> dict[str, Any]:
    figs = [shown[k] for k in section.indicators if k in shown]
    chart = chart_for(shown[section.chart]) if section.chart in shown else None
    return {
        "title": section.title,
        "figures": figs,
        "chart": chart,
        "chart_key": section.chart if section.chart in shown else "",
        "missing": [k for k in section.indicators if k not in shown],
    }


def pdf_context(
    run: ReportRun, template: ReportTemplate, figs: list[dict[str, Any]]
) -> dict[str, Any]:
    shown = {f["key"]: present(f) for f in figs}
    centre = Centre.objects.order_by("pk").first()
    return {
        "template": template,
        "centre": centre,
        "centre_name": centre.name if centre else "Centre de santé",
        "period_start": run.period_start,
        "period_end": run.period_end,
        "site_label": run.site.name if run.site else "Tous les sites",
        "threshold": run.suppression_threshold,
        "generated_at": timezone.localtime(),
        "sections": _sections(template, shown),
        "definitions": list(shown.values()),
    }
