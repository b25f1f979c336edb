from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from centre.env import Env

ROOT = Path(__file__).resolve().parents[2]


def test_env_helpers_read_typed_values() -> None:
    env = Env({"A": " true ", "B": "12", "C": "a, b,,c", "D": "postgres://x/y"})
    assert env.boolean("A", default=False) is True
    assert env.integer("B", 0) == 12
    assert env.csv_list("C", []) == ["a", "b", "c"]
    assert env.url("D", None, schemes=("postgres",)) == "postgres://x/y"
    assert env.string("MISSING", "défaut") == "défaut"
    assert env.boolean("MISSING", default=True) is True


@pytest.mark.parametrize(
    ("environ", "call", "message"),
    [
        (
            {"X": "peut-être"},
            lambda e: e.boolean("X", default=False),
            "X='peut-être' n'est pas un booléen",
        ),
        ({"X": "douze"}, lambda e: e.integer("X", 0), "X='douze' n'est pas un nombre entier"),
        ({"X": "0"}, lambda e: e.integer("X", 5, minimum=1), "X=0 doit être au moins 1"),
        (
            {"X": "mysql://h/db"},
            lambda e: e.url("X", None, schemes=("postgres",)),
            "X doit être une URL postgres",
        ),
        (
            {},
            lambda e: e.string("X", required=True),
            "La variable d'environnement X est obligatoire",
        ),
        (
            {"X": "staging"},
            lambda e: e.choice("X", "dev", ("dev", "prod")),
            "n'est pas une valeur permise",
        ),
    ],
)
def test_env_helpers_fail_loudly_naming_the_variable(environ, call, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ImproperlyConfigured, match=message):
        call(Env(environ))


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "PASSERELLE_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_to_start_without_secret_key() -> None:
    result = _manage("check", PASSERELLE_ENV="production", ALLOWED_HOSTS="sante.example.fr")
    assert result.returncode == 2
    assert "SECRET_KEY est obligatoire en production" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_value_stops_start_up_with_a_clear_message() -> None:
    result = _manage("check", SESSION_IDLE_MINUTES="trente")
    assert result.returncode == 2
    assert "SESSION_IDLE_MINUTES='trente' n'est pas un nombre entier" in result.stderr


def test_check_deploy_is_clean_with_production_settings() -> None:
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        PASSERELLE_ENV="production",
        SECRET_KEY="k" * 20 + "-production-only-test-key-with-enough-entropy-2026",
        ALLOWED_HOSTS="sante.example.fr",
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_every_variable_read_is_documented_in_env_example() -> None:
    import re

    read = set()
    for path in (ROOT / "centre").rglob("*.py"):
        read |= set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', path.read_text()))
    documented = set(re.findall(r"^#?\s*([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read, "no variables found: the pattern is wrong"
    assert read - documented == set()


def test_production_settings_secure_cookies_hsts_and_https() -> None:
    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.DEBUG, s.SECURE_PROXY_SSL_HEADER[0])"
    )
    result = _manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        PASSERELLE_ENV="production",
        SECRET_KEY="k" * 60,
        ALLOWED_HOSTS="sante.example.fr",
        REDIS_URL="redis://127.0.0.1:6379/15",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "True",
        "True",
        "31536000",
        "False",
        "HTTP_X_FORWARDED_PROTO",
    ]


def test_csrf_is_enforced_on_forms(staff) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(staff["direction"], backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(f"/direction/equipe/{staff['accueil'].pk}/actif/0/")
    assert response.status_code == 403
    staff["accueil"].refresh_from_db()
    assert staff["accueil"].is_active
