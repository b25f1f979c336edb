"""One « parcours » per person on the patient record: appointments, outreach sessions,
referrals and what became of them, collective actions attended, invoices and payments — each
shown only to the roles that may see it, in one query per provider whatever the history."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing.services import payments
from centre.models import Site, User
from patients import hooks
from patients.models import Patient
from tests.billing.factories import make_invoice, make_patient
from tests.outreach.factories import (
    CollectiveActionFactory,
    ConsultationTypeFactory,
    PersonFactory,
    ReferralFactory,
    SessionFactory,
)

ClientFor = Callable[[str | None], Client]

pytestmark = pytest.mark.django_db


def _history(patient: Patient, site: Site, staff: dict[str, User], n: int) -> None:
    person = PersonFactory(patient=patient)
    for i in range(n):
        SessionFactory(person=person, mediator=staff["mediation"])
        ReferralFactory(
            person=person,
            site=site,
            consultation_type=ConsultationTypeFactory(label="Consultation de médecine générale"),
            created_at=timezone.now() - datetime.timedelta(days=40 + i),
        )
        ReferralFactory(person=person, site=site, target="ccas", partner_name="CCAS de Poitiers")
        action = CollectiveActionFactory(title=f"Café santé n° {i + 1}")
        action.attendees.add(patient)
        invoice = make_invoice(
            by=staff["soignant"], practitioner=staff["soignant"], site=site, patient=patient
        )
        payments.payment_record(
            invoice=invoice, amount=Decimal("9.00"), method="cash", by=staff["accueil"]
        )


def test_each_role_sees_what_it_may(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    patient = make_patient()
    _history(patient, site, staff, 1)
    events = {
        role: {e.kind for e in hooks.timeline_for(patient, roles=[role])}
        for role in ("accueil", "soignant", "mediation", "facturation", "direction")
    }
    assert events["direction"] >= {
        "outreach_session",
        "outreach_referral",
        "collective_action",
        "invoice",
        "payment",
    }
    assert events["mediation"] >= {"outreach_session", "outreach_referral", "collective_action"}
    assert not events["mediation"] & {"invoice", "payment"}
    assert events["facturation"] >= {"invoice", "payment"}
    assert not events["facturation"] & {"outreach_session", "outreach_referral"}
    # Reception books referrals to the centre: it sees those, not the ones to social services.
    accueil = list(hooks.timeline_for(patient, roles=["accueil"]))
    referrals = [e for e in accueil if e.kind == "outreach_referral"]
    assert [e.label for e in referrals] == [
        "Orientation vers Le centre de santé (rendez-vous) : Consultation de médecine générale"
    ]
    assert referrals[0].status == "En attente — en retard"  # 40 days: past the 30-day target
    assert "outreach_session" not in {e.kind for e in accueil}

    page = client_for("direction").get(reverse("patients:detail", args=[patient.pk]))
    html = page.content.decode()
    assert "Café santé n° 1" in html
    assert "Paiement 9,00 € (Patient·e, espèces)" in html
    assert "Orientation vers CCAS : CCAS de Poitiers" in html
    assert "Facture " in html and "30,00 €" in html


def test_one_query_per_provider_whatever_the_history(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    small, large = make_patient(), make_patient(nir="185067511212399")
    _history(small, site, staff, 1)
    _history(large, site, staff, 6)

    def count(patient: Patient) -> int:
        with CaptureQueriesContext(connection) as captured:
            events = hooks.timeline_for(patient, roles=["direction"])
        assert events
        return len(captured)

    assert count(small) == count(large) == len(hooks._timeline)
