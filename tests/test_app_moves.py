"""`reports` and `participation` became Django apps of their own: their models moved out of
`centre` and `outreach` in the migration state only. These tests go back to the migration
before each move, write rows with the models of that time, migrate forward again and check
that the same rows (same ids, same values) are read through the new models, and that the
content types (hence permissions and admin log entries) followed.

The moves run no DDL (SeparateDatabaseAndState with no database operation, then a RunPython
on content types), so this runs inside the test's transaction and is rolled back with it.
"""

from __future__ import annotations

import datetime

import pytest
from django.apps.registry import Apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from centre.models import Site, User
from centre.reports.models import ReportRun
from outreach.participation.models import Answer, AnswerSheet, CommitteeMeeting, Survey

Node = tuple[str, str]


def _before(executor: MigrationExecutor, move: Node) -> Node:
    """The migration of the same app just before `move` (whatever the integrator chains it to)."""
    parents = [p.key for p in executor.loader.graph.node_map[move].parents if p.key[0] == move[0]]
    assert len(parents) == 1, parents
    return parents[0]


def _go_back(move: Node) -> Apps:
    executor = MigrationExecutor(connection)
    target = _before(executor, move)
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


def _go_forward(app: str) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes(app))
    ContentType.objects.clear_cache()


def test_report_runs_survive_the_move_to_reports(staff: dict[str, User], site: Site) -> None:
    director = staff["direction"]
    old = _go_back(("centre", "0007_reports_moved_to_own_app"))
    old_type = old.get_model("contenttypes", "ContentType").objects.get(
        app_label="centre", model="reportrun"
    )
    old_run = old.get_model("centre", "ReportRun").objects.create(
        template="activite",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 1, 31),
        site_id=site.pk,
        requested_by_id=director.pk,
        suppression_threshold=5,
        status="done",
        progress=100,
        figures=[{"key": "outreach.sessions", "value": 12}],
        pdf_file="reports/1/rapport.pdf",
    )

    _go_forward("reports")

    run = ReportRun.objects.get(pk=old_run.pk)
    assert (run.template, run.site_id, run.requested_by_id) == ("activite", site.pk, director.pk)
    assert run.figures == [{"key": "outreach.sessions", "value": 12}]
    assert run.files() == {"pdf": "reports/1/rapport.pdf"}
    new_type = ContentType.objects.get_for_model(ReportRun)
    assert (new_type.pk, new_type.app_label) == (old_type.pk, "reports")
    assert not ContentType.objects.filter(app_label="centre", model="reportrun").exists()
    assert Permission.objects.get(codename="view_reportrun").content_type_id == old_type.pk


def test_surveys_and_committee_survive_the_move_to_participation(
    staff: dict[str, User],
) -> None:
    volunteer = staff["mediation"]
    old = _go_back(("outreach", "0005_participation_moved_to_own_app"))
    survey = old.get_model("outreach", "Survey").objects.create(
        title="Diagnostic santé", status="ouverte", created_by_id=volunteer.pk
    )
    question = old.get_model("outreach", "Question").objects.create(
        survey=survey, position=1, kind="choix_unique", text="Avez-vous un médecin traitant ?"
    )
    yes = old.get_model("outreach", "Choice").objects.create(
        question=question, position=1, label="Oui"
    )
    sheets = [
        old.get_model("outreach", "AnswerSheet").objects.create(
            survey=survey, channel="papier", entered_by_id=volunteer.pk
        )
        for _ in range(3)
    ]
    for sheet in sheets:
        old.get_model("outreach", "Answer").objects.create(
            sheet=sheet, question=question, choice=yes
        )
    meeting = old.get_model("outreach", "CommitteeMeeting").objects.create(
        held_on=datetime.date(2026, 3, 12), place="Maison de quartier", created_by_id=volunteer.pk
    )
    types = old.get_model("contenttypes", "ContentType").objects
    old_type_ids = {ct.model: ct.pk for ct in types.filter(app_label="outreach")}

    _go_forward("participation")

    moved = Survey.objects.get(pk=survey.pk)
    assert (moved.title, moved.created_by_id) == ("Diagnostic santé", volunteer.pk)
    assert list(moved.questions.values_list("pk", flat=True)) == [question.pk]
    assert AnswerSheet.objects.filter(survey=moved).count() == 3
    assert Answer.objects.filter(question_id=question.pk, choice_id=yes.pk).count() == 3
    assert CommitteeMeeting.objects.get(pk=meeting.pk).place == "Maison de quartier"
    for model in (Survey, Answer, AnswerSheet, CommitteeMeeting):
        new_type = ContentType.objects.get_for_model(model)
        assert new_type.app_label == "participation"
        assert new_type.pk == old_type_ids[model._meta.model_name]
    assert not ContentType.objects.filter(app_label="outreach", model="survey").exists()


@pytest.mark.parametrize(
    ("model", "table"),
    [
        (ReportRun, "centre_reportrun"),
        (Survey, "outreach_survey"),
        (Answer, "outreach_answer"),
        (CommitteeMeeting, "outreach_committeemeeting"),
    ],
)
def test_moved_models_keep_their_tables(model: type, table: str) -> None:
    assert model._meta.db_table == table  # type: ignore[attr-defined]
    assert model._meta.app_label in ("reports", "participation")  # type: ignore[attr-defined]
