"""The printable day sheet (WeasyPrint): one page per practitioner and day, black and white."""

from __future__ import annotations

import datetime

from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML, Document

from appointments import selectors
from centre.models import Site, User


def render_day_sheet(*, by: User, site: Site, day: datetime.date) -> Document:
    """Journaled (`appointment.day_sheet`, the appointments printed)."""
    columns = selectors.day_sheet_columns(by=by, site=site, day=day)
    html = render_to_string(
        "appointments/day_sheet_pdf.html",
        {"site": site, "day": day, "columns": columns, "printed_at": timezone.localtime()},
    )
    return HTML(string=html).render()
