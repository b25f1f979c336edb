"""Journey (5): the director logs in with her second factor, exports the annual report of the
centre and downloads its PDF. Spans the login (MFA), the reports and every app's figures
(the monthly report alone is test_reports_export.py).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.utils import timezone
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from centre.models import AuditEntry, Site, User
from centre.reports.models import ReportRun
from tests.centre.reports_data import build
from tests.e2e.conftest import login, screenshot
from tests.factories import TEST_TOTP_SECRET

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def login_with_totp(page: Page, live_server: Any, user: User) -> None:
    """The real login of a role that must use two-factor authentication."""
    login(page, live_server, user)
    code = page.locator("input[name=code]")
    expect(code).to_be_visible()
    code.fill(format_hotp_value(hotp_value(TEST_TOTP_SECRET, int(time.time()) // 30)))
    code.press("Enter")


def test_director_exports_the_annual_report_and_downloads_the_pdf(
    page: Page,
    live_server: Any,
    site: Site,
    other_site: Site,
    staff: dict[str, User],
    tmp_path: Path,
    settings: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    build(site=site, other_site=other_site, staff=staff)  # activity in January 2026
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    login_with_totp(page, live_server, staff["direction"])
    expect(page).to_have_url(f"{live_server.url}/direction/")
    page.get_by_role("link", name="Rapports d'activité").first.click()
    page.get_by_label("Modèle de rapport").select_option(
        label="Rapport annuel d'activité du centre de santé"
    )
    # The annual template proposes the last full calendar year (the form comes back by HTMX).
    last_year = timezone.localdate().year - 1
    expect(page.get_by_label("Du")).to_have_value(f"{last_year}-01-01")
    expect(page.get_by_label("Au (inclus)")).to_have_value(f"{last_year}-12-31")
    page.get_by_label("Du").fill("2026-01-01")
    page.get_by_label("Au (inclus)").fill("2026-10-31")
    page.get_by_role("button", name="Préparer le rapport").click()
    expect(page.get_by_text("Rapport prêt")).to_be_visible(timeout=30_000)
    screenshot(page, "journey5-report-ready")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger le PDF").click()
    path = tmp_path / "rapport-annuel.pdf"
    download_info.value.save_as(path)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())
    assert "Rapport annuel d'activité du centre de santé" in text
    assert "Activité par profession" in text and "Consultations réalisées" in text
    run = ReportRun.objects.get()
    assert run.template == "annual_centre" and run.requested_by == staff["direction"]
    # The five consultations of January and the one of 1 February (counted by hand in
    # reports_data): 5 by the GPs, 1 by the nurse. The 1 is masked; with two professions
    # only, 6 − 5 would give it back, so the 5 and then the total are masked too
    # (complementary suppression: « secret » is at least 5, so 6 = 1 + 5).
    figures = {f["key"]: f for f in run.figures}
    assert figures["appointments.consultations"]["value"] == "secret"
    assert dict(figures["appointments.consultations"]["breakdown"]) == {
        "Infirmier·e": "< 5",
        "Médecin généraliste": "secret",
    }
    assert AuditEntry.objects.filter(action="report.download", actor=staff["direction"]).exists()
    assert AuditEntry.objects.filter(action="auth.login", actor=staff["direction"]).exists()
    assert not [e for e in errors if "Content Security Policy" in e], errors
