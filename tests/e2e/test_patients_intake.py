from __future__ import annotations

import datetime
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from centre.models import User
from patients.models import Patient
from tests.e2e.conftest import login, screenshot
from tests.patients.factories import PatientFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_reception_searches_registers_and_sees_the_duplicate_warning(
    page: Page, live_server: Any, staff: dict[str, User]
) -> None:
    existing = PatientFactory(
        last_name="Dupont", first_name="Hélène", birth_date=datetime.date(1984, 3, 12)
    )
    login(page, live_server, staff["accueil"])
    expect(page).to_have_url(f"{live_server.url}/accueil/")

    # The search box is at the top of the reception's home; results come as one types.
    page.get_by_label("Rechercher un·e patient·e").fill("heleen dup")
    results = page.locator("#patient-results")
    expect(results).to_contain_text("DUPONT Hélène")
    expect(results).to_contain_text("12/03/1984")
    expect(results).to_contain_text("Sans droits")

    # Registering the same person again: the candidates show before anything is saved.
    page.get_by_role("link", name="Nouveau patient").click()
    page.get_by_label("Nom d'usage").fill("DUPONT")
    page.get_by_label("Prénom(s)").fill("Helene")
    page.get_by_label("Femme").check()
    page.get_by_label("Date de naissance").fill("1984-03-12")
    page.get_by_label("Date de naissance").blur()
    live = page.locator("#duplicate-candidates")
    expect(live).to_contain_text("peut-être déjà enregistrée")  # live check (HTMX)
    page.get_by_role("button", name="Enregistrer le dossier").click()
    expect(page.locator("#duplicate-candidates")).to_contain_text("DUPONT Hélène")
    expect(page.get_by_role("alert").first).to_be_visible()
    assert Patient.objects.count() == 1
    screenshot(page, "patients-duplicate-warning")

    # It is somebody else after all: confirm and save.
    page.get_by_label("J'ai vérifié : ce n'est aucune des personnes ci-dessus").check()
    page.get_by_role("button", name="Enregistrer le dossier").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("DUPONT Helene")
    assert Patient.objects.exclude(pk=existing.pk).count() == 1
