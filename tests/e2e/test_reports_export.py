"""The director opens the dashboard, exports the monthly report and downloads its PDF."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from centre.models import AuditEntry, Site, User
from tests.centre.reports_data import build
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _log_in(page: Page, live_server: Any, user: User) -> None:
    # The director's account has a TOTP authenticator; the login form itself is covered by
    # test_login.py, so the session is opened server-side and handed to the browser.
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def test_director_exports_the_monthly_report_and_downloads_the_pdf(
    page: Page,
    live_server: Any,
    site: Site,
    other_site: Site,
    staff: dict[str, User],
    tmp_path: Any,
    settings: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    build(site=site, other_site=other_site, staff=staff)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    _log_in(page, live_server, staff["direction"])

    page.goto(f"{live_server.url}/direction/")
    page.get_by_role("link", name="Tableau de bord").first.click()
    page.get_by_label("Du").fill("2026-01-01")
    page.get_by_label("Au (inclus)").fill("2026-01-31")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("heading", name="Consultations réalisées")).to_be_visible()
    expect(page.locator("svg.chart").first).to_be_visible()
    screenshot(page, "reports-dashboard")

    page.get_by_role("link", name="Exporter un rapport").click()
    # Choosing the template brings the form back by HTMX with the period it proposes: the
    # dates are typed once it is back (typed before, they would be replaced).
    with page.expect_response(
        lambda r: (
            r.request.method == "GET"
            and "/direction/rapports/" in r.url
            and r.request.headers.get("hx-request") == "true"
        )
    ):
        page.get_by_label("Modèle de rapport").select_option(label="Rapport d'activité mensuel")
    page.get_by_label("Du").fill("2026-01-01")
    page.get_by_label("Au (inclus)").fill("2026-01-31")
    page.get_by_role("button", name="Préparer le rapport").click()
    expect(page.get_by_text("Rapport prêt")).to_be_visible(timeout=30_000)
    screenshot(page, "reports-run-done")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger le PDF").click()
    path = tmp_path / "rapport.pdf"
    download_info.value.save_as(path)
    text = "\n".join(p.extract_text() for p in PdfReader(path).pages)
    assert "Rapport d'activité mensuel" in text
    assert "86,50" in text  # billed in January, computed by hand in reports_data
    assert AuditEntry.objects.filter(action="report.download", actor=staff["direction"]).exists()
    assert not [e for e in errors if "Content Security Policy" in e], errors
