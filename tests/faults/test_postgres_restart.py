"""PostgreSQL restarted during traffic (issue 8). The app runs under gunicorn against a
PostgreSQL cluster of its own (never the shared one), loaded with a copy of the test database;
two clients keep requesting a page and /healthz while the cluster is stopped for a few seconds
and started again. Requests fail cleanly — a French error page or a 503 from /healthz, each
within seconds, never a hang — and traffic recovers by itself: persistent connections are
health-checked (CONN_HEALTH_CHECKS) and reopened, gunicorn is not restarted."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.faults.conftest import OwnPostgres, free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
PAGE = "/accueil/"


@dataclass
class Hit:
    at: float
    path: str
    status: int
    seconds: float
    body: str
    retry_after: str = ""


def _copy_test_database(cluster: OwnPostgres) -> None:
    """The test database (migrations and their data), copied into the throw-away cluster."""
    source = connection.settings_dict
    with psycopg.connect(
        host="127.0.0.1", port=cluster.port, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        conn.execute("CREATE DATABASE passerelle")
    dump = subprocess.run(
        [
            "pg_dump",
            "--no-owner",
            "-h",
            source["HOST"] or "127.0.0.1",
            "-p",
            str(source["PORT"] or 5432),
            "-U",
            source["USER"],
            source["NAME"],
        ],
        capture_output=True,
        check=True,
        env={**os.environ, "PGPASSWORD": source["PASSWORD"] or ""},
        timeout=60,
    )
    subprocess.run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", cluster.url],
        input=dump.stdout,
        capture_output=True,
        check=True,
        timeout=60,
    )


def _env(cluster: OwnPostgres) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(
        PASSERELLE_ENV="test",
        DATABASE_URL=cluster.url,
        DATABASE_CONNECT_TIMEOUT="2",
        DATABASE_CONN_MAX_AGE="60",
        DJANGO_SETTINGS_MODULE="centre.settings",
    )
    return env


def _session_cookie(env: dict[str, str]) -> str:
    """A receptionist logged in, created in the cluster by a separate Django process."""
    script = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.test import Client\n"
        "from tests.factories import make_staff\n"
        "user = make_staff('accueil')\n"
        "client = Client()\n"
        "client.force_login(user, backend='django.contrib.auth.backends.ModelBackend')\n"
        "name = settings.SESSION_COOKIE_NAME\n"
        "print(f'{name}={client.cookies[name].value}')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip().splitlines()[-1]


def _get(port: int, path: str, cookie: str) -> tuple[int, str, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        # /healthz is asked as a load balancer does, without a session cookie.
        headers = {"Host": "127.0.0.1"} if path == "/healthz" else {"Cookie": cookie}
        conn.request("GET", path, headers={"Host": "127.0.0.1", **headers})
        response = conn.getresponse()
        body = response.read().decode(errors="replace")
        return response.status, body, response.getheader("Retry-After") or ""
    finally:
        conn.close()


def _warm_up(port: int, cookie: str) -> None:
    """Both workers imported everything and hold a connection: first requests are slow."""
    deadline = time.monotonic() + 60
    ok = 0
    while ok < 6:
        assert time.monotonic() < deadline, "gunicorn ne répond pas"
        statuses = {_get(port, path, cookie)[0] for path in (PAGE, "/healthz")}
        ok = ok + 1 if statuses == {200} else 0


@pytest.fixture
def server(own_postgres: OwnPostgres, django_db_setup: None) -> Iterator[tuple[int, str]]:
    _copy_test_database(own_postgres)
    env = _env(own_postgres)
    cookie = _session_cookie(env)
    port = free_port()
    log = (own_postgres.directory / "gunicorn.log").open("wb")
    gunicorn = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "centre.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--timeout",
            "30",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port)
        _warm_up(port, cookie)
        yield port, cookie
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=20)
        log.close()
        # Shown by pytest when the test fails (the cluster directory is removed afterwards).
        print((own_postgres.directory / "gunicorn.log").read_text(errors="replace")[:6000])


@pytest.mark.django_db  # only to have the test database set up (it is copied, not used)
def test_requests_fail_cleanly_and_recover_when_postgres_restarts(
    own_postgres: OwnPostgres, server: tuple[int, str]
) -> None:
    port, cookie = server
    hits: list[Hit] = []
    stop = threading.Event()
    started = time.monotonic()

    def client(path: str) -> None:
        while not stop.is_set():
            began = time.monotonic()
            try:
                status, body, retry = _get(port, path, cookie)
            except OSError as error:  # a refused or cut connection would be a failure too
                status, body, retry = 0, repr(error), ""
            hits.append(Hit(began - started, path, status, time.monotonic() - began, body, retry))
            time.sleep(0.1)

    threads = [threading.Thread(target=client, args=(p,)) for p in (PAGE, "/healthz")]
    for t in threads:
        t.start()
    try:
        time.sleep(2)
        stopping_at = time.monotonic() - started
        own_postgres.pg_ctl("stop", "-m", "fast", "-w")
        down_at = time.monotonic() - started  # stopped: every request now meets no database
        time.sleep(3)
        starting_at = time.monotonic() - started
        own_postgres.pg_ctl("start", "-w")
        up_at = time.monotonic() - started
        time.sleep(5)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)

    before = [h for h in hits if h.at < stopping_at - 0.2]
    during = [h for h in hits if down_at < h.at < starting_at]
    after = [h for h in hits if h.at > up_at + 3]
    assert before and during and after
    timeline = [(round(h.at, 1), h.path, h.status, round(h.seconds, 2)) for h in hits]
    assert all(h.status == 200 for h in before), (stopping_at, up_at, timeline)
    # No hang: every request was answered quickly, with a clean error while the database was down.
    assert max(h.seconds for h in hits) < 10
    assert all(h.status != 0 for h in hits), [h.body for h in hits if h.status == 0][:3]
    page_errors = [h for h in during if h.path == PAGE]
    health_errors = [h for h in during if h.path == "/healthz"]
    assert page_errors and all(h.status == 503 for h in page_errors), timeline
    assert all("Service momentanément indisponible" in h.body for h in page_errors), [
        h.body[:300] for h in page_errors if "indisponible" not in h.body
    ]
    assert all(h.retry_after == "30" for h in page_errors)
    assert health_errors and all(h.status == 503 for h in health_errors)
    assert all('"database": "erreur' in h.body for h in health_errors), [
        h.body[:200] for h in health_errors
    ]
    # Recovery without anyone touching gunicorn.
    assert all(h.status == 200 for h in after), [(h.path, h.status) for h in after]
