"""Reception books an appointment from the day view, with the keyboard-friendly patient
search, in a real browser (Playwright + Debian Chromium)."""

from __future__ import annotations

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
from tests.e2e.conftest import htmx_ready, login, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_reception_books_from_the_day_view(
    page: Page, live_server: Any, site: Site, staff: dict[str, User]
) -> None:
    doctor = practitioner(site=site, first_name="Claire", last_name="Moreau")
    weekly(doctor, site, 0, "09:00", "10:00")
    ctype = ConsultationTypeFactory()
    PatientFactory(last_name="Benhamou", first_name="Yasmina")
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    login(page, live_server, staff["accueil"])
    page.goto(f"{live_server.url}/rendez-vous/jour/?site={site.pk}&date=2030-03-04&type={ctype.pk}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("lundi 4 mars 2030")
    page.get_by_role("link", name="Libre 09:20 avec Claire Moreau : réserver").click()

    # The free slot opens the booking panel in place, beside the grid.
    panel = page.locator("#book-panel")
    expect(panel.get_by_role("heading", name="Nouveau rendez-vous")).to_be_visible()
    htmx_ready(page, "#patient-search")
    panel.get_by_label("Rechercher le·la patient·e").fill("benhamou")
    choice = panel.get_by_label("BENHAMOU Yasmina", exact=False)
    expect(choice).to_be_visible()
    choice.check()
    panel.get_by_label("Interprète (langue)").fill("arabe")
    panel.get_by_role("button", name="Confirmer le rendez-vous").click()

    expect(panel.locator(".message-success")).to_contain_text("Rendez-vous pris pour BENHAMOU")
    expect(panel.locator(".message-success")).to_contain_text("lundi 4 mars 2030 à 09:20")
    expect(page.locator(".tgrid-col").filter(has_text="Claire Moreau")).to_contain_text(
        "BENHAMOU Yasmina"
    )
    screenshot(page, "appointments-day-view-booked")
    booked = Appointment.objects.get()
    assert booked.start == paris(2030, 3, 4, 9, 20)
    assert booked.interpreter_language == "arabe"
    assert not [e for e in errors if "Content Security Policy" in e], errors
