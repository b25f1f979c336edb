"""Journey (2): the practitioner opens today's agenda, the consultation of the patient who has
arrived, and closes it with its acts: the invoice and its claims are made, the appointment is
« vu », reception sees what the patient pays. Spans appointments and billing.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from appointments.models import Appointment, Status
from billing.models import Invoice
from centre.models import Site, User
from tests.appointments.factories import ConsultationTypeFactory
from tests.billing.factories import ensure_fee_schedule, make_patient
from tests.e2e.conftest import login, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.usefixtures("daytime")  # an appointment of today
def test_practitioner_closes_the_consultation_with_acts(
    page: Page, live_server: Any, site: Site, staff: dict[str, User]
) -> None:
    ensure_fee_schedule()
    doctor = staff["soignant"]
    patient = make_patient(last_name="Benali", first_name="Samia")
    start = timezone.now().replace(second=0, microsecond=0) - datetime.timedelta(minutes=5)
    appointment = Appointment.objects.create(
        patient=patient,
        practitioner=doctor.profile,
        consultation_type=ConsultationTypeFactory(),
        site=site,
        start=start,
        end=start + datetime.timedelta(minutes=20),
        booked_by=staff["accueil"],
        status=Status.ARRIVED,
    )
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    login(page, live_server, doctor)
    expect(page).to_have_url(f"{live_server.url}/soignant/")
    today = page.get_by_role("region", name="Mon agenda du jour")
    today.get_by_role("link", name="BENALI Samia").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rendez-vous du")
    page.get_by_role("link", name="Clôturer et facturer").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Clôturer la consultation")
    page.get_by_label("Actes (code et coefficient, séparés par des virgules)").fill("G")
    page.get_by_role("button", name="Calculer").click()
    preview = page.get_by_role("status").filter(has_text="Calcul (non enregistré)")
    # G at 30 € (fee schedule); AMO 70 % = 21 €; no complementary cover: 9 € at the desk.
    expect(preview).to_contain_text("30,00 €")
    expect(preview).to_contain_text("21,00 €")
    expect(preview).to_contain_text("9,00 €")
    assert not Invoice.objects.exists()  # a preview saves nothing
    screenshot(page, "journey2-preview")

    page.get_by_role("button", name="Clôturer et facturer").click()
    # The closing message, and beside it the secured care sheet's (FSE) message.
    closed = page.locator(".message-success").filter(has_text="Consultation clôturée")
    expect(closed).to_be_visible()
    screenshot(page, "journey2-invoice")
    invoice = Invoice.objects.get()
    assert invoice.appointment_id == appointment.pk and invoice.patient == patient
    assert [line.act.code for line in invoice.lines.select_related("act")] == ["G"]
    assert invoice.total == Decimal("30.00")  # G, 30 € since 2024-12-22 (convention médicale 2024)
    assert invoice.patient_due == Decimal("9.00")
    expect(closed).to_contain_text("9,00 € à régler à l'accueil")
    assert set(invoice.claims.values_list("payer_type", flat=True)) >= {"AMO"}
    appointment.refresh_from_db()
    assert appointment.status == Status.SEEN
    # Closing again leads to the invoice, never to a second one.
    page.goto(f"{live_server.url}/facturation/suivi/consultations/{appointment.pk}/cloturer/")
    expect(page).to_have_url(f"{live_server.url}/facturation/suivi/factures/{invoice.pk}/")
    assert Invoice.objects.count() == 1
    assert not [e for e in errors if "Content Security Policy" in e], errors
