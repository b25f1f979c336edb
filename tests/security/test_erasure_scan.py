"""Erasure erases everywhere: a patient with history in every app is anonymised, then every
text and JSON column of every table (information_schema) is scanned for the person's name,
birth date, NIR, e-mail and phone — the journal included. Nothing is found: the pieces kept
by law (invoices, claims, payments) stay, pseudonymised."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from appointments.models import (
    Reminder,
    WaitingListEntry,
    WaitingListOffer,
)
from billing.models import Claim, Invoice, Payment
from centre import audit
from centre.models import AuditEntry, Site, User
from outreach.models import Person, Referral, RightsSession
from patients.models import Coverage, CoverageKind, Patient
from patients.selectors import patient_detail
from patients.services import gdpr, identity
from tests.appointments.factories import appointment, paris
from tests.billing.factories import ensure_fee_schedule, make_invoice, practitioner_of
from tests.outreach.factories import FileFactory, PlaceFactory, ReferralFactory, SessionFactory
from tests.patients.factories import make_nir

D = datetime.date
BIRTH = D(1979, 11, 23)
NIR = make_nir("F", BIRTH)
LAST, FIRST = "Quintavalle", "Ysolde"
PHONE, EMAIL = "+33645454545", "ysolde.q@example.org"
NEEDLES = [LAST, FIRST, NIR, PHONE, "06 45 45 45 45", "0645454545", EMAIL, "1979-11-23",
           "23/11/1979"]  # fmt: skip


# Public reference data, not about anybody: the INSEE birth places (a commune may be named
# « Sainte-Hélène »).
REFERENCE_TABLES = frozenset({"patients_birthplace"})


def _scan(needles: list[str]) -> dict[tuple[str, str, str], int]:
    """{(table, column, needle): rows} for every text/json column holding a needle, outside
    the public reference tables."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT table_name, column_name FROM information_schema.columns
               WHERE table_schema = 'public'
                 AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb',
                                   'ARRAY')
               ORDER BY table_name, column_name"""
        )
        columns = cursor.fetchall()
        found = {}
        for table, column in columns:
            if table in REFERENCE_TABLES:
                continue
            for needle in needles:
                cursor.execute(
                    f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ILIKE %s',
                    [f"%{needle}%"],
                )
                count = cursor.fetchone()[0]
                if count:
                    found[(table, column, needle)] = count
    return found


def _history(staff: dict[str, User], site: Site) -> Patient:
    clerk = staff["accueil"]
    patient = identity.patient_register(
        values={
            "last_name": LAST,
            "first_name": FIRST,
            "sex": "F",
            "birth_date": BIRTH,
            "nir": NIR,
            "phone": PHONE,
            "email": EMAIL,
            "address": "3 rue des Quintavalle",
            "city": "Poitiers",
            "postal_code": "86000",
        },
        by=clerk,
    )
    Coverage.objects.create(
        patient=patient,
        kind=CoverageKind.AMO,
        start=D(2020, 1, 1),
        scheme_code="01",
        caisse_code="861",
        insured_nir=NIR,
    )
    patient_detail(by=clerk, patient_id=patient.pk)  # a read, journaled
    identity.patient_update(patient=patient, values={"phone": "06 45 45 45 45"}, by=clerk)
    # Appointments: a remark naming her, a reminder and a waiting-list offer sent to her.
    profile = practitioner_of(staff["soignant"])
    rdv = appointment(
        practitioner=profile, site=site, start=paris(2025, 3, 10), booked_by=clerk, patient=patient
    )
    rdv.note = f"{FIRST} viendra avec son fils"
    rdv.save(update_fields=["note"])
    Reminder.objects.create(appointment=rdv, kind="confirmation", channel="sms", to=PHONE)
    Reminder.objects.create(appointment=rdv, kind="confirmation", channel="email", to=EMAIL)
    entry = WaitingListEntry.objects.create(
        patient=patient,
        consultation_type=rdv.consultation_type,
        site=site,
        note=f"rappeler {FIRST} au {PHONE}",
        created_by=clerk,
    )
    WaitingListOffer.objects.create(
        entry=entry, freed=rdv, slot_start=rdv.start, channel="sms", to=PHONE, created_by=clerk
    )
    with transaction.atomic():
        audit.record(
            actor=clerk, action="appointment.update", obj=rdv, changes={"note": ["", rdv.note]}
        )
        audit.record(actor=clerk, action="waiting_list.add", obj=entry, extra={"to": PHONE})
    # Billing: 3 invoices (the service journals them), a claim, a payment.
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
    Payment.objects.create(
        invoice=invoices[0], source="PAT", method="cash", amount=Decimal("7.50"),
        received_on=D(2025, 3, 10),
    )  # fmt: skip
    # Outreach: the person met, linked; a session with notes, a rights file, a referral.
    person = Person.objects.create(alias=FIRST, patient=patient, sex="F", linked_at=timezone.now())
    place = PlaceFactory()
    session: RightsSession = SessionFactory(  # type: ignore[assignment]
        person=person,
        place=place,
        site=place.site or site,
        notes=f"{FIRST} {LAST} vit chez sa sœur, joignable au {PHONE}",
        consent_scope=f"accord de {FIRST} pour la CPAM",
    )
    FileFactory(person=person)
    ReferralFactory(person=person, site=site, reason=f"{FIRST} : bilan", outcome=f"vue, {LAST}")
    with transaction.atomic():
        audit.record(
            actor=staff["mediation"],
            action="outreach.session.update",
            obj=session,
            changes={"notes": ["", session.notes]},
        )
    return patient


def test_anonymised_patient_leaves_no_identifying_value_anywhere(
    staff: dict[str, User], site: Site
) -> None:
    patient = _history(staff, site)
    before = _scan(NEEDLES)
    # The history really is in every app and in the journal before the erasure…
    tables = {table for table, _, _ in before}
    for table in (
        "patients_patient",
        "patients_coverage",
        "appointments_appointment",
        "appointments_reminder",
        "appointments_waitinglistentry",
        "appointments_waitinglistoffer",
        "billing_invoice",
        "outreach_person",
        "outreach_rightssession",
        "outreach_referral",
    ):
        assert table in tables, table
    # …but the journal already holds no clear identity (crypto-shredding).
    assert "centre_auditentry" not in tables
    journal = AuditEntry.objects.filter(subject_id=str(patient.pk), action="patient.create").get()
    assert journal.changes["last_name"] == [None, LAST]

    gdpr.patient_anonymise(patient=patient, by=staff["direction"])

    assert _scan(NEEDLES) == {}
    # The journal now reads « [effacé] » where it held her values.
    journal = AuditEntry.objects.get(pk=journal.pk)
    assert journal.changes["last_name"] == ["[effacé]", "[effacé]"]
    session_entry = AuditEntry.objects.get(action="outreach.session.update")
    assert session_entry.changes["notes"] == ["[effacé]", "[effacé]"]
    # The legal pieces stay, with their figures, pointing to the anonymised record.
    assert Invoice.objects.filter(patient=patient).count() == 3
    assert Claim.objects.filter(invoice__patient=patient).count() >= 3
    assert Payment.objects.get(invoice__patient=patient).amount == Decimal("7.50")
    assert RightsSession.objects.get(person__patient=patient).notes == ""
    assert Referral.objects.get(person__patient=patient).reason == ""
    assert set(
        Reminder.objects.filter(appointment__patient=patient).values_list("to", flat=True)
    ) == {""}
    entry = AuditEntry.objects.get(action="patient.anonymise")
    assert entry.extra["journal_keys_destroyed"] == 2  # the patient's and the outreach person's
    assert entry.extra["elsewhere"]["reminder_recipients"] == 2
    assert entry.extra["elsewhere"]["invoice_coverage_copies"] == 3
