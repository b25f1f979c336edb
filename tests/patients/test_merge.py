from __future__ import annotations

import datetime

import pytest

from appointments.models import Appointment
from centre.models import AuditEntry, Site, User
from patients.models import Coverage, Patient
from patients.services import duplicates, identity
from tests.appointments.factories import ConsultationTypeFactory
from tests.factories import make_staff
from tests.patients.factories import CoverageFactory, PatientFactory

pytestmark = pytest.mark.django_db
D = datetime.date


def _appointment(patient: Patient, site: Site, start: datetime.datetime, by: User) -> Appointment:
    doctor = make_staff("soignant", centre=site.centre, sites=[site]).profile
    return Appointment.objects.create(
        patient=patient,
        practitioner=doctor,
        consultation_type=ConsultationTypeFactory(),
        site=site,
        start=start,
        end=start + datetime.timedelta(minutes=20),
        booked_by=by,
    )


def test_merge_moves_every_related_row_keeps_older_id_and_is_audited(
    staff: dict[str, User], site: Site
) -> None:
    older = PatientFactory(last_name="Dupont", first_name="Hélène", phone="")
    newer = PatientFactory(last_name="Dupont", first_name="Helene", phone="+33612345678")
    ghost = PatientFactory(merged_into=newer)  # a record merged earlier into `newer`
    amo = CoverageFactory(patient=newer)
    start = datetime.datetime(2026, 12, 1, 9, tzinfo=datetime.UTC)
    appointment = _appointment(newer, site, start, staff["accueil"])

    # The order given does not matter: the older record is kept.
    kept = duplicates.patients_merge(keep=newer, merged=older, by=staff["direction"])

    assert kept.pk == older.pk
    newer.refresh_from_db()
    assert newer.merged_into_id == older.pk
    assert Coverage.objects.get(pk=amo.pk).patient_id == older.pk
    assert Appointment.objects.get(pk=appointment.pk).patient_id == older.pk
    ghost.refresh_from_db()
    assert ghost.merged_into_id == older.pk
    older.refresh_from_db()
    assert older.phone == "+33612345678"  # blank field filled from the merged record
    entry = AuditEntry.objects.get(action="patient.merge")
    assert entry.object_id == str(older.pk)
    assert entry.extra["merged_id"] == newer.pk
    assert entry.extra["moved"]["patients.coverage.patient"] == [amo.pk]
    assert entry.extra["moved"]["appointments.appointment.patient"] == [appointment.pk]
    assert entry.extra["merged_values"]["first_name"] == "Helene"
    assert entry.changes == {"phone": ["", "+33612345678"]}


def test_merge_conflict_is_refused_in_french_and_nothing_moves(
    staff: dict[str, User], site: Site
) -> None:
    older, newer = PatientFactory(), PatientFactory()
    amo = CoverageFactory(patient=newer)
    start = datetime.datetime(2026, 12, 1, 9, tzinfo=datetime.UTC)
    _appointment(older, site, start, staff["accueil"])
    clash = _appointment(newer, site, start, staff["accueil"])

    with pytest.raises(identity.PatientError) as error:
        duplicates.patients_merge(keep=older, merged=newer, by=staff["direction"])

    assert "Fusion impossible" in str(error.value) and "Rien n'a été modifié" in str(error.value)
    newer.refresh_from_db()
    assert newer.merged_into_id is None
    assert Coverage.objects.get(pk=amo.pk).patient_id == newer.pk
    assert Appointment.objects.get(pk=clash.pk).patient_id == newer.pk
    assert not AuditEntry.objects.filter(action="patient.merge").exists()


def test_cannot_merge_twice(staff: dict[str, User]) -> None:
    a, b = PatientFactory(), PatientFactory()
    duplicates.patients_merge(keep=a, merged=b, by=staff["direction"])
    with pytest.raises(identity.PatientError):
        duplicates.patients_merge(keep=a, merged=b, by=staff["direction"])
