"""Celery task of report runs: takes the run id, calls the service; idempotent."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

MAX_RETRIES = 3


@shared_task(
    name="centre.reports.generate_report",
    bind=True,
    acks_late=True,
    max_retries=MAX_RETRIES,
    time_limit=settings.REPORT_TIME_LIMIT,
    soft_time_limit=max(settings.REPORT_TIME_LIMIT - 20, 10),
)
def generate_report(self: Any, run_id: int) -> str:
    from centre.reports.services import runs

    try:
        run = runs.report_generate(run_id=run_id)
    except OperationalError as error:
        if self.request.retries >= MAX_RETRIES:
            runs.report_give_up(
                run_id=run_id,
                message="La base de données n'a pas répondu : relancez le rapport plus tard.",
            )
            return "failed"
        raise self.retry(exc=error, countdown=10 * 2**self.request.retries) from error
    return str(run.status)


@shared_task(name="centre.reports.purge_old_files")
def purge_old_files() -> int:
    """Old reports' files are deleted (beat, every night); idempotent."""
    from centre.reports.services import runs

    return runs.report_purge_files()


@shared_task(name="centre.reports.requeue_delayed_runs")
def requeue_delayed_runs() -> int:
    """Runs requested while the broker was down are queued again (beat, every five minutes)."""
    from centre.reports.services import runs

    return runs.report_requeue_delayed()
