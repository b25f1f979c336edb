"""Automated accessibility checks (axe-core, run inside Chromium) on the main pages.

Serious and critical violations fail the test; the list of pages grows with each app.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from centre.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent / ".node" / "node_modules" / "axe-core" / "axe.min.js"

PAGES_BY_ROLE = {
    None: ["/accounts/login/", "/accounts/password/reset/"],
    # {patient}, {appointment}, {permanence}, {invoice}: ids of objects made by _objects().
    "accueil": [
        "/accueil/",
        "/patients/",
        "/patients/nouveau/",
        "/patients/{patient}/",
        "/rendez-vous/jour/",
        "/rendez-vous/nouveau/",
        "/rendez-vous/{appointment}/",
        "/mediation/activite/orientations/",
        "/facturation/suivi/encaissements/",
        "/rendez-vous/motifs/",
        "/rendez-vous/motifs/nouveau/",
    ],
    "soignant": [
        "/soignant/",
        "/rendez-vous/mon-agenda/",
        "/facturation/suivi/consultations/{appointment}/cloturer/",
    ],
    "mediation": [
        "/mediation/",
        "/mediation/activite/permanences/{permanence}/",
        "/mediation/activite/entretiens/nouveau/?permanence={permanence}",
        "/mediation/activite/suivis/",
    ],
    "facturation": [
        "/facturation/",
        "/facturation/suivi/",
        "/facturation/suivi/lots/",
        "/facturation/suivi/retours/",
        "/facturation/suivi/listes/rejets/",  # the worklists (the former « rejets » page)
        "/facturation/suivi/factures/{invoice}/",
    ],
    "collecte": ["/participation/saisie/"],
    "direction": [
        "/direction/",
        "/direction/equipe/",
        "/direction/equipe/inviter/",
        "/direction/journal/",
        "/direction/tableau-de-bord/",
        "/direction/rapports/",
        "/rendez-vous/consultations/",
        "/patients/doublons/",
        "/patients/fusion/{patient}/{twin}/",
    ],
}


def _objects(staff: dict[str, User]) -> dict[str, int]:
    """A patient, an appointment and an invoice of the `soignant` account, a permanence of
    the `mediation` one, a likely duplicate of the patient (other phone and address): the
    record pages of the list above."""
    import datetime

    from django.utils import timezone

    from appointments.models import Appointment
    from tests.appointments.factories import ConsultationTypeFactory
    from tests.billing.factories import make_invoice, make_patient
    from tests.outreach.factories import PermanenceFactory

    site = staff["accueil"].profile.sites.get()
    patient = make_patient(last_name="Martin", first_name="Léa")
    start = timezone.now().replace(microsecond=0) - datetime.timedelta(hours=1)
    appointment = Appointment.objects.create(
        patient=patient,
        practitioner=staff["soignant"].profile,
        consultation_type=ConsultationTypeFactory(),
        site=site,
        start=start,
        end=start + datetime.timedelta(minutes=20),
        booked_by=staff["accueil"],
    )
    invoice = make_invoice(by=staff["soignant"], practitioner=staff["soignant"], site=site)
    permanence = PermanenceFactory(place__site=site, mediator=staff["mediation"])
    twin = make_patient(
        last_name="Martin", first_name="Lea", phone="0612345678", address="3 rue des Écoles"
    )
    return {
        "twin": twin.pk,
        "patient": patient.pk,
        "appointment": appointment.pk,
        "invoice": invoice.pk,
        "permanence": permanence.pk,
    }


def serious_violations(browser: Browser, base_url: str, path: str, cookies: list[Any]) -> list[str]:
    # bypass_csp lets the test inject axe; the pages themselves keep their strict policy.
    context = browser.new_context(bypass_csp=True, locale="fr-FR")
    if cookies:
        context.add_cookies(cookies)
    page = context.new_page()
    page.goto(base_url + path)
    assert page.url == base_url + path, f"{path} redirected to {page.url}"
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    context.close()
    return [
        f"{path}: {v['id']} ({v['impact']}) — {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("role", list(PAGES_BY_ROLE))
def test_main_pages_have_no_serious_accessibility_violation(
    role: str | None, browser: Browser, live_server: Any, staff: dict[str, User]
) -> None:
    assert AXE.exists(), "make test installs axe-core (npm) before the browser tests"
    cookies: list[Any] = []
    if role is not None:
        from django.test import Client

        client = Client()
        client.force_login(staff[role], backend="django.contrib.auth.backends.ModelBackend")
        host = live_server.url.split("//", 1)[1].split(":")[0]
        cookies = [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "domain": host,
                "path": "/",
            }
        ]
    ids = _objects(staff) if any("{" in p for p in PAGES_BY_ROLE[role]) else {}
    problems = [
        problem
        for path in (p.format(**ids) for p in PAGES_BY_ROLE[role])
        for problem in serious_violations(browser, live_server.url, path, cookies)
    ]
    assert problems == []
