"""Disk full while a report is written (issue 8). Filling a real file system needs a mount
(not available to the tests); instead the run's output files are pointed at /dev/full, which
answers every write with ENOSPC — the very error a full disk gives. The run is marked failed
with a French message, no file (partial or not) is offered, and the page shows no download.
The WeasyPrint failure case is tested by the reports app
(tests/centre/test_reports_runs.py::test_a_pdf_failure_fails_the_run_with_a_french_message_and_no_file)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from centre.models import User
from centre.reports.models import ReportRun, RunStatus
from centre.reports.services import runs

pytestmark = pytest.mark.django_db


def test_a_full_disk_fails_the_run_with_a_message_and_offers_no_file(
    settings: Any,
    tmp_path: Path,
    staff: dict[str, User],
    client_for: Callable[[str | None], Client],
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    start, end = datetime.date(2026, 1, 1), datetime.date(2026, 1, 31)
    run = ReportRun.objects.create(
        template="annual_centre",
        period_start=start,
        period_end=end,
        requested_by=staff["direction"],
        suppression_threshold=5,
    )
    # The run's folder leads to a directory where every file being written is /dev/full.
    full = tmp_path / "full"
    full.mkdir()
    (settings.MEDIA_ROOT / "reports").mkdir(parents=True)
    (settings.MEDIA_ROOT / "reports" / str(run.pk)).symlink_to(full, target_is_directory=True)
    stem = f"rapport-{run.template}-{start:%Y%m%d}-{end:%Y%m%d}"
    for fmt in ("csv", "xlsx", "pdf"):
        (full / f"{stem}.{fmt}.part").symlink_to("/dev/full")

    run = runs.report_generate(run_id=run.pk)

    assert run.status == RunStatus.FAILED
    assert run.error.startswith("Le disque du serveur est plein")
    assert run.files() == {}
    assert not [p for p in full.iterdir() if not p.is_symlink()]  # nothing written
    page = client_for("direction").get(reverse("reports:detail", args=[run.pk])).content.decode()
    assert "Le disque du serveur est plein" in page
    assert "Télécharger" not in page
