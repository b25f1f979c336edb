"""Each report template, on the hand-built January of tests/centre/reports_data.py: every
headline figure is the hand-computed value, and the same in the run's page, the PDF text, the
CSV and the XLSX (threshold 5: counts from 1 to 4 « < 5 », hidden shares « secret »).
Then the PDF layout: a year's weekly table is a chart, not pages of rows, and no page is
nearly empty."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from centre.models import Site, User
from centre.reports.figures import csv_value
from centre.reports.models import ReportRun, RunStatus
from centre.reports.presentation import present
from centre.reports.templates import TEMPLATES
from tests.centre.reports_data import build

pytestmark = pytest.mark.django_db

NNBSP = "\u202f"
# Counted by hand from reports_data.py (see test_reports_indicators.py for the details):
# (CSV and XLSX value, as displayed on the page and in the PDF).
EXPECTED: dict[str, tuple[Any, str]] = {
    "appointments.consultations": ("5", "5"),  # 4 GP + 1 nurse: the parts are hidden
    # 5 consultations over 31 days = 4.43 weeks: 1.1 per week (not the month's 5).
    "appointments.consultations_by_week": ("1,1", "1,1"),
    "appointments.walk_ins": ("< 5", "< 5"),
    "appointments.no_show_rate": ("secret", "secret"),  # 2 no-shows out of 7
    "appointments.patients_seen": ("< 5", "< 5"),  # 4
    "patients.new_records": ("< 5", "< 5"),  # 2
    "appointments.coverage_mix": ("< 5", "< 5"),
    "appointments.qpv_share": ("secret", "secret"),  # 2 of 3 in QPV: the count is hidden
    "appointments.interpreting": ("< 5", "< 5"),
    "appointments.medecin_traitant": ("< 5", "< 5"),
    "billing.billed": ("86,50", f"86,50{NNBSP}€"),
    "billing.paid": ("38,95", f"38,95{NNBSP}€"),
    "billing.rejected": ("9,00", f"9,00{NNBSP}€"),
    "billing.unpaid": ("47,55", f"47,55{NNBSP}€"),
    "billing.tiers_payant": ("secret", "secret"),  # 2 of 3 invoices: counts hidden
    # The team is not about patients: never hidden.
    "centre.practitioners": ("3", "3"),
    "centre.staff_by_role": ("7", "7"),
    "centre.weekly_hours": ("10,5", "10,5"),
    # No mediation or participation in the hand-built month.
    "outreach.sessions": ("0", "0"),
    "outreach.sessions_by_month": ("0,0", "0,0"),
    "outreach.distinct_people": ("0", "0"),
    "outreach.topics": ("0", "0"),
    "outreach.rights_opened": ("0", "0"),
    "outreach.referrals": ("0", "0"),
    "outreach.referrals_to_consultation": ("0", "0"),
    "outreach.interpreting": ("0", "0"),
    "outreach.collective_actions": ("0", "0"),
    "outreach.collective_participants": ("0", "0"),
    "outreach.participation_surveys": ("0", "0"),
    "outreach.participation_answer_sheets": ("0", "0"),
    "outreach.participation_committee_meetings": ("0", "0"),
    "outreach.participation_user_requests": ("0", "0"),
    "outreach.qpv_share": ("", "—"),
    "outreach.median_days_to_opening": ("", "—"),
}


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def january(site: Site, other_site: Site, staff: dict[str, User]) -> None:
    build(site=site, other_site=other_site, staff=staff)


def _run(client: Client, capture: Any, template: str, start: str, end: str) -> ReportRun:
    with capture(execute=True):
        response = client.post(
            reverse("reports:create"),
            {"template": template, "start": start, "end": end, "site": ""},
        )
    assert response.status_code == 302
    run = ReportRun.objects.latest("id")
    assert run.status == RunStatus.DONE, run.error
    return run


def _file(run: ReportRun, fmt: str) -> Path:
    return Path(django_settings.MEDIA_ROOT) / run.files()[fmt]


def _pdf_pages(run: ReportRun) -> list[str]:
    return [page.extract_text() for page in PdfReader(_file(run, "pdf")).pages]


@pytest.mark.parametrize("template", list(TEMPLATES))
@pytest.mark.usefixtures("january")
def test_each_figure_is_the_same_in_page_pdf_csv_and_xlsx(
    template: str,
    client_for: Callable[[str | None], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    director = client_for("direction")
    run = _run(director, django_capture_on_commit_callbacks, template, "2026-01-01", "2026-01-31")
    keys = TEMPLATES[template].available()
    assert {f["key"] for f in run.figures} == set(keys)

    page = director.get(reverse("reports:detail", args=[run.pk])).content.decode()
    found = re.findall(
        r'<tr data-key="([^"]+)"><th scope="row">[^<]*</th><td class="num">([^<]*)<', page
    )
    shown = {key: html.unescape(value) for key, value in found}
    rows = list(
        csv.DictReader(
            io.StringIO(_file(run, "csv").read_bytes().decode("utf-8-sig")), delimiter=";"
        )
    )
    headline = {
        r["indicateur"]: r["valeur"] for r in rows if r["categorie"] in ("total", "moyenne")
    }
    summary = {
        row[0]: row[2]
        for row in load_workbook(_file(run, "xlsx"))["Synthèse"].iter_rows(
            min_row=2, values_only=True
        )
    }
    text = "\n".join(_pdf_pages(run))
    # The sections: after the contents' last entry, before the definitions.
    after_toc = text.index("Définitions des indicateurs") + len("Définitions des indicateurs")
    body = text[after_toc : text.index("Définitions des indicateurs", after_toc)]
    labels = {f["key"]: f["label"] for f in run.figures}
    for key in keys:
        in_files, displayed = EXPECTED[key]
        assert headline[key] == in_files, (template, key)
        assert shown[key] == displayed, (template, key)
        cell = summary[key]
        expected_cell: Any = in_files
        if in_files and in_files[0].isdigit():
            expected_cell = float(in_files.replace(",", "."))
        assert (cell if cell is not None else "") == expected_cell or (
            isinstance(cell, int | float) and float(cell) == expected_cell
        ), (template, key, cell)
        # In the PDF, the value follows the figure's heading.
        heading = re.search(rf"^{re.escape(labels[key])}$", body, re.MULTILINE)
        assert heading is not None, (template, key)
        assert displayed in body[heading.end() : heading.end() + 200], (template, key)

    # Every category: the same cell and unit in the CSV, the XLSX sheet and the PDF table.
    by_fact = {(r["indicateur"], r["categorie"]): (r["valeur"], r["unite"]) for r in rows}
    book = load_workbook(_file(run, "xlsx"))
    for fig in run.figures:
        if not fig["breakdown"]:
            continue
        shown_fig = present(fig)
        sheet = next(
            book[name] for name in book.sheetnames if book[name]["A1"].value == fig["label"]
        )
        xlsx = {
            str(row[0]): (row[1], row[2]) for row in sheet.iter_rows(min_row=4, values_only=True)
        }
        heading = re.search(rf"^{re.escape(fig['label'])}$", body, re.MULTILINE)
        assert heading is not None
        table = body[heading.end() : heading.end() + 1500]
        for row, (category, cell) in zip(shown_fig.table, fig["breakdown"], strict=True):
            assert by_fact[(fig["key"], category)] == (csv_value(cell), row.unit), (
                fig["key"],
                category,
            )
            label = category
            if row.partial:
                label = f"{category} (partielle : {row.partial} j)"
            value, unit = xlsx[label]
            assert (value if isinstance(value, str) else csv_value(str(value))) == (
                csv_value(cell) if cell is not None else None
            ) or float(value) == float(str(cell)), (fig["key"], category, value)
            assert unit == row.unit
            if not shown_fig.long_table:
                at = table.index(row.label)
                assert row.display in table[at : at + len(row.label) + 60], (fig["key"], category)


@pytest.mark.usefixtures("january")
def test_a_year_weekly_table_is_a_chart_and_no_page_is_nearly_empty(
    client_for: Callable[[str | None], Client], django_capture_on_commit_callbacks: Any
) -> None:
    director = client_for("direction")
    run = _run(
        director, django_capture_on_commit_callbacks, "annual_centre", "2025-02-01", "2026-01-31"
    )
    pages = _pdf_pages(run)
    text = "\n".join(pages)
    # 53 weeks touched: the PDF draws them, the table is in the CSV and the XLSX.
    assert "semaine du 05/01/2026" not in text
    assert "détail (53 lignes) dans le graphique" in text
    weeks = [
        r
        for r in csv.DictReader(
            io.StringIO(_file(run, "csv").read_bytes().decode("utf-8-sig")), delimiter=";"
        )
        if r["indicateur"] == "appointments.consultations_by_week" and r["categorie"] != "moyenne"
    ]
    assert len(weeks) == 53
    assert weeks[0]["categorie"] == "2025-01-27"  # Sat 1 Feb 2025 is in that week: partial
    sheet = load_workbook(_file(run, "xlsx"))["Consultations par semaine"]
    labels = [row[0] for row in sheet.iter_rows(min_row=4, values_only=True)]
    assert labels[0] == "2025-01-27 (partielle : 2 j)" and len(labels) == 53
    # 6 consultations over 365 days = 52.14 weeks: 0.1 per week.
    assert "0,1" in text
    # No nearly blank page: every page but the last carries a real amount of text.
    for number, page in enumerate(pages[:-1], start=1):
        assert len(page.strip()) > 400, (number, page)
