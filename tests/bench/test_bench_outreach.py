"""Outreach figures with a year and a half of demo data (the Poitiers seed: ~400 permanences,
~700 sessions): the permanence page and the mediator's home (page + its HTMX panel) run a
constant number of queries whatever the history; median server time printed."""

from __future__ import annotations

import random

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from centre import demo as centre_demo
from outreach import demo
from outreach.models import Permanence, RightsSession
from tests.bench.report import measure, record, summarise

pytestmark = pytest.mark.django_db


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_bench_outreach_pages() -> None:
    org = centre_demo.seed_organisation()
    demo.seed(org, random.Random(2026))
    mediator = org.users[f"mediation@{centre_demo.DEMO_DOMAIN}"]
    client = Client()
    client.force_login(mediator, backend="django.contrib.auth.backends.ModelBackend")
    # The busiest past permanence, and a quiet one, must cost the same number of queries.
    today = timezone.localdate()
    past = Permanence.objects.filter(start__date__lte=today)
    counts = sorted(past, key=lambda p: p.sessions.count())
    quiet, busy = counts[0], counts[-1]
    busy_url = reverse("outreach_permanence", args=[busy.pk])
    quiet_url = reverse("outreach_permanence", args=[quiet.pk])
    client.get(busy_url)
    assert _queries(client, busy_url) == _queries(client, quiet_url)
    home_q = _queries(client, "/mediation/") + _queries(client, reverse("outreach_home_panel"))

    figures = [
        summarise(
            f"permanence ({busy.sessions.count()} entretiens, {_queries(client, busy_url)} req.)",
            measure(lambda: client.get(busy_url), repeat=30),
            target_ms=300,
        ),
        summarise(
            f"accueil médiation + panneau ({home_q} req.)",
            measure(
                lambda: (client.get("/mediation/"), client.get(reverse("outreach_home_panel"))),
                repeat=30,
            ),
            target_ms=400,
            baseline=f"{RightsSession.objects.count()} entretiens en base",
        ),
        summarise(
            "formulaire d'entretien (GET)",
            measure(lambda: client.get(reverse("outreach_session_new")), repeat=20),
            target_ms=300,
        ),
    ]
    record(*figures)
