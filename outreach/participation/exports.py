"""Files of a survey's results.

- CSV: the answer sheets themselves, one row per sheet and one column per question (choices
  by label, several ticked choices joined by « | »), anonymous: never the contact details.
  UTF-8 with BOM and `;` separator, as the reports' CSV (opens as is in French Excel).
- XLSX: a sheet « Résultats » (the aggregated, suppressed figures of the page and the PDF)
  and a sheet « Questionnaires » (the same rows as the CSV).
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterator

from openpyxl.styles import Font

from centre.reports.figures import csv_value
from centre.spreadsheets import Workbook, csv_bytes
from outreach.participation.models import Answer, AnswerSheet, Question, SheetChannel, Survey
from outreach.participation.results import SurveyResults

MULTI_SEPARATOR = " | "


def sheet_rows(survey: Survey) -> tuple[list[str], Iterator[list[str]]]:
    """Header and rows of the answer sheets: three queries whatever their number."""
    questions = list(Question.objects.filter(survey=survey).order_by("position"))
    header = ["questionnaire", "canal", "langue", "saisi le"] + [
        f"Q{q.position}. {q.text}" for q in questions
    ]
    values: dict[tuple[int, int], list[str]] = defaultdict(list)
    for sheet_id, qid, label, number, text in (
        Answer.objects.filter(sheet__survey=survey)
        .order_by("sheet_id", "question_id", "choice__position")
        .values_list("sheet_id", "question_id", "choice__label", "number", "text")
    ):
        value = label if label is not None else (str(number) if number is not None else text)
        values[(sheet_id, qid)].append(value)
    sheets = AnswerSheet.objects.filter(survey=survey).order_by("pk")
    channels = dict(SheetChannel.choices)

    def rows() -> Iterator[list[str]]:
        for sheet_id, channel, language, created in sheets.values_list(
            "pk", "channel", "language", "created_at"
        ):
            yield [
                str(sheet_id),
                channels.get(channel, channel),
                language,
                created.date().isoformat(),
            ] + [MULTI_SEPARATOR.join(values.get((sheet_id, q.pk), [])) for q in questions]

    return header, rows()


def to_csv(survey: Survey) -> bytes:
    return csv_bytes(*sheet_rows(survey))


def result_rows(results: SurveyResults) -> Iterator[list[str]]:
    """The aggregated figures, one row per fact (question, answer, count, percentage)."""
    for item in results.questions:
        q = item.question
        name = f"Q{q.position}. {q.text}"
        yield [name, "réponses", csv_value(item.answered_shown), ""]
        for row in item.rows:
            yield [name, row.label, csv_value(row.shown), row.percent_shown]
        if item.mean is not None:
            yield [name, "moyenne", item.mean_shown, ""]
        for text in item.texts:
            yield [name, "texte libre", text, ""]


def to_xlsx(results: SurveyResults) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Résultats"
    sheet.append([results.survey.title])
    sheet["A1"].font = Font(bold=True)
    sheet.append(
        [f"{results.sheets_shown} questionnaires ; effectifs < {results.threshold} masqués"]
    )
    sheet.append(["question", "réponse", "effectif", "part (%)"])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in result_rows(results):
        sheet.append(row)
    raw = book.create_sheet("Questionnaires")
    header, rows = sheet_rows(results.survey)
    raw.append(header)
    for cell in raw[1]:
        cell.font = Font(bold=True)
    for values in rows:
        raw.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
