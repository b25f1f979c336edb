"""The one writer of the project's CSV and XLSX files (reports, surveys, consultations, lists).

Every cell goes through `neutralise` (CSV `csv_bytes`, XLSX `Workbook.save`): a text cell that a
spreadsheet would run as a formula — it starts with `=`, `+`, `-`, `@`, a tab or a carriage
return (OWASP « CSV injection », ASVS 5.3.10) — is written as text:

- CSV: prefixed with a quote (`'=HYPERLINK(…)`), which spreadsheets show and never run;
- XLSX: stored as a text cell (never an `<f>` formula element) with Excel's own « quote prefix »
  style, the one Excel gives a cell typed `'=…`: the cell shows the text and stays text when
  edited.

Numbers (int, Decimal, float) are kept as numbers, and a text that is only a number (`-3`,
`-1,5`, `+33`) is not a formula and is left as is: a report's negative change stays readable.

Nothing else in the project calls `csv.writer` or `openpyxl.Workbook` to produce a file
(guarded by `tests/security/test_spreadsheets.py`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

import openpyxl

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def is_formula_like(value: str) -> bool:
    return value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(value)


def neutralise(value: Any) -> Any:
    """The value as a CSV cell: a formula-like text gets a leading quote; others unchanged."""
    if isinstance(value, str) and is_formula_like(value):
        return f"'{value}"
    return value


def csv_bytes(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """A CSV file as French spreadsheets open it as is: UTF-8 with BOM, `;` separator, CRLF,
    every cell neutralised (the header too: question texts are typed by people)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(v) for v in header])
    writer.writerows([neutralise(v) for v in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


class Workbook(openpyxl.Workbook):
    """`openpyxl.Workbook` whose `save` first turns every formula-like text cell into a text
    cell: whatever way a value was put in (`append`, `sheet["A1"] = …`), none leaves as a
    formula. The project writes no formula of its own."""

    def save(self, filename: Any) -> None:
        for sheet in self.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and is_formula_like(cell.value):
                        cell.data_type = "s"  # openpyxl typed it "f" from the leading "="
                        cell.quotePrefix = True
        super().save(filename)


def workbook_bytes(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
