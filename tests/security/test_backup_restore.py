"""A backup (deploy/backup.sh: pg_dump piped into gpg) restores (deploy/restore.sh) into a
scratch database with every table's rows and the journal intact, its append-only trigger
included; the file is encrypted; old files go after the retention period."""

from __future__ import annotations

import datetime
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from psycopg import sql

from appointments.models import Appointment
from centre.management.commands.setup_db_roles import owner_conninfo
from centre.models import AuditEntry, User
from centre.selectors import current_centre
from centre.services import staff as staff_services
from patients.models import Patient
from tests.appointments.factories import PatientFactory, appointment

ROOT = Path(settings.BASE_DIR)
PASSPHRASE = "phrase-de-sauvegarde-de-test-2026"


def _url(dbname: str) -> str:
    # libpq (pg_dump, pg_restore, psql) takes a conninfo string wherever it takes a URL.
    return owner_conninfo(dbname)


def _run(script: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "BACKUP_PASSPHRASE": PASSPHRASE, **env}
    return subprocess.run(
        ["sh", str(ROOT / "deploy" / script), *args],
        env=full, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def _fingerprint(dbname: str) -> dict[str, tuple[int, str]]:
    """Every table of the public schema: its row count and a hash of all its rows."""
    with psycopg.connect(owner_conninfo(dbname)) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        result = {}
        for table in tables:
            row = conn.execute(
                sql.SQL(
                    "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text),"
                    " '')) FROM {} t"
                ).format(sql.Identifier(table))
            ).fetchone()
            assert row is not None
            result[table] = (row[0], row[1])
    return result


@pytest.fixture
def scratch() -> Iterator[str]:
    name = f"{connection.settings_dict['NAME']}_restore"[:63]
    with psycopg.connect(owner_conninfo("postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield name
    with psycopg.connect(owner_conninfo("postgres"), autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.mark.django_db(transaction=True)
def test_backup_restores_every_row_and_the_journal(
    staff: dict[str, User], site: Any, scratch: str, tmp_path: Path
) -> None:
    appointment(
        practitioner=staff["soignant"].profile,
        site=site,
        start=timezone.now() + datetime.timedelta(days=1),
        booked_by=staff["accueil"],
        patient=cast(Patient, PatientFactory(last_name="Sauvegardée")),
    )
    staff_services.staff_set_active(
        by=staff["direction"], user_id=staff["accueil"].pk, active=False, centre=current_centre()
    )
    assert Appointment.objects.count() == 1
    journal = AuditEntry.objects.count()
    assert journal >= 1
    source = connection.settings_dict["NAME"]

    # An old backup past the retention period goes; a recent one stays.
    old, recent = (
        tmp_path / "passerelle-20250101-000000.dump.gpg",
        tmp_path / "passerelle-recent.dump.gpg",
    )
    for path, days in ((old, 40), (recent, 10)):
        path.write_bytes(b"ancien")
        stamp = time.time() - days * 86400
        os.utime(path, (stamp, stamp))
    done = _run("backup.sh", DATABASE_URL=_url(source), BACKUP_DIR=str(tmp_path),
                BACKUP_RETENTION_DAYS="30")  # fmt: skip
    assert done.returncode == 0, done.stderr
    backup = Path(done.stdout.strip())
    assert backup.parent == tmp_path and backup.name.endswith(".dump.gpg")
    assert not old.exists() and recent.exists()
    content = backup.read_bytes()
    assert not content.startswith(b"PGDMP")  # encrypted, not a bare dump
    assert staff["accueil"].email.encode() not in content
    assert "Sauvegardée".encode() not in content

    # A wrong passphrase restores nothing.
    wrong = _run("restore.sh", str(backup), RESTORE_DATABASE_URL=_url(scratch),
                 BACKUP_PASSPHRASE="pas-la-bonne")  # fmt: skip
    assert wrong.returncode != 0

    restored = _run("restore.sh", str(backup), RESTORE_DATABASE_URL=_url(scratch))
    assert restored.returncode == 0, restored.stderr
    expected, got = _fingerprint(source), _fingerprint(scratch)
    assert set(got) == set(expected)
    assert got == expected  # every table: same number of rows, same rows
    assert got["centre_auditentry"][0] == journal
    assert got["appointments_appointment"][0] == 1

    # The restored journal is still append-only.
    with (
        psycopg.connect(owner_conninfo(scratch)) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="ajout seul"),
    ):
        conn.execute("UPDATE centre_auditentry SET action = 'effacé'")

    # Restoring over a database that is not empty is refused.
    again = _run("restore.sh", str(backup), RESTORE_DATABASE_URL=_url(scratch))
    assert again.returncode != 0 and "pas vide" in again.stderr
