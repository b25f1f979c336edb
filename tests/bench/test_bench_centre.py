"""Foundation figures: cost of an audited write against the same write without audit, and
of rendering a role home page."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client

from centre import audit
from centre.models import Site, User
from tests.bench.generator import Generated
from tests.bench.report import measure, record, summarise

pytestmark = pytest.mark.django_db


def test_bench_audit_and_home(generated: Generated, site: Site, staff: dict[str, User]) -> None:
    def plain_write() -> None:
        with transaction.atomic():
            Site.objects.filter(pk=site.pk).update(in_qpv=not site.in_qpv)

    def audited_write() -> None:
        with transaction.atomic():
            Site.objects.filter(pk=site.pk).update(in_qpv=not site.in_qpv)
            audit.record(actor=staff["direction"], action="site.update", obj=site)

    plain = summarise("écriture simple (UPDATE)", measure(plain_write, repeat=200))
    audited = summarise("écriture + entrée du journal d'audit", measure(audited_write, repeat=200))
    audited.baseline = f"× {audited.median_ms / plain.median_ms:.2f} vs écriture simple"

    client = Client()
    client.force_login(staff["accueil"], backend="django.contrib.auth.backends.ModelBackend")
    home = summarise(
        "page d'accueil du rôle accueil",
        measure(lambda: client.get("/accueil/"), repeat=50),
        target_ms=300,
    )
    record(plain, audited, home)
