"""The printable day sheet (WeasyPrint): one page per practitioner and day, black and white."""

from __future__ import annotations

import datetime

from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML, Document

from appointments import selectors
from centre.models import Site


def render_day_sheet(*, site: Site, day: datetime.date) -> Document:
    columns = [c for c in selectors.day_columns(site=site, day=day) if c.appointments]
    html = render_to_string(
        "appointments/day_sheet_pdf.html",
        {"site": site, "day": day, "columns": columns, "printed_at": timezone.localtime()},
    )
    return HTML(string=html).render()
