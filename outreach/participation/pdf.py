"""PDFs of a survey (WeasyPrint): the printable questionnaire to hand out, and the short
results for a public meeting (suppressed counts, charts drawn server-side as SVG)."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string

from outreach.participation.models import Question, Survey
from outreach.participation.results import SurveyResults


def _render(html: str, request: HttpRequest) -> bytes:
    from weasyprint import HTML  # heavy import, only for the PDFs

    pdf: bytes = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    return pdf


def questionnaire_pdf(
    request: HttpRequest, survey: Survey, questions: list[Question], language: str
) -> bytes:
    items = [
        (
            q,
            q.text_in(language),
            [c.label_in(language) for c in q.choices.all()],
            range(
                q.min_value if q.min_value is not None else 1,
                (q.max_value if q.max_value is not None else 5) + 1,
            ),
        )
        for q in questions
    ]
    html = render_to_string(
        "outreach/participation/questionnaire_pdf.html",
        {"survey": survey, "items": items, "language": language},
        request=request,
    )
    return _render(html, request)


def results_pdf(request: HttpRequest, results: SurveyResults) -> bytes:
    html = render_to_string(
        "outreach/participation/results_pdf.html", {"results": results}, request=request
    )
    return _render(html, request)
