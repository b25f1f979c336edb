from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from centre import audit, request_context
from centre.models import AuditEntry, Site, User


def test_record_stores_actor_object_changes_and_request(staff: dict[str, User], site: Site) -> None:
    token = request_context.current.set(request_context.RequestContext("req-123", "10.0.0.7"))
    try:
        with transaction.atomic():
            entry = audit.record(
                actor=staff["direction"],
                action="site.update",
                obj=site,
                changes=audit.diff({"name": "Ancien"}, {"name": "Nouveau"}),
            )
    finally:
        request_context.current.reset(token)
    entry.refresh_from_db()
    assert entry.actor == staff["direction"]
    assert entry.actor_label == staff["direction"].email
    assert entry.object_type == "centre.site"
    assert entry.object_id == str(site.pk)
    assert entry.changes == {"name": ["Ancien", "Nouveau"]}
    assert entry.request_id == "req-123"
    assert entry.ip == "10.0.0.7"


def test_write_outside_a_transaction_is_refused(transactional_db: None, site: Site) -> None:
    with pytest.raises(audit.AuditOutsideTransaction):
        audit.record(actor=None, action="site.update", obj=site)
    assert AuditEntry.objects.count() == 0


def test_diff_keeps_only_changed_fields() -> None:
    assert audit.diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {"b": [2, 3], "c": [None, 4]}


def test_snapshot_serialises_dates_and_foreign_keys(site: Site) -> None:
    values = audit.snapshot(site, ["name", "centre", "in_qpv"])
    assert values == {"name": site.name, "centre": site.centre_id, "in_qpv": False}


def test_database_refuses_update_of_audit_rows(site: Site) -> None:
    with transaction.atomic():
        entry = audit.record(actor=None, action="test.create", obj=site)
    with pytest.raises(DatabaseError, match="ajout seul"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="falsifié")
    entry.refresh_from_db()
    assert entry.action == "test.create"


def test_database_refuses_delete_of_audit_rows_even_in_raw_sql(site: Site) -> None:
    with transaction.atomic():
        entry = audit.record(actor=None, action="test.create", obj=site)
    with (
        pytest.raises(DatabaseError, match="ajout seul"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM centre_auditentry WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_request_id_header_is_returned_and_recorded(
    client_for: Any, staff: dict[str, User], settings: Any
) -> None:
    # Kept only from a trusted proxy (tests/security/test_proxies.py: ignored from others).
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    client = client_for("direction")
    response = client.post(
        f"/direction/equipe/{staff['accueil'].pk}/actif/0/", HTTP_X_REQUEST_ID="abc-42"
    )
    assert response["X-Request-ID"] == "abc-42"
    entry = AuditEntry.objects.get(action="staff.deactivate")
    assert entry.request_id == "abc-42"
    assert entry.ip == "127.0.0.1"
