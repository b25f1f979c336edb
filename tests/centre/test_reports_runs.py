"""Report runs end to end: request → Celery task (eager) → PDF, CSV, XLSX with the same
numbers; failure path; idempotence; expiring, audited downloads; API; dashboard."""

from __future__ import annotations

import csv
import datetime
import io
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from centre.celery import app as celery_app
from centre.models import AuditEntry, Site, User
from centre.refusals import Forbidden
from centre.reports import tasks
from centre.reports.errors import ReportError
from centre.reports.exports import CSV_COLUMNS
from centre.reports.models import ReportRun, RunStatus
from centre.reports.services import downloads, runs
from tests.centre.reports_data import JANUARY, build

pytestmark = pytest.mark.django_db

PARAMS = {"template": "monthly_board", "start": "2026-01-01", "end": "2026-01-31", "site": ""}


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def january(site: Site, other_site: Site, staff: dict[str, User]) -> None:
    build(site=site, other_site=other_site, staff=staff)


@pytest.fixture
def director(client_for: Callable[[str | None], Client]) -> Client:
    return client_for("direction")


def request_run(client: Client, capture: Any, **params: str) -> ReportRun:
    with capture(execute=True):
        response = client.post(reverse("reports:create"), {**PARAMS, **params})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ReportRun.objects.latest("id")


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def media(run: ReportRun, fmt: str) -> Path:
    from django.conf import settings

    return Path(settings.MEDIA_ROOT) / run.files()[fmt]


@pytest.mark.usefixtures("january")
def test_a_report_run_produces_pdf_csv_xlsx_with_the_same_numbers(
    director: Client, django_capture_on_commit_callbacks: Any, staff: dict[str, User]
) -> None:
    run = request_run(director, django_capture_on_commit_callbacks)
    assert (run.status, run.progress, run.error) == (RunStatus.DONE, 100, "")
    assert run.requested_by == staff["direction"]
    assert set(run.files()) == {"pdf", "csv", "xlsx"}
    assert run.compute_seconds is not None and run.render_seconds is not None
    assert AuditEntry.objects.filter(action="report.request", object_id=str(run.pk)).exists()

    figures = {f["key"]: f for f in run.figures}
    # Consultations 5 (by hand, see test_reports_indicators); per profession 4 and 1 are
    # below the threshold of 5 and shown "< 5".
    assert figures["appointments.consultations"]["value"] == 5
    assert figures["appointments.consultations"]["breakdown"] == [
        ["Infirmier·e", "< 5"],
        ["Médecin généraliste", "< 5"],
    ]
    assert figures["billing.billed"]["value"] == "86.50"

    # CSV: UTF-8 with BOM, ";" separator, tidy columns, the same figures.
    raw = media(run, "csv").read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    by_fact = {(r["indicateur"], r["categorie"]): r["valeur"] for r in rows}
    assert by_fact[("appointments.consultations", "total")] == "5"
    assert by_fact[("appointments.consultations", "Infirmier·e")] == "< 5"
    assert by_fact[("appointments.patients_seen", "total")] == "< 5"  # 4 patients
    assert by_fact[("billing.billed", "total")] == "86,50"
    assert by_fact[("billing.unpaid", "patient·e·s")] == "20,00"
    # 2 no-shows out of 7: the rate would give the hidden count back.
    assert by_fact[("appointments.no_show_rate", "total")] == "secret"
    assert by_fact[("appointments.no_show_rate", "absences non excusées")] == "< 5"
    assert by_fact[("appointments.coverage_mix", "part C2S (%)")] == "secret"
    assert {r["du"] for r in rows} == {"2026-01-01"}

    # XLSX: a summary sheet with the same values (numbers as numbers, "< 5" as text).
    book = load_workbook(media(run, "xlsx"))
    assert "Synthèse" in book.sheetnames and "Définitions" in book.sheetnames
    summary = {row[0]: row[2] for row in book["Synthèse"].iter_rows(min_row=2, values_only=True)}
    assert summary["appointments.consultations"] == 5
    assert summary["appointments.patients_seen"] == "< 5"
    assert float(summary["billing.billed"]) == 86.5
    assert "Consultations réalisées" in book.sheetnames

    # PDF: cover, contents, the same figures, definitions, threshold stated, no names.
    text = pdf_text(media(run, "pdf"))
    assert "Rapport d'activité mensuel" in text
    assert "Sommaire" in text and "Définitions des indicateurs" in text
    assert "Centre de santé de test" in text
    assert "86,50" in text and "secret" in text and "28,6" not in text
    assert "< 5" in text and "Secret statistique" in text
    assert "Page 2 / " in text
    for name in ("RapportP1", "RAPPORTP1", "RapportP5"):
        assert name not in text


@pytest.mark.usefixtures("january")
def test_the_same_parameters_give_the_same_figures(
    director: Client, django_capture_on_commit_callbacks: Any
) -> None:
    first = request_run(director, django_capture_on_commit_callbacks)
    second = request_run(director, django_capture_on_commit_callbacks)
    assert first.pk != second.pk
    assert first.figures == second.figures
    # The CSV carries no generation time: the two files are identical.
    assert media(first, "csv").read_bytes() == media(second, "csv").read_bytes()


@pytest.mark.usefixtures("january")
def test_the_task_is_idempotent(director: Client, django_capture_on_commit_callbacks: Any) -> None:
    run = request_run(director, django_capture_on_commit_callbacks)
    pdf = media(run, "pdf").read_bytes()
    assert tasks.generate_report.delay(run.pk).get() == "done"
    again = ReportRun.objects.get(pk=run.pk)
    assert (again.attempts, again.finished_at, again.pdf_file) == (1, run.finished_at, run.pdf_file)
    assert media(again, "pdf").read_bytes() == pdf


@pytest.mark.usefixtures("january")
def test_a_pdf_failure_fails_the_run_with_a_french_message_and_no_file(
    director: Client, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import weasyprint

    def broken(*args: Any, **kwargs: Any) -> bytes:
        raise ValueError("police introuvable")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", broken)
    run = request_run(director, django_capture_on_commit_callbacks)
    assert run.status == RunStatus.FAILED
    assert run.error.startswith("La mise en page du PDF a échoué")
    assert "police introuvable" in run.error
    assert run.files() == {}
    from django.conf import settings

    assert not (Path(settings.MEDIA_ROOT) / "reports" / str(run.pk)).exists()
    page = director.get(reverse("reports:detail", args=[run.pk])).content.decode()
    assert "La mise en page du PDF a échoué" in page
    assert "Télécharger" not in page
    # A failed run stays failed: the task does not start it again.
    assert tasks.generate_report.delay(run.pk).get() == "failed"


def test_progress_is_polled_until_the_run_is_finished(
    director: Client, staff: dict[str, User]
) -> None:
    run = ReportRun.objects.create(
        template="monthly_board",
        period_start=JANUARY.start,
        period_end=JANUARY.end,
        requested_by=staff["direction"],
        suppression_threshold=5,
        status=RunStatus.RUNNING,
        progress=40,
    )
    fragment = director.get(reverse("reports:progress", args=[run.pk]), HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert 'hx-trigger="every 2s"' in html
    assert 'value="40"' in html and "40 %" in html
    run.status, run.progress = RunStatus.FAILED, 40
    run.error = "Erreur de test."
    run.save()
    html = director.get(reverse("reports:progress", args=[run.pk])).content.decode()
    assert "hx-trigger" not in html and "Erreur de test." in html


@pytest.mark.usefixtures("january")
def test_downloads_are_audited_and_links_expire(
    director: Client,
    django_capture_on_commit_callbacks: Any,
    staff: dict[str, User],
    client_for: Callable[[str | None], Client],
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    run = request_run(director, django_capture_on_commit_callbacks)
    detail = director.get(reverse("reports:detail", args=[run.pk])).content.decode()
    token = downloads.download_token(by=staff["direction"], run=run, fmt="pdf")
    url = reverse("reports:download", args=[token])
    assert url in detail
    response = director.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert response.content == media(run, "pdf").read_bytes()
    entry = AuditEntry.objects.get(action="report.download")
    assert (entry.actor, entry.object_id, entry.extra) == (
        staff["direction"],
        str(run.pk),
        {"format": "pdf"},
    )

    # A link made for one director does not work for another.
    other = User.objects.get(pk=staff["direction"].pk)
    from tests.factories import make_staff

    colleague = make_staff("direction", centre=other.profile.centre)
    second = Client()
    second.force_login(colleague, backend="django.contrib.auth.backends.ModelBackend")
    assert second.get(url).status_code == 404

    # Past REPORT_LINK_MAX_AGE the link is refused (410) and nothing more is audited.
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + settings.REPORT_LINK_MAX_AGE + 5)
    expired = director.get(url)
    monkeypatch.undo()
    assert expired.status_code == 410
    assert "a expiré" in expired.content.decode()
    assert AuditEntry.objects.filter(action="report.download").count() == 1
    assert director.get(reverse("reports:download", args=["faux-jeton"])).status_code == 404


def test_bad_requests_get_french_errors(director: Client) -> None:
    response = director.post(
        reverse("reports:create"), {**PARAMS, "start": "2026-02-01", "end": "2026-01-01"}
    )
    assert response.status_code == 400
    assert "La fin de la période doit être après son début." in response.content.decode()
    response = director.post(
        reverse("reports:create"), {**PARAMS, "start": "2099-01-01", "end": "2099-01-31"}
    )
    assert response.status_code == 400
    assert "après aujourd&#x27;hui" in response.content.decode()
    assert not ReportRun.objects.exists()


@pytest.mark.usefixtures("january")
def test_api_indicators_and_report_runs(
    client_for: Callable[[str | None], Client],
    django_capture_on_commit_callbacks: Any,
    site: Site,
) -> None:
    api = client_for("direction")
    data = api.get("/api/v1/indicators/", {"from": "2026-01-01", "to": "2026-01-31"}).json()
    values = {i["key"]: i for i in data["indicators"]}
    assert values["appointments.consultations"]["value"] == 5
    assert values["appointments.consultations"]["breakdown"] == [
        ["Infirmier·e", 1],  # exact: the API is internal, like the dashboard
        ["Médecin généraliste", 4],
    ]
    month = api.get("/api/v1/indicators/", {"period": "2026-01", "site": site.pk}).json()
    assert {i["key"]: i["value"] for i in month["indicators"]}["appointments.consultations"] == 4
    bad = api.get("/api/v1/indicators/", {"from": "janvier", "to": "2026-01-31"})
    assert bad.status_code == 400
    assert bad.json() == {"from": "Date attendue au format AAAA-MM-JJ."}

    billing = client_for("facturation").get("/api/v1/indicators/", {"period": "2026"}).json()
    assert {i["app"] for i in billing["indicators"]} == {"billing"}

    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(
            "/api/v1/reports/",
            {"template": "outreach_city", "from": "2026-01-01", "to": "2026-01-31"},
            content_type="application/json",
        )
    assert created.status_code == 201, created.content
    run = api.get(created.json()["url"]).json()
    assert (run["status"], run["progress"]) == ("done", 100)
    assert set(run["files"]) == {"pdf", "csv", "xlsx"}
    download = api.get(run["files"]["csv"])
    assert download.status_code == 200
    assert download.content.startswith("\ufeff".encode())
    listing = api.get("/api/v1/reports/").json()
    assert listing["count"] == 1
    invalid = api.post(
        "/api/v1/reports/",
        {"template": "inconnu", "from": "2026-01-31", "to": "2026-01-01"},
        content_type="application/json",
    )
    assert invalid.status_code == 400
    assert set(invalid.json()) == {"template"}


@pytest.mark.usefixtures("january")
def test_dashboard_shows_exact_figures_and_svg_charts(
    director: Client, django_assert_max_num_queries: Any
) -> None:
    # One aggregate (two at most) per indicator, plus session, user, groups and the sites
    # of the form: the page does not grow with the data.
    with django_assert_max_num_queries(40):
        response = director.get(
            reverse("reports:dashboard"), {"start": "2026-01-01", "end": "2026-01-31", "site": ""}
        )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Consultations réalisées" in html
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in html
    assert "style=" not in html and "<script>" not in html
    assert "86,50\u202f€" in html  # billed, exact
    assert "28,6\u202f%" in html  # no-show rate
    # Numbers link to the list behind them (tests/centre/test_reports_dashboard_links.py).
    rows = reverse("reports:figure_rows", args=["billing.billed"])
    assert f'href="{rows}?start=2026-01-01&amp;end=2026-01-31"' in html
    # Consultations and patients seen open the consultations list of the same period.
    consultations = f"{reverse('appointments:consultations')}?start=2026-01-01&amp;end=2026-01-31"
    assert html.count(f'href="{consultations}"') == 2
    # The last week of January (Mon 26 – Sat 31) is partial, and said so on the chart.
    assert "semaine du 26/01/2026 (partielle : 6 jours)" in html
    assert "* période partielle" in html
    # « en QPV » is a count of patients under a share, not a percentage.
    assert re.search(r"en QPV</th><td class=\"num\"><a [^>]+>2</a></td><td>patient·e·s</td>", html)


def test_report_list_query_count(
    director: Client, staff: dict[str, User], django_assert_num_queries: Any
) -> None:
    for _ in range(3):
        ReportRun.objects.create(
            template="annual_centre",
            period_start=JANUARY.start,
            period_end=JANUARY.end,
            requested_by=staff["direction"],
            suppression_threshold=5,
        )
    # session, user, groups (role check), MFA check (middleware), sites of the form, the runs
    # with their site and author in one query, then the session save (savepoint, update,
    # release): 9 whatever the number of runs.
    with django_assert_num_queries(9):
        response = director.get(reverse("reports:list"))
    assert response.status_code == 200
    assert response.content.decode().count("Rapport annuel d&#x27;activité") >= 3


@pytest.mark.usefixtures("january")
def test_old_report_files_are_purged_figures_stay_and_the_report_can_be_redone(
    director: Client, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.REPORT_FILES_KEEP_DAYS = 90
    old = request_run(director, django_capture_on_commit_callbacks)
    recent = request_run(director, django_capture_on_commit_callbacks)
    folder = media(old, "pdf").parent
    assert folder.is_dir()
    ReportRun.objects.filter(pk=old.pk).update(
        finished_at=old.finished_at - datetime.timedelta(days=91)
    )
    ReportRun.objects.filter(pk=recent.pk).update(
        finished_at=recent.finished_at - datetime.timedelta(days=89)
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.purge_old_files.delay().get() == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.files(), old.status) == ({}, RunStatus.DONE)
    assert old.figures  # the figures stay
    assert not folder.exists()
    assert set(recent.files()) == {"pdf", "csv", "xlsx"}
    assert media(recent, "pdf").is_file()
    entry = AuditEntry.objects.get(action="report.files.purge")
    assert (entry.actor, entry.object_id) == (None, str(old.pk))
    assert entry.changes == {"files": [["csv", "pdf", "xlsx"], []]}
    assert entry.extra == {"keep_days": 90}
    beat = celery_app.conf.beat_schedule["reports-purge-old-files"]
    assert beat["task"] == tasks.purge_old_files.name
    # Idempotent: a second night finds nothing more.
    assert runs.report_purge_files() == 0

    page = director.get(reverse("reports:detail", args=[old.pk])).content.decode()
    assert "ont été supprimés" in page and "90 jours" in page
    assert "Télécharger" not in page
    # « Refaire ce rapport » posts the same parameters again.
    hidden = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', page))
    hidden.pop("csrfmiddlewaretoken")
    assert hidden == {
        "template": "monthly_board",
        "start": "2026-01-01",
        "end": "2026-01-31",
        "site": "",
    }
    redone = request_run(director, django_capture_on_commit_callbacks, **hidden)
    assert redone.pk != old.pk
    assert (redone.template, redone.period_start, redone.period_end, redone.site_id) == (
        old.template,
        old.period_start,
        old.period_end,
        old.site_id,
    )
    assert set(redone.files()) == {"pdf", "csv", "xlsx"}


@pytest.mark.usefixtures("january")
def test_only_the_direction_requests_or_downloads_whatever_the_door(
    director: Client, django_capture_on_commit_callbacks: Any, staff: dict[str, User]
) -> None:
    """The services check the role themselves: a task, a command or a new API view calling
    them for someone else gets a refusal, and nothing is written nor journaled."""
    with pytest.raises(Forbidden):
        runs.report_request(
            by=staff["facturation"], template="monthly_board", period=JANUARY, site=None
        )
    assert not ReportRun.objects.exists()
    run = request_run(director, django_capture_on_commit_callbacks)
    with pytest.raises(Forbidden):
        downloads.report_download(by=staff["facturation"], run=run, fmt="pdf")
    assert not AuditEntry.objects.filter(action="report.download").exists()
    with pytest.raises(ReportError, match="Format inconnu"):
        downloads.report_download(by=staff["direction"], run=run, fmt="docx")


def test_api_refusals_of_the_service_answer_400_and_create_nothing(
    client_for: Callable[[str | None], Client],
) -> None:
    # The serializer accepts these dates; the service refuses them (DRF exception handler).
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client_for("direction").post(
        "/api/v1/reports/",
        {"template": "monthly_board", "from": "2026-01-01", "to": tomorrow.isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["La période ne peut pas se terminer après aujourd'hui."]
    }
    assert not ReportRun.objects.exists()


@pytest.mark.usefixtures("january")
def test_page_and_api_links_journal_the_same_download(
    director: Client,
    django_capture_on_commit_callbacks: Any,
    staff: dict[str, User],
) -> None:
    run = request_run(director, django_capture_on_commit_callbacks)
    page = director.get(reverse("reports:detail", args=[run.pk])).content.decode()
    page_link = reverse(
        "reports:download",
        args=[downloads.download_token(by=staff["direction"], run=run, fmt="xlsx")],
    )
    assert page_link in page
    api_link = director.get(f"/api/v1/reports/{run.pk}/").json()["files"]["xlsx"]
    assert director.get(page_link).status_code == 200
    assert director.get(api_link).status_code == 200
    entries = [
        (e.action, e.object_type, e.object_id, e.extra, e.actor_id)
        for e in AuditEntry.objects.filter(action="report.download").order_by("pk")
    ]
    assert (
        entries
        == [
            (
                "report.download",
                "reports.reportrun",
                str(run.pk),
                {"format": "xlsx"},
                staff["direction"].pk,
            )
        ]
        * 2
    )
