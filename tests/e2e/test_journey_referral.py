"""Journey (4): a mediator, on a phone at a permanence, logs a session with a person met
anonymously and refers her to the centre; at the desk, reception finds the referral in its
queue, links the person to her patient record and books the consultation. Spans outreach,
patients and appointments (the phone part alone is test_outreach_session.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from appointments.models import Appointment
from centre.models import Site, User
from outreach.models import Referral, ReferralStatus
from tests.appointments.factories import paris, practitioner, weekly
from tests.e2e.conftest import login, screenshot
from tests.outreach.factories import ConsultationTypeFactory, PermanenceFactory
from tests.patients.factories import PatientFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def test_mediator_refers_from_a_phone_and_reception_books_the_referral(
    browser: Browser, live_server: Any, site: Site, staff: dict[str, User]
) -> None:
    PermanenceFactory(
        place__site=site, place__name="Centre social des Trois-Cités", mediator=staff["mediation"]
    )
    ctype = ConsultationTypeFactory(label="Consultation de médecine générale")
    doctor = practitioner(site=site, first_name="Claire", last_name="Moreau")
    weekly(doctor, site, 0, "09:00", "12:00")  # Mondays: the booking rules hold for referrals
    patient = PatientFactory(last_name="Keita", first_name="Awa")

    # On the phone, at the permanence.
    phone = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", **PHONE)
    page = phone.new_page()
    login(page, live_server, staff["mediation"])
    page.get_by_role("link", name="Centre social des Trois-Cités").first.click()
    form = page.locator("#session-form")
    form.get_by_text("Femme", exact=True).tap()
    form.get_by_text("26–44 ans").tap()
    form.get_by_role("group", name="Habite en QPV").get_by_text("Oui").tap()
    form.get_by_text("Médecin traitant", exact=True).tap()
    form.get_by_text("Information", exact=True).tap()
    form.get_by_text("Orienter (centre de santé ou partenaire)").tap()
    form.get_by_label("Orienter vers").select_option("centre")
    form.get_by_label("Consultation souhaitée").select_option(label=ctype.label)
    form.get_by_label("Motif pour l'accueil").fill("Cherche un médecin traitant")
    form.get_by_role("button", name="Enregistrer l'entretien").tap()
    expect(page.get_by_role("status")).to_contain_text("Entretien enregistré")
    screenshot(page, "journey4-phone-session")
    phone.close()
    referral = Referral.objects.get()
    assert referral.status == ReferralStatus.PENDING and referral.person.patient is None

    # At the desk: the queue, the patient record found and linked, the consultation booked.
    desk = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    page = desk.new_page()
    login(page, live_server, staff["accueil"])
    page.goto(f"{live_server.url}/mediation/activite/orientations/")
    row = page.locator("tr, li, article").filter(has_text="Cherche un médecin traitant").first
    expect(row).to_be_visible()
    screenshot(page, "journey4-queue")
    row.get_by_role("link", name="Programmer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Programmer la consultation")
    page.get_by_label("Rechercher").fill("keita")
    page.get_by_label("KEITA Awa", exact=False).check()
    page.get_by_label("Motif").select_option(label=ctype.label)
    page.get_by_label("Soignant·e").select_option(value=str(doctor.pk))
    page.get_by_label("Date et heure").fill("2030-03-04T09:20")
    page.get_by_role("button", name="Programmer et lier à l'orientation").click()
    expect(page.locator(".message-success")).to_contain_text("Rendez-vous programmé le 04/03/2030")
    screenshot(page, "journey4-booked")
    desk.close()

    referral.refresh_from_db()
    assert referral.status == ReferralStatus.BOOKED
    appointment = Appointment.objects.get()
    assert referral.appointment == appointment
    assert appointment.patient == patient and appointment.practitioner == doctor
    assert appointment.start == paris(2030, 3, 4, 9, 20)
    assert referral.person.patient == patient
    assert timezone.localdate() <= appointment.start.date()
