"""« À faire » on a phone (390×844): the header link counts what waits for reception, is
refreshed by its poll without a reload, leads to the inbox, and each item to its page; the
inbox has no serious accessibility violation (axe-core)."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from centre.models import Site, User
from tests.e2e.conftest import login, screenshot
from tests.outreach.factories import ReferralFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
AXE = Path(__file__).resolve().parent / ".node" / "node_modules" / "axe-core" / "axe.min.js"


def test_reception_is_told_on_a_phone_and_the_count_follows_without_reload(
    browser: Browser, live_server: Any, site: Site, staff: dict[str, User]
) -> None:
    ReferralFactory(site=site, reason="Cherche un médecin traitant")
    ReferralFactory(
        site=site,
        reason="Douleurs dentaires",
        created_at=timezone.now() - datetime.timedelta(days=40),
    )
    context = browser.new_context(
        locale="fr-FR", timezone_id="Europe/Paris", bypass_csp=True, **PHONE
    )
    page = context.new_page()
    page.clock.install()
    login(page, live_server, staff["accueil"])
    page.get_by_role("button", name="Menu").tap()
    link = page.locator("#todo-link")
    expect(link).to_have_text("À faire (2)")

    # A third referral arrives: the poll (every 60 s) updates the count, no reload.
    ReferralFactory(site=site, reason="Vaccins")
    page.clock.run_for(61_000)
    expect(link).to_have_text("À faire (3)")

    link.tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("À faire")
    item = page.get_by_role(
        "link", name="3 orientations vers le centre à programmer, dont 1 en retard"
    )
    expect(item).to_be_visible()
    screenshot(page, "notifications-phone-inbox")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []

    item.tap()
    expect(page).to_have_url(re.compile(r"/mediation/activite/orientations/$"))
    expect(page.get_by_text("Douleurs dentaires")).to_be_visible()
    context.close()
