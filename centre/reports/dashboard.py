"""The director's dashboard: the same indicators as the reports, exact (internal use, no
small-cell suppression), for a chosen period and site."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse

from centre.models import Site
from centre.reports import figures, selectors
from centre.reports.indicators import Period, compute
from centre.reports.presentation import Shown, build_section, present
from centre.reports.templates import Section

SECTIONS = (
    Section(
        "Consultations",
        (
            "appointments.consultations",
            "appointments.patients_seen",
            "appointments.no_show_rate",
            "appointments.walk_ins",
        ),
        chart="appointments.consultations_by_week",
    ),
    Section(
        "Patient·e·s vu·e·s",
        ("appointments.coverage_mix", "appointments.qpv_share", "patients.new_records"),
        chart="appointments.coverage_mix",
    ),
    Section(
        "Interprétariat",
        ("appointments.interpreting", "outreach.interpreting"),
        chart="appointments.interpreting",
    ),
    Section(
        "Médiation et accès aux droits",
        (
            "outreach.sessions",
            "outreach.distinct_people",
            "outreach.rights_opened",
            "outreach.referrals_to_consultation",
        ),
        chart="outreach.sessions",
    ),
    Section("Sujets abordés", ("outreach.topics",), chart="outreach.topics"),
    Section(
        "Actions collectives",
        ("outreach.collective_actions", "outreach.collective_participants"),
    ),
    Section(
        "Facturation",
        ("billing.billed", "billing.paid", "billing.rejected", "billing.unpaid"),
    ),
)


# The consultations list of the appointments app, for the headlines it shows (kept as the
# appointments tests call it). Every other number links to `reports:figure_rows`.
# `True`: the list takes the period and site as `start`, `end`, `site` query parameters.
LINKS: dict[str, tuple[str, bool]] = {
    # The consultations list shows held appointments by default (the same set as these
    # indicators), with distinct patients, walk-ins and counts by status for the no-show rate.
    "appointments.consultations": ("appointments:consultations", True),
    "appointments.patients_seen": ("appointments:consultations", True),
    "appointments.no_show_rate": ("appointments:consultations", True),
    "appointments.walk_ins": ("appointments:consultations", True),
}


def link_for(key: str, period: Period, sites: list[Site] | None) -> str:
    name, with_period = LINKS.get(key, ("", False))
    if not name:
        return ""
    try:
        url = reverse(name)
    except NoReverseMatch:
        return ""  # that app's page is not installed
    if not with_period:
        return url
    query = {"start": period.start.isoformat(), "end": period.end.isoformat()}
    if sites and len(sites) == 1:
        query["site"] = str(sites[0].pk)
    return f"{url}?{urlencode(query)}"


# Headlines shown by an app's own list, filtered the same way (the consultations list counts
# held consultations and their distinct patients exactly as these indicators do).
APP_LISTS = ("appointments.consultations", "appointments.patients_seen")


def figure_link(key: str, period: Period, sites: list[Site] | None, category: str | None) -> str:
    """The list behind a number of the dashboard: the app's list for the headlines it shows,
    else the rows the indicator declares (`reports:figure_rows`), for the same period, site
    and category; "" when the number is not a count or sum of rows (a share beside counts)."""
    if category is None and key in APP_LISTS:
        return link_for(key, period, sites)
    if selectors.rows_query(key, period, sites, category) is None:
        return ""
    query = {"start": period.start.isoformat(), "end": period.end.isoformat()}
    if sites and len(sites) == 1:
        query["site"] = str(sites[0].pk)
    if category is not None:
        query["categorie"] = category
    return f"{reverse('reports:figure_rows', args=[key])}?{urlencode(query)}"


def _linked(shown: Shown, period: Period, sites: list[Site] | None) -> Shown:
    table = [
        replace(row, link=figure_link(shown.key, period, sites, row.category))
        if row.kind != "share"
        else row
        for row in shown.table
    ]
    return replace(shown, link=figure_link(shown.key, period, sites, None), table=table)


def dashboard_keys() -> list[str]:
    keys: list[str] = []
    for section in SECTIONS:
        for key in (*section.indicators, section.chart):
            if key and key not in keys:
                keys.append(key)
    return keys


def dashboard_context(period: Period, sites: list[Site] | None) -> dict[str, Any]:
    results = compute(dashboard_keys(), period, sites)
    shown: dict[str, Shown] = {
        r.key: _linked(present(figures.figure(r, threshold=None)), period, sites) for r in results
    }
    return {
        "period": period,
        "sections": [build_section(s, shown) for s in SECTIONS],
    }
