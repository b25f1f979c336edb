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


def _rows(fig: dict[str, Any]) -> list[tuple[str, Any, str, str]]:
    """(category, cell, unit, kind) of a figure: its headline, then each category with the unit
    its indicator declares (older stored runs: the headline's unit for non-counts)."""
    headline = "moyenne" if fig.get("span") in RATE_SPANS else TOTAL
    out = [(headline, fig["value"], fig["unit"], fig.get("kind", ""))]
    units = fig.get("units") or [
        fig["unit"] if not isinstance(v, int) else "" for _, v in fig["breakdown"]
    ]
    kinds = fig.get("kinds") or ["" for _ in fig["breakdown"]]
    for (category, cell), unit, kind in zip(fig["breakdown"], units, kinds, strict=True):
        out.append((category, cell, unit, kind))
    return out


RATE_SPANS = ("per_week", "per_month")


def to_csv(ctx: ExportContext, figures: Sequence[dict[str, Any]]) -> bytes:
    base = [ctx.template_title, ctx.period_start, ctx.period_end, ctx.site_label]

    def rows() -> Iterable[list[Any]]:
        for fig in figures:
            for category, cell, unit, _kind in _rows(fig):
                yield [*base, fig["key"], fig["label"], category, csv_value(cell), unit]

    return csv_bytes(CSV_COLUMNS, rows())


# Number formats of XLSX cells by kind (the unit is in the next column).
NUMBER_FORMATS = {
    "persons": "#,##0",
    "events": "#,##0",
    "share": "0.0",
    "amount": "#,##0.00",
    "duration": "0.0",
}


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


def _append(sheet: Any, values: list[Any], kind: str, column: int) -> None:
    sheet.append(values)
    number_format = NUMBER_FORMATS.get(kind)
    cell = sheet.cell(row=sheet.max_row, column=column)
    if number_format and not isinstance(cell.value, str) and cell.value is not None:
        if kind in ("persons", "events") and not float(cell.value).is_integer():
            number_format = "0.0"  # a rate: consultations per week
        cell.number_format = number_format


def to_xlsx(ctx: ExportContext, figures: Sequence[dict[str, Any]]) -> bytes:
    wb = Workbook()
    bold = Font(bold=True)
    taken: set[str] = set()
    summary = wb.active
    assert summary is not None
    summary.title = _sheet_title("Synthèse", taken)
    summary.append(["Indicateur", "Libellé", "Valeur", "Unité", "Population"])
    for fig in figures:
        _append(
            summary,
            [
                fig["key"],
                fig["label"],
                _xlsx_cell(fig["value"]),
                fig["unit"],
                fig.get("population", ""),
            ],
            fig.get("kind", ""),
            3,
        )
    for fig in figures:
        if not fig["breakdown"]:
            continue
        sheet = wb.create_sheet(_sheet_title(fig["label"], taken))
        sheet.append([fig["label"]])
        sheet.append(["Catégorie", "Valeur", "Unité"])
        for category, cell, unit, kind in _rows(fig):
            label = category
            days = (fig.get("partial") or {}).get(category)
            if days:
                label = f"{category} (partielle : {days} j)"
            _append(sheet, [label, _xlsx_cell(cell), unit], kind, 2)
        sheet["A1"].font = bold
        sheet.column_dimensions["A"].width = 45
        sheet.column_dimensions["C"].width = 28
    definitions = wb.create_sheet(_sheet_title("Définitions", taken))
    definitions.append(["Indicateur", "Libellé", "Définition", "Unité", "Population"])
    for fig in figures:
        definitions.append(
            [fig["key"], fig["label"], fig["definition"], fig["unit"], fig.get("population", "")]
        )
    about = wb.create_sheet(_sheet_title("Paramètres", taken))
    for row in (
        ("Rapport", ctx.template_title),
        ("Du", ctx.period_start),
        ("Au", ctx.period_end),
        ("Site", ctx.site_label),
        (
            "Secret statistique",
            f"effectifs de 1 à {ctx.threshold - 1} affichés « < {ctx.threshold} » ; « secret » : "
            "case masquée en complément (elle permettrait de retrouver un effectif masqué)",
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
