"""Retention as code: reads older than AUDIT_READ_RETENTION_DAYS are purged by the database
function `centre_audit_purge_reads`, called by beat; nothing else can delete from the journal."""

from __future__ import annotations

import datetime
from typing import Any, cast

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from centre import tasks
from centre.celery import app
from centre.models import AuditEntry


def _entry(days_ago: int, *, action: str, is_read: bool) -> AuditEntry:
    return AuditEntry.objects.create(
        at=timezone.now() - datetime.timedelta(days=days_ago),
        actor_label="système",
        action=action,
        is_read=is_read,
    )


@pytest.fixture
def rows(db: None) -> dict[str, AuditEntry]:
    return {
        "old_read": _entry(200, action="patient.view", is_read=True),
        "old_list": _entry(184, action="patient.search", is_read=True),
        "recent_read": _entry(182, action="patient.view", is_read=True),
        "old_write": _entry(400, action="patient.update", is_read=False),
    }


def test_beat_task_purges_old_reads_only_and_journals_the_purge(
    rows: dict[str, AuditEntry], settings: Any
) -> None:
    settings.AUDIT_READ_RETENTION_DAYS = 183
    assert tasks.purge_old_reads() == 2
    left = set(AuditEntry.objects.values_list("pk", flat=True))
    assert rows["old_read"].pk not in left and rows["old_list"].pk not in left
    assert {rows["recent_read"].pk, rows["old_write"].pk} <= left
    purge = AuditEntry.objects.get(action="audit.purge_reads")
    assert purge.extra["deleted"] == 2 and purge.extra["keep_days"] == 183
    assert purge.actor is None and purge.is_read is False
    # Run again: nothing more to delete, and the second purge is journaled too.
    assert tasks.purge_old_reads() == 0
    assert AuditEntry.objects.filter(action="audit.purge_reads").count() == 2


def test_purge_is_scheduled_by_beat() -> None:
    scheduled = {e["task"] for e in app.conf.beat_schedule.values()}
    assert "centre.tasks.purge_old_reads" in scheduled


def test_nothing_else_can_delete_even_old_reads(rows: dict[str, AuditEntry]) -> None:
    with (
        pytest.raises(DatabaseError, match="ajout seul"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM centre_auditentry WHERE id = %s", [rows["old_read"].pk])
    # Even a session that forges the purge's setting cannot delete a write, nor update.
    for sql in (
        "DELETE FROM centre_auditentry WHERE id = %s",
        "UPDATE centre_auditentry SET action = 'x' WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="ajout seul"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                "SELECT set_config('passerelle.audit_purge_before', %s, true)",
                [timezone.now().isoformat()],
            )
            cursor.execute(sql, [rows["old_write"].pk])
    assert AuditEntry.objects.filter(pk__in=[r.pk for r in rows.values()]).count() == 4


def test_purge_refuses_a_retention_below_one_day(rows: dict[str, AuditEntry]) -> None:
    from centre import audit

    with pytest.raises(DatabaseError, match="Durée de conservation invalide"):
        audit.purge_old_reads(0)
    assert AuditEntry.objects.count() == 4


def test_reads_are_marked_as_reads(staff: Any) -> None:
    from patients.models import Patient
    from patients.selectors import patient_detail
    from tests.patients.factories import PatientFactory

    patient = cast(Patient, PatientFactory())
    patient_detail(by=staff["accueil"], patient_id=patient.pk)
    assert AuditEntry.objects.get(action="patient.view").is_read is True
