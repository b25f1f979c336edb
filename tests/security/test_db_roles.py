"""The application's runtime role (setup_db_roles) may read and append to the journal and
do ordinary reads and writes elsewhere, but cannot UPDATE, DELETE or TRUNCATE the journal,
disable its trigger, or own anything: proved by connecting as that role."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from psycopg import errors

from centre.management.commands.setup_db_roles import owner_conninfo

pytestmark = pytest.mark.django_db
PASSWORD = "role-execution-test-2026"


@pytest.fixture
def runtime() -> Iterator[psycopg.Connection[Any]]:
    dbname = connection.settings_dict["NAME"]  # the test database
    role = f"{dbname}_app"[:63]
    call_command("setup_db_roles", role=role, password=PASSWORD, dbname=dbname)
    owner = psycopg.conninfo.conninfo_to_dict(owner_conninfo(dbname))
    owner.update(user=role, password=PASSWORD)
    with psycopg.connect(**owner) as conn:  # type: ignore[arg-type]
        yield conn


def _refused(conn: psycopg.Connection[Any], statement: str) -> str:
    with (
        pytest.raises(errors.InsufficientPrivilege) as refused,
        conn.transaction(force_rollback=True),
    ):
        conn.execute(statement)
    return str(refused.value)


def test_runtime_role_is_neither_owner_nor_superuser(runtime: psycopg.Connection[Any]) -> None:
    row = runtime.execute(
        "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles"
        " WHERE rolname = current_user"
    ).fetchone()
    assert row == (False, False, False, False)
    owned = runtime.execute(
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user"
    ).fetchone()
    assert owned == (0,)


def test_runtime_role_reads_and_appends_to_the_journal(runtime: psycopg.Connection[Any]) -> None:
    with runtime.transaction(force_rollback=True):
        before = runtime.execute("SELECT count(*) FROM centre_auditentry").fetchone()
        runtime.execute(
            "INSERT INTO centre_auditentry (at, actor_label, action, object_type, object_id,"
            " object_repr, changes, extra, request_id) VALUES (now(), 'système',"
            " 'test.runtime_role', '', '', '', '{}', '{}', '')"
        )
        after = runtime.execute("SELECT count(*) FROM centre_auditentry").fetchone()
        assert before is not None and after == (before[0] + 1,)


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("UPDATE centre_auditentry SET action = 'effacé'", "permission denied"),
        ("DELETE FROM centre_auditentry", "permission denied"),
        ("TRUNCATE centre_auditentry", "permission denied"),
        ("ALTER TABLE centre_auditentry DISABLE TRIGGER ALL", "must be owner"),
        ("ALTER TABLE centre_auditentry DISABLE TRIGGER centre_auditentry_append_only",
         "must be owner"),
        ("DROP TRIGGER centre_auditentry_append_only ON centre_auditentry", "must be owner"),
        ("DROP TABLE centre_auditentry", "must be owner"),
        ("CREATE TABLE evasion (id int)", "permission denied"),
    ],
)  # fmt: skip
def test_runtime_role_cannot_silence_the_journal(
    runtime: psycopg.Connection[Any], statement: str, message: str
) -> None:
    assert message in _refused(runtime, statement)


def test_runtime_role_does_ordinary_writes_elsewhere(runtime: psycopg.Connection[Any]) -> None:
    with runtime.transaction(force_rollback=True):
        runtime.execute(
            "INSERT INTO django_session (session_key, session_data, expire_date)"
            " VALUES ('role-test', 'x', now())"
        )
        runtime.execute(
            "UPDATE django_session SET session_data = 'y' WHERE session_key = 'role-test'"
        )
        deleted = runtime.execute("DELETE FROM django_session WHERE session_key = 'role-test'")
        assert deleted.rowcount == 1
