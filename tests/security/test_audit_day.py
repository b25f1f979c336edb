"""The audit journal is complete for a scripted day of work.

One day at the centre, through the services and the pages the staff use: reception registers
a patient, books, marks the arrival; the practitioner closes the consultation with acts; the
billing clerk builds the batch and imports the payer's return; the mediator logs a session at
a permanence and refers the person to the centre; the director exports a report and downloads
it. Then: the journal holds exactly the expected actions, by the right people, and every row
written that day in the audited tables has its entry.
"""

from __future__ import annotations

import datetime
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from appointments.services import booking, statuses
from billing.formats import AckRecord, PaymentRecord, return_lines
from billing.models import Batch, Claim, Invoice, ReturnFile
from billing.services import batches as billing_batches
from billing.services import invoices as billing_invoices
from billing.services import returns as billing_returns
from centre.models import AuditEntry, Site, User
from centre.reports.indicators import Period
from centre.reports.models import ReportRun
from centre.reports.services import downloads as report_downloads
from centre.reports.services import runs as report_runs
from outreach.models import Person, Referral, RightsSession
from patients.models import Coverage, Patient
from patients.services import coverage, identity
from tests.appointments.factories import ConsultationTypeFactory
from tests.billing.factories import ensure_fee_schedule
from tests.outreach.factories import PermanenceFactory
from tests.patients.factories import make_nir

pytestmark = pytest.mark.django_db

# Rows of these tables are written only through audited services: each new row must have
# an entry naming it (object_type, object_id).
AUDITED_TABLES: list[type[Model]] = [
    Patient,
    Coverage,
    Appointment,
    Invoice,
    Batch,
    ReturnFile,
    Person,
    RightsSession,
    Referral,
    ReportRun,
]


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _ids(model: type[Model]) -> set[int]:
    return set(model._default_manager.values_list("pk", flat=True))


@pytest.mark.usefixtures("daytime")
def test_a_day_of_work_leaves_a_complete_journal(
    site: Site, staff: dict[str, User], tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    ensure_fee_schedule()
    ctype = ConsultationTypeFactory()
    permanence = PermanenceFactory(place__site=site, mediator=staff["mediation"])
    before = {model: _ids(model) for model in AUDITED_TABLES}
    first_entry = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    today = timezone.localdate()
    reception, doctor = staff["accueil"], staff["soignant"]
    clerk, mediator, director = staff["facturation"], staff["mediation"], staff["direction"]

    # Reception: registers a patient with her rights, books, marks the arrival.
    birth = datetime.date(1984, 3, 12)
    patient = identity.patient_register(
        values={
            "last_name": "Moreau",
            "first_name": "Lina",
            "sex": "F",
            "birth_date": birth,
            "nir": make_nir("F", birth),
        },
        by=reception,
    )
    coverage.coverage_add(
        patient=patient,
        values={
            "kind": "amo",
            "start": datetime.date(2020, 1, 1),
            "scheme_code": "01",
            "caisse_code": "861",
            "insured_nir": patient.nir,
        },
        by=reception,
    )
    start = (timezone.now() - datetime.timedelta(minutes=10)).replace(second=0, microsecond=0)
    appointment = booking.appointment_book(
        patient=patient,
        practitioner=doctor.profile,
        consultation_type=ctype,
        site=site,
        start=start,
        by=reception,
        # "Now" may be a Sunday night or a public holiday: reception forces the booking rules
        # (a reason given for a time inside them is not stored).
        force_reason="Journée type du test",
    )
    statuses.appointment_mark_arrived(appointment=appointment, by=reception)

    # Practitioner: closes the consultation with its act (the appointment becomes « vu »).
    invoice = billing_invoices.invoice_create(
        patient=patient,
        practitioner=doctor.profile,
        site=site,
        on=today,
        acts=[billing_invoices.ActChoice("G")],
        by=doctor,
        appointment=appointment,
    )

    # Billing clerk: builds the batch, imports the payer's acknowledgement and payment.
    [batch_id] = billing_batches.batches_build(by=clerk)
    billing_batches.batch_send(batch_id=batch_id, by=clerk)
    batch = Batch.objects.get(pk=batch_id)
    claim = Claim.objects.get(invoice=invoice, payer_type="AMO")
    lines = [
        line.encode()
        for line in return_lines(
            payer_type="AMO",
            payer_code="861",
            created_on=today,
            records=[
                AckRecord(0, batch.number, True, today, "", ""),
                PaymentRecord(0, claim.reference, claim.amount, today, "VIR-1", "", ""),
            ],
        )
    ]
    billing_returns.return_import(open_lines=lambda: iter(lines), filename="retour.txt", by=clerk)

    # Mediator: logs a session at the permanence and refers the person to the centre.
    response = _client(mediator).post(
        reverse("outreach_session_new"),
        {
            "permanence": permanence.pk,
            "person_mode": "anonyme",
            "sex": "F",
            "age_band": "26_44",
            "in_qpv": "oui",
            "language": "fr",
            "first_contact": "1",
            "topics": ["medecin_traitant"],
            "actions": ["information"],
            "interpreting": "aucun",
            "duration_minutes": "15",
            "outcome": "en_cours",
            "referral_target": "centre",
            "referral_consultation_type": ctype.pk,
            "referral_reason": "Pas de médecin traitant",
            "referral_urgency": "normale",
        },
    )
    assert response.status_code == 302

    # Director: exports the month's report and downloads its PDF (through the page's link).
    run = report_runs.report_request(
        by=director,
        template="monthly_board",
        period=Period(today.replace(day=1), today),
        site=None,
    )
    report_runs.report_generate(run_id=run.pk)  # the worker's job, run here
    token = report_downloads.download_token(by=director, run=run, fmt="pdf")
    response = _client(director).get(reverse("reports:download", args=[token]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"

    entries = list(AuditEntry.objects.filter(id__gt=first_entry).order_by("id"))
    actions = [(e.actor_id, e.action) for e in entries]
    assert actions == [
        (reception.pk, "patient.create"),
        (reception.pk, "coverage.add"),
        (reception.pk, "appointment.book"),
        (reception.pk, "appointment.arrived"),
        (doctor.pk, "appointment.seen"),
        (doctor.pk, "billing.invoice.create"),
        (clerk.pk, "billing.batch.build"),
        (clerk.pk, "billing.batch.send"),  # sending is its own step
        (clerk.pk, "billing.claim.return"),  # the AMO claim paid by the return
        (clerk.pk, "billing.batch.paid"),  # every claim of the lot answered
        (clerk.pk, "billing.return.import"),
        (mediator.pk, "auth.login"),
        (mediator.pk, "outreach.person.create"),
        (mediator.pk, "outreach.session.log"),
        (mediator.pk, "outreach.referral.create"),
        (director.pk, "report.request"),
        (director.pk, "auth.login"),
        (director.pk, "report.download"),
    ], [(e.actor_id, e.action, e.object_type) for e in entries]

    # Every row written that day in the audited tables has its journal entry.
    journaled = Counter((e.object_type, e.object_id) for e in entries)
    for model in AUDITED_TABLES:
        created = _ids(model) - before[model]
        assert created, f"{model._meta.label}: nothing written by the scripted day?"
        for pk in created:
            assert journaled[(model._meta.label_lower, str(pk))], (
                f"{model._meta.label_lower} #{pk} écrit sans entrée au journal"
            )
    # Claims are written with their invoice, in its transaction, and journaled with it (and
    # each change of their status on its own, like the payment above).
    assert set(Claim.objects.values_list("invoice_id", flat=True)) == {invoice.pk}
    # Logging in through the pages is journaled too (the two force_login above).
    assert Counter(e.action for e in entries)["auth.login"] == 2
