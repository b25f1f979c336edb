"""Browser tests: Playwright driving Debian's Chromium (installed by `make test`).

Use the `live_server` fixture and `login(page, live_server, user)`; mark tests
`@pytest.mark.e2e`. Screenshots go to tests/artifacts/ (kept by CI as artefacts).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from centre.models import User
from tests.factories import TEST_PASSWORD

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "locale": "fr-FR", "timezone_id": "Europe/Paris"}


@pytest.fixture(autouse=True)
def _patient_timeouts(page: Page) -> None:
    """CI machines are shared and small: give pages and assertions room before failing (a
    real failure still fails, only later)."""
    page.set_default_timeout(20_000)
    page.set_default_navigation_timeout(30_000)
    expect.set_options(timeout=15_000)


def login(page: Page, live_server: Any, user: User, password: str = TEST_PASSWORD) -> None:
    """Log in through the real login form (users of MFA roles need `totp=False` or a code)."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def htmx_ready(page: Page, selector: str) -> None:
    """Wait until htmx has wired `selector` (content it has just swapped in gets its listeners
    a moment after it appears): typing before that would be lost, not searched."""
    page.wait_for_function(
        "(s) => { const el = document.querySelector(s);"
        " return !!(el && el['htmx-internal-data']); }",
        arg=selector,
    )
