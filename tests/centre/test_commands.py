from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command

from centre.models import User

ROOT = Path(__file__).resolve().parents[2]
PROJECT_APPS = ("centre", "patients", "appointments", "billing", "outreach", "auth", "mfa")


def _counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for app in PROJECT_APPS
        for model in apps.get_app_config(app).get_models()
        if model._meta.label != "centre.AuditEntry"
    }


@pytest.mark.django_db(transaction=True)
def test_seed_demo_twice_gives_the_same_counts() -> None:
    call_command("seed_demo", stdout=StringIO())
    first = _counts()
    call_command("seed_demo", stdout=StringIO())
    assert _counts() == first
    assert first["centre.Centre"] == 1
    assert first["centre.Site"] == 2
    practitioners = User.objects.filter(groups__name="soignant").distinct()
    assert practitioners.count() == 5
    assert len({u.profile.profession for u in practitioners}) >= 4
    for role in ("accueil", "soignant", "mediation", "facturation", "direction"):
        user = User.objects.get(email=f"{role}@demo.passerelle.fr")
        assert user.has_role(role)
        assert user.check_password("passerelle-demo")


def test_seed_demo_prints_accounts_and_totp_secrets(transactional_db: None) -> None:
    from io import StringIO

    out = StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    assert "direction@demo.passerelle.fr" in text
    assert "mot de passe : passerelle-demo" in text
    assert text.count("code TOTP") == 2


def test_ensure_database_explains_what_to_do_when_postgresql_does_not_answer() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env["DATABASE_URL"] = "postgres://postgres@127.0.0.1:1/passerelle"
    result = subprocess.run(
        [sys.executable, "manage.py", "ensure_database"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "Aucun serveur PostgreSQL ne répond" in result.stderr
    assert "docker compose up -d db redis" in result.stderr
    assert "Traceback" not in result.stderr


def test_ensure_database_creates_a_missing_database(db: None) -> None:
    import psycopg

    name = "passerelle_test_ensure_db"
    admin = psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True)
    admin.execute(f"DROP DATABASE IF EXISTS {name}")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
    try:
        result = subprocess.run(
            [sys.executable, "manage.py", "ensure_database"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert f"« {name} » créée" in result.stdout
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        assert exists == (1,)
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.close()
