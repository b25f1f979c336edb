"""A report run on a real Celery worker through Redis (not eager)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from centre.models import Site, User
from centre.reports.models import ReportRun, RunStatus
from centre.reports.tasks import generate_report
from tests.centre.reports_data import JANUARY, build
from tests.centre.test_worker import real_worker  # noqa: F401 — fixture

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_report_is_generated_by_a_real_worker(
    real_worker: None,  # noqa: F811
    site: Site,
    other_site: Site,
    staff: dict[str, User],
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    build(site=site, other_site=other_site, staff=staff)
    run = ReportRun.objects.create(
        template="annual_centre",
        period_start=JANUARY.start,
        period_end=JANUARY.end,
        requested_by=staff["direction"],
        suppression_threshold=5,
    )
    assert generate_report.delay(run.pk).get(timeout=60) == "done"
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert (tmp_path / run.pdf_file).read_bytes().startswith(b"%PDF")
    # A second delivery of the same task (acks_late redelivery) changes nothing.
    assert generate_report.delay(run.pk).get(timeout=60) == "done"
    assert ReportRun.objects.get(pk=run.pk).attempts == 1
