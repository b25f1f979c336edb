"""The `collecte` role (volunteer inhabitants) is the least privileged: the declarations of the
access matrix (tested URL by URL in tests/test_access_matrix.py) give it the entry form of open
surveys and its own account pages, nothing else — no patient, appointment, billing, outreach
session, committee or report URL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from centre.forms import StaffInviteForm
from centre.models import User
from centre.roles import HOME_URL_NAMES, STAFF_ROLES, Role
from tests.test_access_matrix import ACCESS, URL_NAMES

# The only URLs a volunteer reaches besides the public ones (login, public survey link).
COLLECTE_URLS = {
    "home",
    "participation:entry_home",
    "participation:entry_form",
    "api:participation-sheets",
    "api:root",
    "api:me",
    # Not the API schema nor its docs: staff roles only (tests/security).
}


def test_collecte_reaches_only_the_entry_form_and_its_account() -> None:
    reached = {
        name
        for name in URL_NAMES
        if ACCESS[name].allows("collecte") and not ACCESS[name].allows(None)
    }
    account = {n for n in reached if n.startswith(("account_", "mfa_"))}
    assert reached - account == COLLECTE_URLS
    for prefix in ("patients:", "appointments:", "billing:", "reports:", "outreach_", "api:"):
        leaks = [n for n in reached if n.startswith(prefix) and n not in COLLECTE_URLS]
        assert leaks == [], prefix


def test_collecte_is_not_staff_and_has_a_home() -> None:
    assert Role.COLLECTE not in STAFF_ROLES
    assert HOME_URL_NAMES[Role.COLLECTE] == "participation:entry_home"


@pytest.mark.django_db
def test_volunteer_navigation_shows_nothing_else(
    client_for: Callable[[str | None], Client], staff: dict[str, User]
) -> None:
    page = client_for("collecte").get("/participation/saisie/").content.decode()
    nav = page.split('class="main-nav"', 1)[1].split("</nav>", 1)[0]
    assert nav.count("<li>") == 1 and "/participation/saisie/" in nav
    assert client_for("collecte").get("/api/v1/sites/").status_code == 403


@pytest.mark.django_db
def test_director_can_invite_a_volunteer(staff: dict[str, User]) -> None:
    form = StaffInviteForm(
        {
            "first_name": "Awa",
            "last_name": "Ndiaye",
            "email": "awa@example.org",
            "roles": ["collecte"],
        },
        centre_id=staff["direction"].profile.centre_id,
    )
    assert form.is_valid(), form.errors
