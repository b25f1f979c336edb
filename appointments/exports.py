"""CSV of the consultations list: the rows of the page for the same filter, all pages.

UTF-8 with BOM and `;` separator, as the reports' CSV (opens as is in French Excel); dates
and times in French (`31/01/2026`, `14:20`), Paris time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from appointments.models import Appointment
from centre.reports.exports import spreadsheet_csv

CSV_COLUMNS = (
    "date",
    "heure",
    "patient",
    "dossier",
    "soignant",
    "profession",  # of the consultation type, as in the reports
    "motif",
    "site",
    "statut",
    "sans_rdv",
    "interprete",
)
# A cell starting with one of these is read as a formula by spreadsheets: names and labels are
# typed by people, so such a cell is written as text (OWASP « CSV injection »).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_PREFIXES) else value


def consultations_csv(appointments: Iterable[Appointment]) -> bytes:
    """`appointments` come with patient, practitioner, type and site joined
    (`selectors.consultations`): no query per row."""

    def rows() -> Iterable[list[Any]]:
        for a in appointments:
            local = timezone.localtime(a.start)
            yield [
                f"{local:%d/%m/%Y}",
                f"{local:%H:%M}",
                _text(a.patient.display_name),
                a.patient_id,
                _text(str(a.practitioner)),
                a.consultation_type.get_profession_display(),
                _text(a.consultation_type.label),
                _text(a.site.name),
                a.get_status_display(),
                "oui" if a.is_walk_in else "non",
                _text(a.interpreter_language),
            ]

    return spreadsheet_csv(CSV_COLUMNS, rows())
