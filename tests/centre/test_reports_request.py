"""Requesting a report: the form proposes the template's period, and the request never makes
the page wait (without a broker the run is produced beside the request, its progress shown)."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from centre.models import Site, User
from centre.reports.models import ReportRun, RunStatus
from centre.reports.services import runs
from centre.reports.templates import TEMPLATES, last_full_month, last_full_year
from tests.centre.reports_data import build


def test_default_periods_follow_the_template() -> None:
    today = datetime.date(2026, 12, 4)
    assert last_full_month(today) == runs.default_period(today)
    month = TEMPLATES["monthly_board"].default_period(today)
    assert (month.start, month.end) == (datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))
    year = TEMPLATES["annual_centre"].default_period(today)
    assert (year.start, year.end) == (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
    # In January the last full month is December of the year before.
    january = TEMPLATES["monthly_board"].default_period(datetime.date(2027, 1, 1))
    assert (january.start, january.end) == (
        datetime.date(2026, 12, 1),
        datetime.date(2026, 12, 31),
    )
    assert last_full_year(datetime.date(2027, 1, 1)).start == datetime.date(2026, 1, 1)


@pytest.mark.django_db
def test_choosing_the_annual_template_proposes_last_year(
    client_for: Callable[[str | None], Client],
) -> None:
    director = client_for("direction")
    year = timezone.localdate().year - 1
    # Without JavaScript: the template's link on the page.
    page = director.get(reverse("reports:list"), {"template": "annual_centre"}).content.decode()
    assert f'value="{year}-01-01"' in page and f'value="{year}-12-31"' in page
    assert "?template=annual_centre" in page
    # With HTMX: changing the select asks for the form alone, with the template's period.
    fragment = director.get(
        reverse("reports:list"), {"template": "annual_centre"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert fragment.startswith('<form method="post"') and "<html" not in fragment
    assert f'value="{year}-01-01"' in fragment
    assert '<option value="annual_centre" selected>' in fragment
    monthly = director.get(reverse("reports:list"), {"template": "monthly_board"}).content
    last = runs.default_period()
    assert f'value="{last.start.isoformat()}"'.encode() in monthly


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_the_run_is_produced_beside_the_request_with_its_progress(
    client_for: Callable[[str | None], Client],
    site: Site,
    other_site: Site,
    staff: dict[str, User],
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.REPORT_RUN_IN_PROCESS = True  # what `make run` does without Redis
    build(site=site, other_site=other_site, staff=staff)
    director = client_for("direction")
    began = time.perf_counter()
    response = director.post(
        reverse("reports:create"),
        {"template": "annual_centre", "start": "2026-01-01", "end": "2026-01-31", "site": ""},
    )
    assert response.status_code == 302
    run = ReportRun.objects.get()
    page = director.get(response["Location"]).content.decode()
    assert time.perf_counter() - began < 3  # the page did not wait for the PDF
    # Never « en préparation » beside « Rapport prêt »: the page says one thing.
    assert "en préparation" not in page
    assert ("Rapport prêt" in page) != ("<progress" in page)
    seen: list[int] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        run.refresh_from_db()
        seen.append(run.progress)
        if run.is_finished:
            break
        fragment = director.get(reverse("reports:progress", args=[run.pk])).content.decode()
        assert f"{run.get_status_display()} — " in fragment or "Rapport prêt" in fragment
        time.sleep(0.2)
    assert run.status == RunStatus.DONE, run.error
    assert seen == sorted(seen)  # progress only moves forward
    page = director.get(reverse("reports:detail", args=[run.pk])).content.decode()
    assert "Rapport prêt" in page and "<progress" not in page
