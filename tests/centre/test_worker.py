"""A real Celery worker consuming from the real Redis broker (not eager mode)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from centre.celery import app
from centre.tasks import ping

pytestmark = pytest.mark.worker


@pytest.fixture
def real_worker() -> Iterator[None]:
    assert settings.REDIS_URL, "make test sets REDIS_URL to the test Redis database"
    previous = {
        "task_always_eager": app.conf.task_always_eager,
        "broker_url": app.conf.broker_url,
        "result_backend": app.conf.result_backend,
    }
    app.conf.update(
        task_always_eager=False, broker_url=settings.REDIS_URL, result_backend=settings.REDIS_URL
    )
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.update(**previous)


def test_task_runs_on_a_real_worker_through_redis(real_worker: None) -> None:
    result = ping.delay()
    assert result.get(timeout=20) == "pong"
    assert result.status == "SUCCESS"


def test_celery_is_configured_for_safe_retries() -> None:
    assert app.conf.task_acks_late is True
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_time_limit == settings.CELERY_TASK_TIME_LIMIT
    assert "purge-expired-sessions" in app.conf.beat_schedule
