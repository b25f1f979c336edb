"""Files of a survey's results (PDF for a public meeting, XLSX, CSV of the anonymous answer
sheets): built here and journaled here (`participation.export.<format>`, with the survey), so
that every door that hands one out leaves the same entry. Direction and mediation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from centre import audit
from centre.models import User
from outreach.participation import exports, perms, results
from outreach.participation.errors import ParticipationError, check_role
from outreach.participation.models import Question, Survey

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class ExportFile:
    data: bytes
    content_type: str
    filename: str


def survey_export(
    *,
    by: User,
    survey: Survey,
    fmt: str,
    crossed_by: Question | None = None,
    render_pdf: Callable[[results.SurveyResults], bytes] | None = None,
) -> ExportFile:
    """The file, once journaled. The PDF is drawn by `render_pdf` (it needs the page's request
    for its assets); the counts are suppressed as on the page (REPORT_SUPPRESSION_THRESHOLD)."""
    check_role(by, perms.BUILD)
    if fmt not in CONTENT_TYPES or (fmt == "pdf" and render_pdf is None):
        raise ParticipationError("Format d'export inconnu.", field="format")
    if fmt == "csv":
        data = exports.to_csv(survey)
        name = f"enquete-{survey.pk}.csv"
    else:
        outcome = results.compute(survey, by=crossed_by, threshold=results.threshold())
        if fmt == "xlsx":
            data = exports.to_xlsx(outcome)
            name = f"enquete-{survey.pk}.xlsx"
        else:
            assert render_pdf is not None
            data = render_pdf(outcome)
            name = f"resultats-enquete-{survey.pk}.pdf"
    audit.record_read(actor=by, action=f"participation.export.{fmt}", obj=survey, format=fmt)
    return ExportFile(data=data, content_type=CONTENT_TYPES[fmt], filename=name)
