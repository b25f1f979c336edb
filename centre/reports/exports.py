"""CSV and XLSX files of a report: the same stored figures as the PDF.

CSV: UTF-8 with BOM and `;` separator (opens as is in French Excel), one row per fact
("tidy": the headline value, then one row per category). XLSX: one sheet per table.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl.styles import Font

from centre.reports.figures import as_number, csv_value, is_suppressed
from centre.spreadsheets import Workbook, csv_bytes

CSV_COLUMNS = (
    "rapport",
    "du",
    "au",
    "site",
    "indicateur",
    "libelle",
    "categorie",
    "valeur",
    "unite",
)
TOTAL = "total"


@dataclass(frozen=True)
class ExportContext:
    template_title: str
    period_start: str  # ISO dates
    period_end: str
    site_label: str
    threshold: int
    generated_at: str


def to_csv(ctx: ExportContext, figures: Sequence[dict[str, Any]]) -> bytes:
    base = [ctx.template_title, ctx.period_start, ctx.period_end, ctx.site_label]

    def rows() -> Iterable[list[Any]]:
        for fig in figures:
            yield [*base, fig["key"], fig["label"], TOTAL, csv_value(fig["value"]), fig["unit"]]
            for category, cell in fig["breakdown"]:
                yield [*base, fig["key"], fig["label"], category, csv_value(cell), fig["unit"]]

    return csv_bytes(CSV_COLUMNS, rows())


def _sheet_title(label: str, taken: set[str]) -> str:
    # Excel: at most 31 characters, none of []:*?/\ and unique in the workbook.
    base = re.sub(r"[\[\]:*?/\\]", "-", label)[:28].strip() or "Tableau"
    title, n = base, 2
    while title.lower() in taken:
        title = f"{base[:26]} {n}"
        n += 1
    taken.add(title.lower())
    return title


def _xlsx_cell(cell: Any) -> Any:
    if cell is None or is_suppressed(cell):
        return cell  # "< 5" stays text: it is not a number
    return as_number(cell)


def to_xlsx(ctx: ExportContext, figures: Sequence[dict[str, Any]]) -> bytes:
    wb = Workbook()
    bold = Font(bold=True)
    taken: set[str] = set()
    summary = wb.active
    assert summary is not None
    summary.title = _sheet_title("Synthèse", taken)
    summary.append(["Indicateur", "Libellé", "Valeur", "Unité"])
    for fig in figures:
        summary.append([fig["key"], fig["label"], _xlsx_cell(fig["value"]), fig["unit"]])
    for fig in figures:
        if not fig["breakdown"]:
            continue
        sheet = wb.create_sheet(_sheet_title(fig["label"], taken))
        sheet.append([fig["label"]])
        sheet.append(["Catégorie", "Valeur", "Unité"])
        sheet.append([TOTAL, _xlsx_cell(fig["value"]), fig["unit"]])
        for category, cell in fig["breakdown"]:
            sheet.append([category, _xlsx_cell(cell), fig["unit"]])
        sheet["A1"].font = bold
        sheet.column_dimensions["A"].width = 45
    definitions = wb.create_sheet(_sheet_title("Définitions", taken))
    definitions.append(["Indicateur", "Libellé", "Définition"])
    for fig in figures:
        definitions.append([fig["key"], fig["label"], fig["definition"]])
    about = wb.create_sheet(_sheet_title("Paramètres", taken))
    for row in (
        ("Rapport", ctx.template_title),
        ("Du", ctx.period_start),
        ("Au", ctx.period_end),
        ("Site", ctx.site_label),
        (
            "Secret statistique",
            f"effectifs de 1 à {ctx.threshold - 1} affichés « < {ctx.threshold} »",
        ),
        ("Produit le", ctx.generated_at),
    ):
        about.append(list(row))
    for sheet in (summary, definitions):
        for cell in sheet[1]:
            cell.font = bold
        sheet.column_dimensions["A"].width = 36
        sheet.column_dimensions["B"].width = 45
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
