"""Demo seeding (idempotent, ~150 appointments a week, ~10 % no-shows) and the providers
registered on the patient record."""

from __future__ import annotations

import datetime
import random

import pytest
from django.db.models import Count
from django.utils import timezone

from appointments import demo, selectors
from appointments.models import Appointment, ConsultationType, Status, WeeklySchedule
from centre import demo as centre_demo
from centre.models import Site, User
from patients import hooks
from tests.appointments.factories import PatientFactory, appointment, paris, practitioner

pytestmark = pytest.mark.django_db


def test_seed_without_patients_creates_no_appointment() -> None:
    org = centre_demo.seed_organisation()
    summary = demo.seed(org, random.Random(1))
    assert "aucun·e patient·e" in summary
    assert ConsultationType.objects.count() == len(demo.TYPES)
    assert WeeklySchedule.objects.exists()
    assert not Appointment.objects.exists()


def test_seed_is_realistic_and_idempotent() -> None:
    org = centre_demo.seed_organisation()
    PatientFactory.create_batch(300, sex="F")
    demo.seed(org, random.Random(2026))
    total = Appointment.objects.count()
    weeks = demo.WEEKS_BACK + demo.WEEKS_AHEAD
    assert 120 * weeks < total < 180 * weeks
    past = Appointment.objects.filter(start__lt=timezone.now())
    by_status = dict(past.values_list("status").annotate(n=Count("id")))
    assert 0.07 < by_status[Status.NO_SHOW] / past.count() < 0.13
    assert by_status[Status.EXCUSED] + by_status[Status.CANCELLED] > 0
    # Running it again changes nothing.
    again = demo.seed(org, random.Random(2026))
    assert "déjà présents" in again
    assert Appointment.objects.count() == total
    assert ConsultationType.objects.count() == len(demo.TYPES)


def test_patient_record_providers(
    site: Site, staff: dict[str, User], django_assert_num_queries: object
) -> None:
    doctor = practitioner(site=site)
    patient = PatientFactory()
    later = timezone.now() + datetime.timedelta(days=3)
    appointment(
        practitioner=doctor,
        site=site,
        start=paris(2025, 1, 6),
        booked_by=staff["accueil"],
        patient=patient,
        status=Status.SEEN,
    )
    appointment(
        practitioner=doctor, site=site, start=later, booked_by=staff["accueil"], patient=patient
    )
    appointment(
        practitioner=doctor,
        site=site,
        start=later + datetime.timedelta(days=7),
        booked_by=staff["accueil"],
        patient=patient,
    )
    with django_assert_num_queries(1):  # type: ignore[operator]
        assert hooks.next_appointments([patient.pk])[patient.pk] == later
    assert selectors.timeline_provider in hooks._timeline
    with django_assert_num_queries(1):  # type: ignore[operator]
        events = selectors.timeline_provider(patient)
    assert len(events) == 3
    assert events[-1].status == "Vu·e"
    assert all("mediation" not in e.roles for e in events)
    shown = [e for e in hooks.timeline_for(patient, roles=["accueil"]) if e.kind == "appointment"]
    assert len(shown) == 3
    assert not [
        e for e in hooks.timeline_for(patient, roles=["mediation"]) if e.kind == "appointment"
    ]
