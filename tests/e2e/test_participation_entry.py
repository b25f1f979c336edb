"""A volunteer inhabitant (`collecte` account), on a phone (390×844), types in three paper
questionnaires of the health diagnosis (Playwright + Debian Chromium)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from centre.models import User
from outreach.participation.models import Answer, AnswerSheet, SheetChannel
from tests.e2e.conftest import login, screenshot
from tests.outreach.participation.factories import kinds_survey

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAPER = [
    ("Trois-Cités", ["Délais"], "4", "2", "Un dentiste"),
    ("Couronneries", ["Coût", "Langue"], "2", "", ""),
    ("Autre", [], "5", "7", "Des horaires le soir"),
]


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_context_args,
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
    }


def test_volunteer_enters_three_paper_questionnaires_on_a_phone(
    page: Page, live_server: Any, staff: dict[str, User]
) -> None:
    kinds = kinds_survey()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    login(page, live_server, staff["collecte"])
    expect(page.get_by_role("heading", name="Saisie des questionnaires")).to_be_visible()
    page.get_by_role("link", name=kinds.survey.title).tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(kinds.survey.title)

    # A first attempt with a missing required answer is refused in French, nothing saved.
    form = page.locator("#entry-form")
    form.get_by_role("button", name="Enregistrer ce questionnaire").tap()
    expect(form.get_by_text("Cette question est obligatoire.").first).to_be_visible()
    assert AnswerSheet.objects.count() == 0

    for index, (where, barriers, score, visits, wish) in enumerate(PAPER, start=1):
        form = page.locator("#entry-form")
        form.get_by_role("group", name="1. Quartier").get_by_text(where, exact=True).tap()
        for barrier in barriers:
            form.get_by_role("group", name="2. Freins aux soins").get_by_text(
                barrier, exact=True
            ).tap()
        form.get_by_role("group", name="3. Satisfaction").get_by_text(score, exact=True).tap()
        form.get_by_label("4. Consultations").fill(visits)
        form.get_by_label("5. Souhaits").fill(wish)
        form.get_by_role("button", name="Enregistrer ce questionnaire").tap()
        expect(page.get_by_role("status")).to_contain_text("enregistré")
        assert AnswerSheet.objects.count() == index
        if index == 1:
            screenshot(page, "participation-entry-phone")

    sheets = list(AnswerSheet.objects.order_by("pk"))
    assert {s.channel for s in sheets} == {SheetChannel.PAPER}
    assert {s.entered_by_id for s in sheets} == {staff["collecte"].pk}
    stored = [
        sorted(
            a.choice.label if a.choice else (str(a.number) if a.number is not None else a.text)
            for a in Answer.objects.filter(sheet=s).select_related("choice")
        )
        for s in sheets
    ]
    expected = [
        sorted([where, *barriers, score, *([visits] if visits else []), *([wish] if wish else [])])
        for where, barriers, score, visits, wish in PAPER
    ]
    assert stored == expected
    # The home page counts them; the volunteer sees no other menu entry (on a phone the
    # navigation folds behind « Menu »).
    page.get_by_role("button", name="Menu").tap()
    page.get_by_role("link", name="Collecte (habitant·e bénévole)").tap()
    expect(page.get_by_text("Vous avez saisi 3 questionnaires.")).to_be_visible()
    assert page.locator(".main-nav li").count() == 1
    # The refused first attempt answers 400 (Chromium logs it); nothing else may fail.
    assert [e for e in errors if "400 (Bad Request)" not in e] == []
