"""Survey results at the scale of a city-wide diagnosis: 2,000 answer sheets × 30 questions
(~80,000 answers). The results page (with a cross-tabulation) runs the same number of queries
as for a small survey; median server time printed."""

from __future__ import annotations

import random

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from outreach.participation.models import (
    Answer,
    AnswerSheet,
    Choice,
    Question,
    QuestionKind,
    SheetChannel,
    Survey,
    SurveyStatus,
)
from tests.bench.report import measure, record, summarise
from tests.factories import make_staff

pytestmark = pytest.mark.django_db

KINDS = [QuestionKind.SINGLE] * 12 + [QuestionKind.MULTIPLE] * 6 + [QuestionKind.SCALE] * 6
KINDS += [QuestionKind.NUMBER] * 3 + [QuestionKind.TEXT] * 3  # 30 questions


def _survey(sheets: int, rng: random.Random, by: object) -> Survey:
    survey = Survey.objects.create(
        title=f"Enquête de {sheets} questionnaires", status=SurveyStatus.OPEN, created_by=by
    )
    questions = []
    for position, kind in enumerate(KINDS, start=1):
        numeric = kind in (QuestionKind.SCALE, QuestionKind.NUMBER)
        questions.append(
            Question.objects.create(
                survey=survey,
                position=position,
                kind=kind,
                text=f"Question {position}",
                min_value=(1 if kind == QuestionKind.SCALE else 0) if numeric else None,
                max_value=(5 if kind == QuestionKind.SCALE else 90) if numeric else None,
            )
        )
    choices: dict[int, list[Choice]] = {}
    for q in questions:
        if q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            choices[q.pk] = Choice.objects.bulk_create(
                Choice(question=q, position=i, label=f"Réponse {i}") for i in range(1, 7)
            )
    rows = AnswerSheet.objects.bulk_create(
        AnswerSheet(survey=survey, channel=SheetChannel.PAPER, entered_by=by) for _ in range(sheets)
    )
    answers: list[Answer] = []
    for sheet in rows:
        for q in questions:
            if q.kind == QuestionKind.SINGLE:
                answers.append(Answer(sheet=sheet, question=q, choice=rng.choice(choices[q.pk])))
            elif q.kind == QuestionKind.MULTIPLE:
                for c in rng.sample(choices[q.pk], rng.randint(0, 3)):
                    answers.append(Answer(sheet=sheet, question=q, choice=c))
            elif q.kind == QuestionKind.SCALE:
                answers.append(Answer(sheet=sheet, question=q, number=rng.randint(1, 5)))
            elif q.kind == QuestionKind.NUMBER:
                answers.append(Answer(sheet=sheet, question=q, number=rng.randint(0, 90)))
            elif rng.random() < 0.4:
                answers.append(
                    Answer(sheet=sheet, question=q, text=f"Idée n° {rng.randint(1, 500)}")
                )
    Answer.objects.bulk_create(answers, batch_size=5000)
    return survey


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_bench_survey_results() -> None:
    rng = random.Random(2026)
    director = make_staff("mediation")  # direction would be sent to set up its TOTP
    small = _survey(20, rng, director)
    big = _survey(2000, rng, director)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE outreach_answer")
    n_answers = Answer.objects.filter(sheet__survey=big).count()
    client = Client()
    client.force_login(director, backend="django.contrib.auth.backends.ModelBackend")

    def url(survey: Survey, cross: bool) -> str:
        base = reverse("participation:survey_results", args=[survey.pk])
        if not cross:
            return base
        first = survey.questions.get(position=1)
        return f"{base}?par={first.pk}"

    client.get(url(big, True))
    big_q, small_q = _queries(client, url(big, True)), _queries(client, url(small, True))
    assert big_q == small_q, (big_q, small_q)
    assert _queries(client, url(big, False)) == _queries(client, url(small, False))
    figures = [
        summarise(
            f"résultats 2 000 quest. × 30 ({big_q} req.)",
            measure(lambda: client.get(url(big, False)), repeat=10, warmup=2),
            target_ms=800,
            baseline=f"{n_answers} réponses",
        ),
        summarise(
            f"résultats croisés par une question ({big_q} req.)",
            measure(lambda: client.get(url(big, True)), repeat=10, warmup=2),
            target_ms=2000,
        ),
        summarise(
            "résultats 20 questionnaires (référence)",
            measure(lambda: client.get(url(small, True)), repeat=10, warmup=2),
            target_ms=500,
        ),
    ]
    record(*figures)  # printed in the one table of `make bench`, which fails on a miss
