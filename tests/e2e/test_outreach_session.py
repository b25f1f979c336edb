"""A mediator, on a phone, opens today's permanence, logs a session with an anonymous person
and refers her to the centre — within 30 seconds of input (Playwright + Debian Chromium)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from centre.models import Site, User
from outreach.models import Referral, RightsSession
from tests.e2e.conftest import login, screenshot
from tests.outreach.factories import ConsultationTypeFactory, PermanenceFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_context_args,
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
    }


def test_mediator_logs_a_session_and_refers_on_a_phone(
    page: Page, live_server: Any, site: Site, staff: dict[str, User]
) -> None:
    perm = PermanenceFactory(
        place__site=site,
        place__name="Maison de quartier des Couronneries",
        mediator=staff["mediation"],
    )
    ConsultationTypeFactory(label="Consultation de médecine générale")
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    login(page, live_server, staff["mediation"])
    expect(page.get_by_role("heading", name="Permanences du jour")).to_be_visible()
    page.get_by_role("link", name="Maison de quartier des Couronneries").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Maison de quartier des Couronneries")

    started = time.monotonic()
    form = page.locator("#session-form")
    form.get_by_text("Femme", exact=True).tap()
    form.get_by_text("26–44 ans").tap()
    form.get_by_role("group", name="Habite en QPV").get_by_text("Oui").tap()
    form.get_by_text("Complémentaire santé solidaire (C2S)").tap()
    form.get_by_text("Médecin traitant", exact=True).tap()
    form.get_by_text("Information", exact=True).tap()
    form.get_by_text("Dossier rempli ensemble").tap()
    form.get_by_text("Orienter (centre de santé ou partenaire)").tap()
    form.get_by_label("Orienter vers").select_option("centre")
    form.get_by_label("Consultation souhaitée").select_option(
        label="Consultation de médecine générale"
    )
    form.get_by_label("Motif pour l'accueil").fill("Pas de médecin traitant")
    form.get_by_role("button", name="Enregistrer l'entretien").tap()
    expect(page.get_by_role("status")).to_contain_text("Entretien enregistré")
    elapsed = time.monotonic() - started
    assert elapsed < 30, f"saisie en {elapsed:.1f} s"

    session = RightsSession.objects.get()
    assert session.permanence == perm and session.topics == ["c2s", "medecin_traitant"]
    assert session.person.sex == "F" and session.person.in_qpv == "oui"
    referral = Referral.objects.get()
    assert referral.target == "centre" and referral.consultation_type is not None
    expect(page.get_by_role("heading", name="Personnes reçues (1)")).to_be_visible()
    screenshot(page, "outreach-session-phone")
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_on_a_phone_the_navigation_folds_and_the_form_comes_first(
    page: Page, live_server: Any, site: Site, staff: dict[str, User]
) -> None:
    perm = PermanenceFactory(place__site=site, mediator=staff["mediation"])
    login(page, live_server, staff["mediation"])
    expect(page.get_by_role("heading", name="Permanences du jour")).to_be_visible()

    # Folded: the header is one line (brand and « Menu »), not half the screen.
    header = page.locator("header.site-header").bounding_box()
    assert header is not None and header["height"] < 80, header
    nav = page.get_by_role("navigation", name="Navigation principale")
    expect(nav).to_be_hidden()
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.tap()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav).to_be_visible()
    expect(nav.get_by_role("link").first).to_be_visible()
    menu.tap()
    expect(nav).to_be_hidden()

    page.goto(f"{live_server.url}/mediation/activite/permanences/{perm.pk}/")
    form = page.locator("#session-form").bounding_box()
    people = page.get_by_role("heading", name="Personnes reçues (0)").bounding_box()
    assert form is not None and people is not None
    assert form["y"] < people["y"], (form, people)
    assert form["y"] < 300, form  # the form starts on the first screen
    # The save button stays within reach wherever the mediator is in the form.
    page.get_by_text("Orienter (centre de santé ou partenaire)").scroll_into_view_if_needed()
    save = page.get_by_role("button", name="Enregistrer l'entretien")
    box = save.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 844, box
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"la page déborde : {width} px"
