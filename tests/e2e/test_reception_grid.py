"""Reception's time grid in a real browser (Playwright + Debian Chromium): booking by clicking
a free slot, moving by drag and by keyboard (a refused move snaps back with its French reason),
a walk-in through the waiting room, a keyboard-only morning with its keystrokes counted, and
axe on the grid."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from appointments.models import Appointment
from centre.models import Site, User
from tests.appointments.factories import (
    ConsultationTypeFactory,
    PatientFactory,
    paris,
    practitioner,
    weekly,
)
from tests.e2e.conftest import login, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DAY = datetime.date(2030, 3, 4)  # a Monday
AXE = Path(__file__).resolve().parent / ".node" / "node_modules" / "axe-core" / "axe.min.js"


def _csp_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on(
        "console",
        lambda msg: errors.append(f"{msg.text} @ {msg.location}") if msg.type == "error" else None,
    )
    return errors


def test_grid_books_by_clicking_a_free_slot(
    page: Page, live_server: Any, site: Site, staff: dict[str, User]
) -> None:
    doctor = practitioner(site=site, first_name="Claire", last_name="Moreau")
    weekly(doctor, site, 0, "09:00", "12:00")
    ConsultationTypeFactory()
    PatientFactory(last_name="Benhamou", first_name="Yasmina")
    errors = _csp_errors(page)
    login(page, live_server, staff["accueil"])
    page.goto(f"{live_server.url}/rendez-vous/jour/?site={site.pk}&date={DAY.isoformat()}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("lundi 4 mars 2030")
    screenshot(page, "reception-grid-day")
    page.get_by_role("link", name="Libre 09:30 avec Claire Moreau : réserver").click()
    panel = page.locator("#book-panel")
    expect(panel).to_contain_text("lundi 4 mars 2030 à 09:30 avec Claire Moreau")
    page.get_by_label("Rechercher le·la patient·e").fill("benhamou")
    page.get_by_label("BENHAMOU Yasmina", exact=False).check()
    panel.get_by_label("Motif").select_option(label="Consultation de médecine générale")
    panel.get_by_label("Interprète (langue)").fill("pachto")
    panel.get_by_role("button", name="Confirmer le rendez-vous").click()
    expect(panel).to_contain_text("Rendez-vous pris pour BENHAMOU Yasmina")
    # The grid refreshed in place: the appointment sits at 09:30, the page did not change.
    block = page.locator(".tgrid .blk.appt", has_text="BENHAMOU Yasmina")
    expect(block).to_contain_text("09:30–09:50")
    expect(block).to_contain_text("Interprète : pachto")
    assert page.url.endswith(f"date={DAY.isoformat()}")
    booked = Appointment.objects.get()
    assert booked.start == paris(2030, 3, 4, 9, 30)
    screenshot(page, "reception-grid-booked")
    assert not [e for e in errors if "Content Security Policy" in e], errors
