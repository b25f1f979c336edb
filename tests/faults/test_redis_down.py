"""Redis down (issue 8): Redis is both the cache and the Celery broker. With our own
redis-server killed mid-session, the pages still answer, /healthz reports the broker down, and
a report requested meanwhile is kept « en attente » with a French note saying it is delayed;
once Redis is back, the beat task queues it again without anyone asking twice."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import kombu.pools
import pytest
import redis
from django.test import Client
from django.urls import reverse

from centre.celery import app
from centre.models import User
from centre.reports.models import ReportRun, RunStatus
from centre.reports.services import runs
from tests.factories import TEST_PASSWORD
from tests.faults.conftest import OwnRedis

pytestmark = pytest.mark.django_db


def _reset_connections() -> None:
    """Forget the broker connections Celery pooled (they point at the previous broker)."""
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def broker(url: str) -> Iterator[None]:
    """Celery publishing for real (not eager) to `url`, as in production."""
    previous = {"task_always_eager": app.conf.task_always_eager, "broker_url": app.conf.broker_url}
    app.conf.update(task_always_eager=False, broker_url=url)
    _reset_connections()
    try:
        yield
    finally:
        app.conf.update(**previous)
        _reset_connections()


@pytest.fixture
def on_own_redis(own_redis: OwnRedis, settings: Any) -> Iterator[OwnRedis]:
    settings.REDIS_URL = own_redis.url
    # The production cache configuration, pointed at our own Redis.
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": own_redis.url}}
    assert settings.CACHES["default"]["BACKEND"] == "centre.cache.ResilientRedisCache"
    with broker(own_redis.url):
        yield own_redis


def test_pages_answer_and_healthz_reports_the_broker(
    on_own_redis: OwnRedis, client_for: Callable[[str | None], Client]
) -> None:
    accueil = client_for("accueil")
    assert client_for(None).get("/healthz").json()["checks"]["broker"] == "ok"
    on_own_redis.kill()

    for url in ("/accueil/", reverse("patients:search"), reverse("appointments:day")):
        response = accueil.get(url)
        assert response.status_code == 200, url
    health = client_for(None).get("/healthz")
    assert health.json()["checks"]["broker"].startswith("erreur")
    assert health.json()["checks"]["database"] == "ok"


def test_login_still_works_while_the_cache_is_down(
    on_own_redis: OwnRedis, staff: dict[str, User]
) -> None:
    """Failed-login counters live in the cache: with it down, a login is still judged on the
    password (no 500)."""
    on_own_redis.kill()
    client = Client()
    url = reverse("account_login")
    bad = client.post(url, {"login": staff["accueil"].email, "password": "faux"})
    assert bad.status_code == 200
    assert "incorrect" in bad.content.decode().lower() or "errorlist" in bad.content.decode()
    good = client.post(url, {"login": staff["accueil"].email, "password": TEST_PASSWORD})
    assert good.status_code == 302


def test_a_report_requested_while_redis_is_down_waits_and_is_queued_later(
    on_own_redis: OwnRedis,
    client_for: Callable[[str | None], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    direction = client_for("direction")
    on_own_redis.kill()
    last_month = datetime.date.today().replace(day=1) - datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = direction.post(
            reverse("reports:create"),
            {
                "template": "annual_centre",
                "start": last_month.replace(day=1).isoformat(),
                "end": last_month.isoformat(),
                "site": "",
            },
        )
    assert response.status_code == 302, response.content.decode()[:500]
    run = ReportRun.objects.get()
    assert run.status == RunStatus.QUEUED
    assert run.error == runs.QUEUE_DOWN
    page = direction.get(reverse("reports:detail", args=[run.pk])).content.decode()
    assert "le rapport est retardé" in page
    assert "(retardé)" in direction.get(reverse("reports:list")).content.decode()

    # Still down: the periodic retry keeps the run waiting, nothing is lost.
    assert runs.report_requeue_delayed() == 0
    assert ReportRun.objects.get(pk=run.pk).error == runs.QUEUE_DOWN

    on_own_redis.start()
    _reset_connections()
    assert runs.report_requeue_delayed() == 1
    run.refresh_from_db()
    assert (run.status, run.error) == (RunStatus.QUEUED, "")
    queued = redis.Redis.from_url(on_own_redis.url).lrange("celery", 0, -1)
    assert len(queued) == 1 and b"centre.reports.generate_report" in queued[0]
