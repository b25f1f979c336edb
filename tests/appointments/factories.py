"""Factories for appointment tests. Patients are made here with the fields this app needs
(the patients app owns its own factories)."""

from __future__ import annotations

import datetime
from typing import Any

import factory

from appointments.models import (
    Appointment,
    ConsultationType,
    Status,
    WeeklySchedule,
)
from appointments.slots import PARIS
from centre.models import Profession, Site, StaffProfile, User
from patients.models import Patient
from tests.factories import SiteFactory, make_staff


class PatientFactory(factory.django.DjangoModelFactory[Patient]):
    class Meta:
        model = Patient

    last_name = factory.Sequence(lambda n: f"Patient{n}")
    first_name = "Camille"
    sex = "F"
    birth_date = datetime.date(1985, 4, 12)
    phone = "06 12 34 56 78"
    email = factory.Sequence(lambda n: f"patient{n}@example.org")
    consent_sms = True
    consent_email = False


class ConsultationTypeFactory(factory.django.DjangoModelFactory[ConsultationType]):
    class Meta:
        model = ConsultationType
        django_get_or_create = ("label",)

    label = "Consultation de médecine générale"
    profession = Profession.GENERALISTE
    duration_minutes = 20
    bookable_by_mediators = True


def practitioner(
    *, site: Site | None = None, profession: str = Profession.GENERALISTE, **user: Any
) -> StaffProfile:
    site = site or SiteFactory()
    staff = make_staff("soignant", centre=site.centre, sites=[site], profession=profession, **user)
    return staff.profile


def paris(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime.datetime:
    return datetime.datetime(y, m, d, hh, mm, tzinfo=PARIS)


def weekly(
    profile: StaffProfile,
    site: Site,
    weekday: int,
    start: str = "09:00",
    end: str = "12:00",
    valid_from: datetime.date = datetime.date(2020, 1, 6),
    **extra: Any,
) -> WeeklySchedule:
    return WeeklySchedule.objects.create(
        practitioner=profile,
        site=site,
        weekday=weekday,
        start_time=datetime.time.fromisoformat(start),
        end_time=datetime.time.fromisoformat(end),
        valid_from=valid_from,
        **extra,
    )


def appointment(
    *,
    practitioner: StaffProfile,
    site: Site,
    start: datetime.datetime,
    booked_by: User,
    patient: Patient | None = None,
    consultation_type: ConsultationType | None = None,
    status: str = Status.BOOKED,
    minutes: int = 20,
) -> Appointment:
    return Appointment.objects.create(
        patient=patient or PatientFactory(),
        practitioner=practitioner,
        consultation_type=consultation_type or ConsultationTypeFactory(),
        site=site,
        start=start,
        end=start + datetime.timedelta(minutes=minutes),
        status=status,
        booked_by=booked_by,
    )


def open_plages(
    profile: StaffProfile,
    site: Site,
    *,
    start: str = "08:00",
    end: str = "20:00",
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4, 5),
) -> list[WeeklySchedule]:
    """Weekly plages (Monday to Saturday, 8:00–20:00 by default) so that a test books inside
    the booking rules (docs/appointments.md): tests of something else do not force."""
    return [weekly(profile, site, day, start, end) for day in weekdays]
