"""Report files over the API with a token, journaled as the page's download is."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from centre.models import AuditEntry, User
from centre.reports.services import downloads
from tests.centre.test_reports_runs import media, request_run
from tests.factories import api_token_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _journal() -> list[tuple[str, str, str, dict[str, Any]]]:
    return [
        (e.action, e.object_type, e.object_id, e.extra)
        for e in AuditEntry.objects.filter(action="report.download").order_by("id")
    ]


def test_report_file_downloads_with_a_token_and_is_journaled_like_the_page(
    client_for: Callable[[str | None], Client],
    staff: dict[str, User],
    django_capture_on_commit_callbacks: Any,
) -> None:
    director = client_for("direction")
    run = request_run(director, django_capture_on_commit_callbacks)
    api = Client(HTTP_AUTHORIZATION=f"Token {api_token_for(staff['direction'])}")

    # The run's `files` links are API addresses, which the token opens (no login redirect).
    detail = api.get(reverse("api:report-detail", args=[run.pk])).json()
    url = detail["files"]["pdf"]
    assert url.endswith(f"/api/v1/reports/{run.pk}/files/pdf/")
    response = api.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == media(run, "pdf").read_bytes()
    by_api = _journal()
    assert len(by_api) == 1

    # The page's signed link leaves the same entry (same service).
    token = downloads.download_token(by=staff["direction"], run=run, fmt="pdf")
    assert director.get(reverse("reports:download", args=[token])).status_code == 200
    by_page = _journal()[1:]
    assert (
        by_page
        == by_api
        == [("report.download", "reports.reportrun", str(run.pk), {"format": "pdf"})]
    )
    entries = AuditEntry.objects.filter(action="report.download")
    assert {e.actor for e in entries} == {staff["direction"]}


def test_report_file_api_refusals(
    client_for: Callable[[str | None], Client],
    staff: dict[str, User],
    django_capture_on_commit_callbacks: Any,
) -> None:
    run = request_run(client_for("direction"), django_capture_on_commit_callbacks)
    url = reverse("api:report-file", kwargs={"pk": run.pk, "fmt": "csv"})
    accueil = Client(HTTP_AUTHORIZATION=f"Token {api_token_for(staff['accueil'])}")
    assert accueil.get(url).status_code == 403
    assert Client().get(url).status_code == 401
    director = Client(HTTP_AUTHORIZATION=f"Token {api_token_for(staff['direction'])}")
    missing = reverse("api:report-file", kwargs={"pk": run.pk + 1000, "fmt": "csv"})
    assert director.get(missing).status_code == 404
    unknown = reverse("api:report-file", kwargs={"pk": run.pk, "fmt": "docx"})
    assert director.get(unknown).status_code == 400
    assert director.get(url).status_code == 200
    assert AuditEntry.objects.filter(action="report.download").count() == 1
