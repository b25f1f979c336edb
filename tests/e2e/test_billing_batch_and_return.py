"""The billing clerk previews and builds a batch, sends it, then imports a return with one
reject."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, expect

from billing.formats import AckRecord, PaymentRecord, RejectRecord, return_lines
from billing.models import Batch, Claim
from centre.models import Site, User
from tests.billing.factories import amo_claim, make_invoice
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _log_in(page: Page, live_server: Any, user: User) -> None:
    # The clerk's account has a TOTP authenticator; the login form itself is covered by
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


def test_clerk_builds_a_batch_and_imports_a_return_with_one_reject(
    page: Page, live_server: Any, site: Site, staff: dict[str, User], tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    invoices = [
        make_invoice(by=staff["soignant"], practitioner=staff["soignant"], site=site)
        for _ in range(2)
    ]
    _log_in(page, live_server, staff["facturation"])
    page.goto(f"{live_server.url}/facturation/suivi/lots/")
    page.get_by_role("link", name="Construire les lots…").click()
    expect(page.get_by_text("Construire 1 lot pour 2 demandes")).to_be_visible()
    page.get_by_role("button", name="Confirmer et construire").click()
    expect(page.get_by_role("status").filter(has_text="Construction terminée")).to_be_visible()
    page.get_by_role("link", name="Actualiser la liste").click()
    expect(page.get_by_role("link", name="Télécharger")).to_be_visible()
    batch = Batch.objects.get()
    assert (batch.claims_count, batch.status) == (2, "built")
    page.get_by_role("button", name="Marquer envoyé").click()
    expect(page.get_by_text("Lot n° 1 envoyé")).to_be_visible()
    assert Batch.objects.get().status == "sent"
    screenshot(page, "billing-batches")

    paid, rejected = (amo_claim(i) for i in invoices)
    on = datetime.date(2025, 3, 14)
    path = tmp_path / "retour.txt"
    path.write_text(
        "".join(
            return_lines(
                payer_type="AMO",
                payer_code="861",
                created_on=on,
                records=[
                    AckRecord(0, batch.number, True, on, "", ""),
                    PaymentRecord(0, paid.reference, Decimal("21.00"), on, "VIR-1", "", ""),
                    RejectRecord(0, rejected.reference, "R01", ""),
                ],
            )
        )
    )
    page.get_by_role("link", name="Retours").first.click()
    page.get_by_label("Fichier retour").set_input_files(str(path))
    page.get_by_role("button", name="Importer").click()
    # Validated at once, then reconciled by the Celery task (eager here); the page follows it.
    expect(page.get_by_role("status").filter(has_text="1 payée(s)")).to_be_visible()
    page.get_by_role("link", name="Voir les rejets à traiter").click()
    expect(page.get_by_role("cell", name="Droits fermés à la date des soins")).to_be_visible()
    expect(page.get_by_role("link", name="Mettre à jour les droits")).to_be_visible()
    screenshot(page, "billing-rejects")
    page.get_by_role("button", name="Corriger et renvoyer").click()
    expect(page.get_by_text("prête pour le prochain lot")).to_be_visible()
    assert Claim.objects.get(pk=paid.pk).status == "paid"
    assert Claim.objects.get(replaces=rejected).status == "ready"
