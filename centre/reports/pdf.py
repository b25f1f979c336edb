"""The PDF of a report, laid out by WeasyPrint: cover with the centre's identity, table of
contents, sections with SVG charts and tables, definitions, page numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.template.loader import render_to_string

STYLESHEET = Path(__file__).with_name("pdf.css")


class PdfError(Exception):
    """WeasyPrint could not lay the report out (French message)."""


def render_pdf(context: dict[str, Any]) -> bytes:
    import weasyprint  # heavy import, only where a PDF is made

    html = render_to_string("centre/reports/pdf.html", context)
    try:
        document = weasyprint.HTML(string=html, base_url=str(STYLESHEET.parent))
        pdf = document.write_pdf(stylesheets=[weasyprint.CSS(filename=str(STYLESHEET))])
    except Exception as error:  # WeasyPrint raises many kinds; all mean "no PDF"
        raise PdfError(
            f"La mise en page du PDF a échoué ({type(error).__name__} : {error})."
        ) from error
    if not pdf:
        raise PdfError("La mise en page du PDF n'a produit aucun fichier.")
    return bytes(pdf)
