"""Results computed by hand from a handful of sheets; the number of queries does not grow with
the answers; small counts suppressed as in the reports; the exports carry the stored answers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from centre.models import AuditEntry, User
from centre.refusals import Forbidden
from outreach.participation import exports, results
from outreach.participation.errors import ParticipationError
from outreach.participation.models import Answer, AnswerSheet, SheetChannel
from outreach.participation.services import exports as export_service
from outreach.participation.services import sheets
from tests.outreach.participation.factories import KindsSurvey, kinds_survey

pytestmark = pytest.mark.django_db

# (neighbourhood, barriers, satisfaction, visits, wish)
SHEETS: list[tuple[str, list[str], int, int | None, str]] = [
    ("Trois-Cités", ["Coût", "Délais"], 4, 2, "Un dentiste"),
    ("Trois-Cités", ["Délais"], 5, 0, ""),
    ("Trois-Cités", [], 3, None, "Un pédiatre"),
    ("Couronneries", ["Coût"], 2, 10, ""),
    ("Couronneries", ["Délais", "Langue"], 4, 1, ""),
    ("Autre", ["Délais"], 1, None, ""),
]


def _enter(kinds: KindsSurvey, user: User, rows: list[Any] = SHEETS) -> None:
    for index, (where, barriers, score, visits, wish) in enumerate(rows):
        sheets.sheet_submit(
            by=user if index % 2 == 0 else None,
            survey=kinds.survey,
            channel=SheetChannel.PAPER if index % 2 == 0 else SheetChannel.ONLINE,
            answers=kinds.paper(where, barriers, score, visits, wish),
        )


def test_results_by_hand(staff: dict[str, User]) -> None:
    kinds = kinds_survey(public=True)
    _enter(kinds, staff["collecte"])
    outcome = results.compute(kinds.survey)
    assert outcome.sheets == 6
    assert outcome.by_channel == {"Questionnaire papier saisi": 3, "En ligne (lien public)": 3}
    by_question = {r.question.pk: r for r in outcome.questions}

    where = by_question[kinds.neighbourhood.pk]
    assert where.answered == 6
    # 3/6 = 50 %, 2/6 = 33.3 %, 1/6 = 16.7 %
    assert [(r.label, r.count, r.percent) for r in where.rows] == [
        ("Trois-Cités", 3, Decimal("50.0")),
        ("Couronneries", 2, Decimal("33.3")),
        ("Autre", 1, Decimal("16.7")),
    ]
    barriers = by_question[kinds.barriers.pk]
    # Five people ticked at least one barrier; Délais 4/5, Coût 2/5, Langue 1/5.
    assert barriers.answered == 5
    assert [(r.label, r.count, r.percent) for r in barriers.rows] == [
        ("Coût", 2, Decimal("40.0")),
        ("Délais", 4, Decimal("80.0")),
        ("Langue", 1, Decimal("20.0")),
    ]
    score = by_question[kinds.satisfaction.pk]
    assert [(r.label, r.count) for r in score.rows] == [
        ("1", 1),
        ("2", 1),
        ("3", 1),
        ("4", 2),
        ("5", 1),
    ]
    # (4 + 5 + 3 + 2 + 4 + 1) / 6 = 3.17 → 3.2 ; median of 1 2 3 4 4 5 = 3.5
    assert (score.mean, score.median) == (Decimal("3.2"), Decimal("3.5"))
    visits = by_question[kinds.visits.pk]
    # 2, 0, 10, 1 → mean 13/4 = 3.25 → 3.3 (half up); median (1 + 2) / 2 = 1.5
    assert visits.answered == 4
    assert (visits.mean, visits.median) == (Decimal("3.3"), Decimal("1.5"))
    assert [(r.label, r.count) for r in visits.rows] == [("0", 1), ("1", 1), ("2", 1), ("10", 1)]
    wish = by_question[kinds.wish.pk]
    assert (wish.answered, wish.texts) == (2, ["Un pédiatre", "Un dentiste"])


def test_cross_tabulation_by_neighbourhood(staff: dict[str, User]) -> None:
    kinds = kinds_survey(public=True)  # half the sheets come through the public link
    _enter(kinds, staff["mediation"])
    outcome = results.compute(kinds.survey, by=kinds.neighbourhood)
    by_question = {r.question.pk: r for r in outcome.questions}
    assert by_question[kinds.neighbourhood.pk].cross is None
    barriers = by_question[kinds.barriers.pk].cross
    assert barriers is not None
    assert barriers.columns == ["Trois-Cités", "Couronneries", "Autre"]
    assert barriers.rows == [("Coût", [1, 1, 0]), ("Délais", [2, 1, 1]), ("Langue", [0, 1, 0])]
    score = by_question[kinds.satisfaction.pk].cross
    assert score is not None
    assert score.rows == [
        ("1", [0, 0, 1]),
        ("2", [0, 1, 0]),
        ("3", [1, 0, 0]),
        ("4", [1, 1, 0]),
        ("5", [1, 0, 0]),
    ]
    assert score.totals == [3, 2, 1]


def test_small_counts_are_suppressed_with_the_reports_threshold(
    staff: dict[str, User], settings: Any
) -> None:
    settings.REPORT_SUPPRESSION_THRESHOLD = 3
    kinds = kinds_survey(public=True)  # half the sheets come through the public link
    _enter(kinds, staff["mediation"])
    outcome = results.compute(kinds.survey, by=kinds.neighbourhood, threshold=results.threshold())
    where = next(r for r in outcome.questions if r.question.pk == kinds.neighbourhood.pk)
    assert [(r.shown, r.percent_shown) for r in where.rows] == [
        (3, "50,0\u202f%"),
        ("< 3", "secret"),
        ("< 3", "secret"),
    ]
    wish = next(r for r in outcome.questions if r.question.pk == kinds.wish.pk)
    assert wish.answered_shown == "< 3"
    score = next(r for r in outcome.questions if r.question.pk == kinds.satisfaction.pk)
    assert score.cross is not None and score.cross.totals == [3, "< 3", "< 3"]
    assert score.mean_shown == "3,2"


def test_results_cost_the_same_queries_whatever_the_answers(
    staff: dict[str, User], django_assert_num_queries: Any
) -> None:
    kinds = kinds_survey(public=True)  # half the sheets come through the public link
    _enter(kinds, staff["mediation"], SHEETS[:1])
    # questions, choices, sheets by channel, answered per question, choice counts, number
    # distribution, latest free texts (window), and the cross-tabulation.
    with django_assert_num_queries(8):
        results.compute(kinds.survey, by=kinds.neighbourhood)
    _enter(kinds, staff["mediation"], SHEETS * 10)
    with django_assert_num_queries(8):
        outcome = results.compute(kinds.survey, by=kinds.neighbourhood)
    assert outcome.sheets == 61
    with django_assert_num_queries(7):
        results.compute(kinds.survey)


def test_csv_export_matches_the_stored_answers(staff: dict[str, User]) -> None:
    kinds = kinds_survey(public=True)  # half the sheets come through the public link
    _enter(kinds, staff["collecte"])
    rows = list(
        csv.reader(io.StringIO(exports.to_csv(kinds.survey).decode("utf-8-sig")), delimiter=";")
    )
    header, body = rows[0], rows[1:]
    assert header[4:] == [
        "Q1. Quartier",
        "Q2. Freins aux soins",
        "Q3. Satisfaction",
        "Q4. Consultations",
        "Q5. Souhaits",
    ]
    assert len(body) == AnswerSheet.objects.count() == 6
    # Rebuild each sheet from the database and compare it with its CSV row.
    for row in body:
        sheet = AnswerSheet.objects.get(pk=int(row[0]))
        stored = {
            q.pk: " | ".join(
                a.choice.label if a.choice else (str(a.number) if a.number is not None else a.text)
                for a in Answer.objects.filter(sheet=sheet, question=q)
                .select_related("choice")
                .order_by("choice__position")
            )
            for q in (
                kinds.neighbourhood,
                kinds.barriers,
                kinds.satisfaction,
                kinds.visits,
                kinds.wish,
            )
        }
        assert row[4:] == list(stored.values())
        assert row[1] == sheet.get_channel_display()
    assert body[0][4:] == ["Trois-Cités", "Coût | Délais", "4", "2", "Un dentiste"]
    assert "06" not in exports.to_csv(kinds.survey).decode()  # never contact details


def test_xlsx_and_pdf_exports_are_audited(staff: dict[str, User], client_for: Any) -> None:
    kinds = kinds_survey(public=True)  # half the sheets come through the public link
    _enter(kinds, staff["collecte"])
    client: Client = client_for("direction")
    response = client.get(reverse("participation:survey_export_xlsx", args=[kinds.survey.pk]))
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Résultats", "Questionnaires"]
    facts = [tuple(r) for r in book["Résultats"].iter_rows(min_row=4, values_only=True)]
    # Default threshold (5): 3 Trois-Cités shown "< 5", the total of 6 answers shown as is.
    assert ("Q1. Quartier", "réponses", "6", None) in facts
    assert ("Q1. Quartier", "Trois-Cités", "< 5", "secret") in facts
    raw = list(book["Questionnaires"].iter_rows(values_only=True))
    assert len(raw) == 7 and raw[1][4:] == ("Trois-Cités", "Coût | Délais", "4", "2", "Un dentiste")
    pdf = client.get(reverse("participation:survey_results_pdf", args=[kinds.survey.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    csv_response = client.get(reverse("participation:survey_export_csv", args=[kinds.survey.pk]))
    assert csv_response.status_code == 200
    reads = list(
        AuditEntry.objects.filter(action__startswith="participation.export.").values_list(
            "action", "actor__email", "object_id"
        )
    )
    email = staff["direction"].email
    assert sorted(reads) == [
        ("participation.export.csv", email, str(kinds.survey.pk)),
        ("participation.export.pdf", email, str(kinds.survey.pk)),
        ("participation.export.xlsx", email, str(kinds.survey.pk)),
    ]


def test_an_export_from_another_door_leaves_the_same_entry_and_checks_the_role(
    staff: dict[str, User], client_for: Any
) -> None:
    """The page is one door of `survey_export`; calling the service directly (as a command or
    an API view would) gives the same file and the same journal entry."""
    kinds = kinds_survey(public=True)
    _enter(kinds, staff["collecte"])
    page = client_for("mediation").get(
        reverse("participation:survey_export_csv", args=[kinds.survey.pk])
    )
    direct = export_service.survey_export(by=staff["mediation"], survey=kinds.survey, fmt="csv")
    assert page.content == direct.data
    entries = [
        (e.action, e.object_type, e.object_id, e.extra, e.actor_id)
        for e in AuditEntry.objects.filter(action__startswith="participation.export.")
    ]
    survey_entry = (
        "participation.export.csv",
        "participation.survey",
        str(kinds.survey.pk),
        {"format": "csv"},
        staff["mediation"].pk,
    )
    assert entries == [survey_entry, survey_entry]
    with pytest.raises(Forbidden):
        export_service.survey_export(by=staff["collecte"], survey=kinds.survey, fmt="csv")
    with pytest.raises(ParticipationError, match="Format d'export inconnu"):
        export_service.survey_export(by=staff["mediation"], survey=kinds.survey, fmt="pdf")
    assert AuditEntry.objects.filter(action__startswith="participation.export.").count() == 2
