"""Factories for outreach tests (and a minimal patient one until tests/patients has its own)."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from appointments.models import ConsultationType
from outreach.models import (
    CollectiveAction,
    CollectiveKind,
    Permanence,
    Person,
    Place,
    PlaceKind,
    Referral,
    ReferralTarget,
    RightKind,
    RightsFile,
    RightsSession,
    TriState,
)
from patients.models import Patient
from tests.factories import SiteFactory, UserFactory


class StaffUserFactory(UserFactory):
    """A staff account without the (slow on purpose) password hashing."""

    password = factory.PostGenerationMethodCall("set_unusable_password")


class PatientFactory(factory.django.DjangoModelFactory[Patient]):
    class Meta:
        model = Patient

    last_name = factory.Sequence(lambda n: f"Nomtest{n}")
    first_name = "Fatima"
    sex = "F"
    birth_date = datetime.date(1984, 3, 12)


class PlaceFactory(factory.django.DjangoModelFactory[Place]):
    class Meta:
        model = Place

    name = factory.Sequence(lambda n: f"Maison de quartier {n}")
    kind = PlaceKind.SOCIAL_CENTRE
    address = "2 rue des Couronneries, 86000 Poitiers"
    neighbourhood = "Couronneries"
    in_qpv = True
    site = factory.SubFactory(SiteFactory)


def paris(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


class PermanenceFactory(factory.django.DjangoModelFactory[Permanence]):
    class Meta:
        model = Permanence

    place = factory.SubFactory(PlaceFactory)
    mediator = factory.SubFactory(StaffUserFactory)
    start = factory.LazyFunction(lambda: paris(timezone.localdate(), 14))
    end = factory.LazyAttribute(lambda o: o.start + datetime.timedelta(hours=3))


class PersonFactory(factory.django.DjangoModelFactory[Person]):
    class Meta:
        model = Person

    sex = "F"
    age_band = "26_44"
    in_qpv = TriState.YES
    neighbourhood = "Couronneries"


class SessionFactory(factory.django.DjangoModelFactory[RightsSession]):
    class Meta:
        model = RightsSession

    person = factory.SubFactory(PersonFactory)
    mediator = factory.SubFactory(StaffUserFactory)
    place = factory.SubFactory(PlaceFactory)
    site = factory.LazyAttribute(lambda o: o.place.site)
    held_on = factory.LazyFunction(timezone.localdate)
    topics = factory.LazyFunction(lambda: ["c2s"])
    channel = "permanence"


class FileFactory(factory.django.DjangoModelFactory[RightsFile]):
    class Meta:
        model = RightsFile

    person = factory.SubFactory(PersonFactory)
    kind = RightKind.C2S
    mediator = factory.SubFactory(StaffUserFactory)
    opened_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=60))


class ConsultationTypeFactory(factory.django.DjangoModelFactory[ConsultationType]):
    class Meta:
        model = ConsultationType
        django_get_or_create = ("label",)

    label = "Consultation de médecine générale"
    profession = "medecin_generaliste"
    duration_minutes = 20
    bookable_by_mediators = True


class ReferralFactory(factory.django.DjangoModelFactory[Referral]):
    class Meta:
        model = Referral

    person = factory.SubFactory(PersonFactory)
    target = ReferralTarget.CENTRE
    site = factory.SubFactory(SiteFactory)
    reason = "Bilan de santé, pas de médecin traitant"
    created_by = factory.SubFactory(StaffUserFactory)


class CollectiveActionFactory(factory.django.DjangoModelFactory[CollectiveAction]):
    class Meta:
        model = CollectiveAction

    kind = CollectiveKind.CAFE
    title = "Café Santé"
    place = factory.SubFactory(PlaceFactory)
    site = factory.LazyAttribute(lambda o: o.place.site)
    held_on = factory.LazyFunction(timezone.localdate)
    participants_count = 12
    organiser = factory.SubFactory(StaffUserFactory)
