"""An automatic refresh does not keep a session alive; a `next` never leaves the site; the
API schema and docs are for staff roles only."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, cast

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from centre.models import User
from outreach.models import RightsSession
from tests.outreach.factories import SessionFactory
from tests.outreach.participation.factories import kinds_survey

pytestmark = pytest.mark.django_db

POLL: dict[str, Any] = {"HTTP_HX_REQUEST": "true", "HTTP_X_PASSERELLE_POLL": "1"}


def _session(client: Client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def test_results_poll_does_not_extend_the_idle_session(
    client_for: Callable[[str | None], Client], staff: dict[str, User]
) -> None:
    kinds = kinds_survey()
    client = client_for("mediation")
    page = client.get(reverse("participation:survey_results", args=[kinds.survey.pk]))
    assert 'hx-headers=\'{"X-Passerelle-Poll": "1"}\'' in page.content.decode()
    panel = reverse("participation:survey_results_panel", args=[kinds.survey.pk])
    soon = timezone.now() + datetime.timedelta(minutes=2)
    Session.objects.filter(pk=_session(client).pk).update(expire_date=soon)

    for _ in range(3):
        response = client.get(panel, **POLL)
        assert response.status_code == 200
        assert "sessionid" not in response.cookies
    assert _session(client).expire_date == soon  # the polls left the end where it was

    # A request the person makes (the same panel, without the poll header) counts.
    client.get(panel, HTTP_HX_REQUEST="true")
    assert _session(client).expire_date > timezone.now() + datetime.timedelta(minutes=29)

    # Once the session has ended, the poll sends the whole page to the login form.
    Session.objects.filter(pk=_session(client).pk).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    ended = client.get(panel, **POLL)
    assert ended.status_code == 204
    assert ended["HX-Redirect"].startswith(reverse("account_login"))


def test_followup_next_stays_on_the_site(
    client_for: Callable[[str | None], Client], staff: dict[str, User]
) -> None:
    session = cast(RightsSession, SessionFactory(followup_on=timezone.localdate()))
    url = reverse("outreach_session_followup_done", args=[session.pk])
    client = client_for("mediation")
    for evil in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client.post(url, {"next": evil})
        assert response.status_code == 302
        assert response["Location"] == reverse("outreach_followups"), evil
    response = client.post(url, {"next": "/mediation/?jour=2026-01-05"})
    assert response["Location"] == "/mediation/?jour=2026-01-05"


@pytest.mark.parametrize("name", ["api_schema", "api_docs"])
def test_api_schema_and_docs_are_for_staff_only(
    name: str, client_for: Callable[[str | None], Client]
) -> None:
    url = reverse(name)
    assert client_for("collecte").get(url).status_code == 403
    assert client_for(None).get(url).status_code in (401, 403)
    for role in ("accueil", "mediation", "direction"):
        assert client_for(role).get(url).status_code == 200, role


def test_no_other_reader_of_next_in_the_project() -> None:
    """Every `next` goes through centre.redirects.safe_next (the admin login checks its own
    with the same url_has_allowed_host_and_scheme)."""
    import re
    from pathlib import Path

    from django.conf import settings

    reader = re.compile(r"""(POST|GET)(\.get\(|\[)\s*["']next["']""")
    root = Path(settings.BASE_DIR)
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path.relative_to(root).parts[0] not in {".venv", "tests"}
        and path.relative_to(root) != Path("centre/redirects.py")
        and reader.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
