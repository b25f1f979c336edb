from __future__ import annotations

import datetime

import factory

from patients.identifiers import nir_key
from patients.models import Coverage, CoverageKind, Patient


def make_nir(
    sex: str = "F", birth: datetime.date = datetime.date(1984, 3, 12), place: str = "86194"
) -> str:
    body = f"{'1' if sex == 'M' else '2'}{birth.year % 100:02d}{birth.month:02d}{place}123"
    return body + nir_key(body)


class PatientFactory(factory.django.DjangoModelFactory[Patient]):
    class Meta:
        model = Patient

    last_name = factory.Faker("last_name", locale="fr_FR")
    first_name = factory.Faker("first_name_female", locale="fr_FR")
    sex = "F"
    birth_date = factory.Faker("date_of_birth", minimum_age=1, maximum_age=90)
    phone = ""
    city = "Poitiers"


class CoverageFactory(factory.django.DjangoModelFactory[Coverage]):
    class Meta:
        model = Coverage

    patient = factory.SubFactory(PatientFactory)
    kind = CoverageKind.AMO
    start = datetime.date(2024, 1, 1)
    end = None
    scheme_code = "01"
    caisse_code = "861"

    class Params:
        amc = factory.Trait(
            kind=CoverageKind.AMC,
            organism_name="Harmonie Mutuelle",
            organism_number="75100012",
            tiers_payant=True,
        )
