from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from centre.models import User
from tests.e2e.conftest import login, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_receptionist_logs_in_and_lands_on_her_home(
    page: Page, live_server: Any, staff: dict[str, User]
) -> None:
    login(page, live_server, staff["accueil"])
    expect(page).to_have_url(f"{live_server.url}/accueil/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour")
    expect(page.get_by_role("navigation", name="Navigation principale")).to_contain_text("Accueil")
    # The skip link is the first element the keyboard can reach (the search box has the
    # focus on arrival, for the receptionist's main task).
    first = page.evaluate(
        "() => document.querySelector('a[href], button, input:not([type=hidden]), select,"
        ' textarea, [tabindex]:not([tabindex="-1"])\').textContent.trim()'
    )
    assert first == "Aller au contenu"
    expect(page.locator("#contenu input[type=search]").first).to_be_focused()
    screenshot(page, "login-accueil-home")


def test_no_csp_violation_on_login_page(page: Page, live_server: Any, db: None) -> None:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    response = page.goto(f"{live_server.url}/accounts/login/")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    assert not [e for e in errors if "Content Security Policy" in e], errors
