"""CSV of the consultations list: the rows of the page for the same filter, all pages.

UTF-8 with BOM and `;` separator, as the reports' CSV (opens as is in French Excel); dates
and times in French (`31/01/2026`, `14:20`), Paris time. Names and labels are typed by
people: `centre.spreadsheets` writes a cell that a spreadsheet would run as a formula as text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from appointments.models import Appointment
from centre.spreadsheets import csv_bytes

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


def consultations_csv(appointments: Iterable[Appointment]) -> bytes:
    """`appointments` come with patient, practitioner, type and site joined
    (`selectors.consultations`): no query per row."""

    def rows() -> Iterable[list[Any]]:
        for a in appointments:
            local = timezone.localtime(a.start)
            yield [
                f"{local:%d/%m/%Y}",
                f"{local:%H:%M}",
                a.patient.display_name,
                a.patient_id,
                str(a.practitioner),
                a.consultation_type.get_profession_display(),
                a.consultation_type.label,
                a.site.name,
                a.get_status_display(),
                "oui" if a.is_walk_in else "non",
                a.interpreter_language,
            ]

    return csv_bytes(CSV_COLUMNS, rows())
