"""Security headers on the pages of every app, and CSRF on the apps' forms.

The pages come from the access matrix declarations (tests/<app>/access.py): every GET page
of the project, opened by a role allowed to see it, must carry the strict Content Security
Policy and contain no inline script, inline style or event-handler attribute (the policy
would block them in the browser anyway: this catches them before a user does).
Production cookies and HSTS are in tests/centre/test_settings.py; the login rate limit and
session expiry in tests/centre/test_auth.py.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from appointments.models import Appointment
from billing.models import Tariff
from centre.models import Centre, Site, User
from outreach.models import RightsSession
from patients.models import Patient
from tests.access import PUBLIC, Access, World
from tests.test_access_matrix import ACCESS, URL_NAMES

# Data blocks (type="application/json", allauth's) are not executed: the policy allows them.
INLINE_SCRIPT = re.compile(r'<script(?![^>]*\b(src=|type="application/json"))[^>]*>', re.I)
INLINE_STYLE = re.compile(r"<style[\s>]|\sstyle\s*=", re.IGNORECASE)
EVENT_HANDLER = re.compile(
    r"\son(click|load|error|submit|change|input|focus|blur|mouse\w+)\s*=", re.I
)


def _first_allowed_role(access: Access) -> str | None:
    if access.allowed == PUBLIC:
        return None
    if isinstance(access.allowed, frozenset):
        return sorted(access.allowed)[0]
    return "accueil"  # AUTHENTICATED


PAGES = [
    name
    for name in URL_NAMES
    if name in ACCESS
    and ACCESS[name].method == "get"
    and not ACCESS[name].api
    and not ACCESS[name].login_stage
]


@pytest.mark.parametrize("name", PAGES)
def test_every_page_has_the_strict_csp_and_no_inline_code(
    name: str, centre: Centre, site: Site, other_site: Site, staff: dict[str, User]
) -> None:
    access = ACCESS[name]
    world = World(centre=centre, site=site, other_site=other_site, staff=staff)
    url = reverse(name, kwargs=access.kwargs(world) if access.kwargs else None)
    client = Client()
    role = _first_allowed_role(access)
    if role is not None:
        client.force_login(staff[role], backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(url)
    assert response.status_code < 500
    policy = response.get("Content-Security-Policy", "")
    assert "default-src 'self'" in policy and "script-src 'self'" in policy, (name, policy)
    assert "style-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
        return
    html = response.content.decode()
    assert not INLINE_SCRIPT.findall(html), (name, INLINE_SCRIPT.findall(html)[:3])
    assert not INLINE_STYLE.findall(html), (name, INLINE_STYLE.findall(html)[:3])
    assert not EVENT_HANDLER.findall(html), (name, EVENT_HANDLER.findall(html)[:3])


def test_the_pages_cover_every_app() -> None:
    prefixes = {name.split(":")[0] if ":" in name else name.split("_")[0] for name in PAGES}
    for app in ("patients", "appointments", "billing", "outreach", "reports", "home"):
        assert app in prefixes, app


# --- CSRF on the apps' forms ---------------------------------------------------------------


def _csrf_client(user: User) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.mark.parametrize(
    ("role", "url_name", "data"),
    [
        ("accueil", "patients:create", {"last_name": "Csrf", "first_name": "Test", "sex": "F"}),
        ("accueil", "appointments:book", {"note": "csrf"}),
        ("mediation", "outreach_session_new", {"person_mode": "anonyme"}),
        ("direction", "billing:tariff_add", {"source": "csrf"}),
        ("facturation", "billing:batch_build", {}),
        ("direction", "reports:create", {"template": "monthly_board"}),
    ],
)
def test_app_forms_refuse_a_post_without_csrf_token(
    role: str, url_name: str, data: dict[str, str], staff: dict[str, User]
) -> None:
    counts = (
        Patient.objects.count(),
        Appointment.objects.count(),
        RightsSession.objects.count(),
        Tariff.objects.count(),
    )
    response = _csrf_client(staff[role]).post(reverse(url_name), data)
    assert response.status_code == 403
    assert "CSRF" in response.content.decode() or "sécurité" in response.content.decode()
    assert counts == (
        Patient.objects.count(),
        Appointment.objects.count(),
        RightsSession.objects.count(),
        Tariff.objects.count(),
    )


def test_the_api_with_a_session_cookie_needs_the_csrf_token(staff: dict[str, User]) -> None:
    """A browser session is not enough to write through the API from another site: DRF's
    session authentication enforces CSRF (tokens are for scripts and are never in cookies)."""
    response = _csrf_client(staff["accueil"]).post(
        reverse("api:patients"),
        {"last_name": "Csrf", "first_name": "Api", "sex": "F", "birth_date": "1990-01-01"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Patient.objects.filter(last_name="Csrf").exists()
