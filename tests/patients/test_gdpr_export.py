"""The subject access export (RGPD art. 15) is complete: identity, coverage history,
appointments, reminders sent, invoices, payments, claims, outreach sessions, rights files,
referrals, and who read the record through every door — in JSON and in the PDF."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from appointments.models import Reminder
from appointments.selectors import DAY_SHEET_ACTION, appointments_shown
from billing.models import Payment
from centre.models import Site, User
from outreach.models import Person
from patients.models import Coverage, CoverageKind, Patient
from tests.appointments.factories import appointment, paris
from tests.billing.factories import ensure_fee_schedule, make_invoice, practitioner_of
from tests.outreach.factories import FileFactory, PlaceFactory, ReferralFactory, SessionFactory
from tests.patients.test_views import ClientFor

D = datetime.date


def _patient_with_history(staff: dict[str, User], site: Site) -> Patient:
    patient = Patient.objects.create(
        last_name="Benali", first_name="Samira", sex="F", birth_date=D(1990, 5, 4)
    )
    Coverage.objects.create(
        patient=patient, kind=CoverageKind.AMO, start=D(2020, 1, 1), caisse_code="861",
        scheme_code="01", end=D(2023, 12, 31),
    )  # fmt: skip
    Coverage.objects.create(
        patient=patient, kind=CoverageKind.AMO, start=D(2024, 1, 1), caisse_code="861",
        scheme_code="01",
    )  # fmt: skip
    rdv = appointment(
        practitioner=practitioner_of(staff["soignant"]),
        site=site,
        start=paris(2025, 3, 10),
        booked_by=staff["accueil"],
        patient=patient,
    )
    Reminder.objects.create(
        appointment=rdv, kind="confirmation", channel="sms", to="+33611223344",
        status="sent", sent_at=timezone.now(),
    )  # fmt: skip
    ensure_fee_schedule()
    invoices = [
        make_invoice(
            by=staff["soignant"],
            practitioner=staff["soignant"],
            site=site,
            patient=patient,
            on=D(2025, 3, day),
        )
        for day in (10, 11, 12)
    ]
    for invoice, amount in ((invoices[0], "7.50"), (invoices[1], "12.00")):
        Payment.objects.create(
            invoice=invoice, source="PAT", method="cash", amount=Decimal(amount),
            received_on=invoice.date_of_care,
        )  # fmt: skip
    person = Person.objects.create(patient=patient, sex="F", linked_at=timezone.now())
    place = PlaceFactory(name="Épicerie solidaire")
    SessionFactory(person=person, place=place, site=place.site or site, notes="dossier C2S")
    FileFactory(person=person)
    ReferralFactory(person=person, site=site, reason="Bilan de santé")
    appointments_shown(by=staff["accueil"], appointments=[rdv], action=DAY_SHEET_ACTION)
    return patient


def test_export_contains_every_app_and_every_door(
    client_for: ClientFor, staff: dict[str, User], site: Site
) -> None:
    patient = _patient_with_history(staff, site)
    # Doors: the record page, the API search (a list), the day sheet (a list of appointments).
    assert (
        client_for("accueil").get(reverse("patients:detail", args=[patient.pk])).status_code == 200
    )
    assert client_for("soignant").get("/api/v1/patients/", {"q": "benali"}).status_code == 200

    response = client_for("direction").get(reverse("patients:export_json", args=[patient.pk]))
    data = response.json()

    assert [c["start"] for c in data["coverages"]] == ["2020-01-01", "2024-01-01"]
    assert len(data["appointments"]) == 1 and data["appointments"][0]["status"]
    assert [r["to"] for r in data["reminders"]] == ["+33611223344"]
    assert len(data["invoices"]) == 3
    assert sorted(i["date_of_care"] for i in data["invoices"]) == [
        "2025-03-10", "2025-03-11", "2025-03-12",
    ]  # fmt: skip
    assert sorted(p["amount"] for p in data["payments"]) == ["12.00", "7.50"]
    assert len(data["claims"]) >= 3  # one AMO claim per invoice at least
    assert [s["notes"] for s in data["outreach_sessions"]] == ["dossier C2S"]
    assert len(data["rights_files"]) == 1
    assert [r["reason"] for r in data["referrals"]] == ["Bilan de santé"]
    actions = {(a["action"], a["who"]) for a in data["accesses"]}
    accueil = staff["accueil"].get_full_name()
    assert ("patient.view", accueil) in actions
    assert ("patient.search", staff["soignant"].get_full_name()) in actions  # API list
    assert (DAY_SHEET_ACTION, accueil) in actions  # a list of appointments
    # Writes in other apps are entries about her too (sealed with her key).
    creations = [a for a in data["accesses"] if a["action"] == "billing.invoice.create"]
    assert len(creations) == 3 and not any(a["read"] for a in creations)
    # The access log of the record page shows the same doors.
    page = client_for("direction").get(reverse("patients:detail", args=[patient.pk]))
    html = page.content.decode()
    assert "patient.search" in html and DAY_SHEET_ACTION in html

    pdf = client_for("direction").get(reverse("patients:export_pdf", args=[patient.pk]))
    reader = PdfReader(io.BytesIO(pdf.content))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) <= 4
    for invoice in data["invoices"]:
        assert invoice["number"] in text
    for needle in ("7.50 €", "12.00 €", "Bilan de santé", "Épicerie solidaire", "+33611223344"):
        assert needle in text, needle
    assert "Qui a consulté ou modifié votre dossier" in text
