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
class Shown:
    key: str
    label: str
    definition: str
    unit: str
    value: Any
    display: str
    rows: list[tuple[str, str]]
    raw_rows: list[tuple[str, Any]]
    link: str = ""  # the list behind the number (dashboard only)


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


def category_label(key: str, category: str) -> str:
    """ISO weeks and months of time series, in French ("semaine du 05/01/2026")."""
    try:
        if key.endswith("_by_week"):
            return f"semaine du {datetime.date.fromisoformat(category):%d/%m/%Y}"
        if key.endswith("_by_month"):
            year, month = category.split("-")
            return f"{MONTHS[int(month) - 1]} {year}"
    except (ValueError, IndexError):
        pass
    return category


def present(fig: dict[str, Any]) -> Shown:
    return Shown(
        key=fig["key"],
        label=fig["label"],
        definition=fig["definition"],
        unit=fig["unit"],
        value=fig["value"],
        display=figures.display(fig["value"], fig["unit"]),
        rows=[
            (category_label(fig["key"], k), figures.display(v, fig["unit"]))
            for k, v in fig["breakdown"]
        ],
        raw_rows=[(k, v) for k, v in fig["breakdown"]],
    )


def chart_for(fig: Shown) -> Any:
    points = [(k, v) for k, v in fig.raw_rows if not str(k).startswith("part ")]
    if fig.key.endswith(("_by_week", "_by_month")):
        return charts.column_chart(points, title=fig.label)
    return charts.bar_chart(points, title=fig.label)


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
