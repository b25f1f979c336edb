"""Demo patients: ~300 people with French (and other) names, a realistic coverage mix for a
centre in a priority neighbourhood (about 30 % C2S, 8 % AME, 15 % ALD, some with no rights or
rights ending soon) and a few deliberate near-duplicates for the director's list.

Deterministic with the given `random.Random` (every random draw is made before the database
is looked at, so the draws are the same on a second run) and idempotent (people are looked up
by name and birth date before being created)."""

from __future__ import annotations

import datetime
import io
import random
from dataclasses import dataclass, field
from typing import Any

from django.core.management import call_command
from django.utils import timezone

from centre.demo import OrganisationSeed
from patients.identifiers import nir_key
from patients.models import Coverage, CoverageKind, Patient
from patients.services.identity import street_key

COUNT = 300
BIRTH_ANCHOR = datetime.date(2026, 1, 1)
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
    "Morin",
    "Mathieu",
    "Clément",
    "Gauthier",
    "Dumont",
    "Lopez",
    "Fontaine",
    "Chevalier",
    "Robin",
    "Benali",
    "Haddad",
    "Mansouri",
    "Bouzid",
    "Diallo",
    "Traoré",
    "Camara",
    "Ndiaye",
    "Diop",
    "Sow",
    "Kaya",
    "Yilmaz",
    "Popescu",
    "Ionescu",
    "Nguyen",
    "Tran",
    "Pereira",
    "Da",
    "Silva",
    "Ferreira",
    "Oliveira",
    "Hamidi",
    "Amrani",
    "Cherif",
    "Belkacem",
    "Saïdi",
    "Kone",
    "Coulibaly",
    "Mbappé",
    "Kabila",
    "Mukendi",
    "Hakimi",
    "Rahimi",
    "Ahmadi",
]
FEMALE = [
    "Marie",
    "Nathalie",
    "Isabelle",
    "Sylvie",
    "Catherine",
    "Hélène",
    "Françoise",
    "Valérie",
    "Christine",
    "Sandrine",
    "Céline",
    "Julie",
    "Émilie",
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Jade",
    "Louise",
    "Fatima",
    "Aïcha",
    "Khadija",
    "Amina",
    "Yasmine",
    "Samia",
    "Nadia",
    "Leïla",
    "Awa",
    "Fatoumata",
    "Mariam",
    "Aminata",
    "Ayşe",
    "Elif",
    "Ioana",
    "Maria",
    "Ana",
    "Thi",
    "Zahra",
    "Malalai",
    "Olena",
    "Svitlana",
]
MALE = [
    "Jean",
    "Pierre",
    "Michel",
    "Philippe",
    "Alain",
    "Patrick",
    "Nicolas",
    "Christophe",
    "Stéphane",
    "Laurent",
    "Julien",
    "Thomas",
    "Lucas",
    "Hugo",
    "Louis",
    "Gabriel",
    "Mohamed",
    "Ahmed",
    "Karim",
    "Youssef",
    "Mehdi",
    "Rachid",
    "Samir",
    "Bilal",
    "Mamadou",
    "Moussa",
    "Ibrahima",
    "Oumar",
    "Mustafa",
    "Emre",
    "Andrei",
    "Ion",
    "João",
    "Paulo",
    "Minh",
    "Ahmad",
    "Rahim",
    "Oleksandr",
    "Dmytro",
]
STREETS = (
    "place des Trois-Cités",
    "rue de la Jeunesse",
    "avenue de la Loge",
    "rue de Slovénie",
    "avenue de Nantes",
    "rue Carnot",
    "rue de la Cathédrale",
    "boulevard du Grand-Cerf",
    "rue des Écossais",
    "avenue de Paris",
)
QPV_STREETS = frozenset(street_key(s) for s in STREETS[:5] + STREETS[7:8])
LANGUAGES = ("fr",) * 14 + ("ar", "ar", "kab", "en", "tr", "ro", "ps", "uk", "wo", "pt")
MUTUELLES = (
    ("Harmonie Mutuelle", "75100012"),
    ("MGEN", "77567227"),
    ("Mutuelle Familiale", "78451202"),
    ("Malakoff Humanis", "88888888"),
)
ALD_LABELS = (
    "Diabète de type 2",
    "Insuffisance cardiaque",
    "Affection psychiatrique de longue durée",
)


@dataclass
class DemoPatient:
    values: dict[str, Any]
    coverages: list[dict[str, Any]] = field(default_factory=list)


def _nir(rng: random.Random, sex: str, birth: datetime.date, abroad: bool) -> str:
    place = f"99{rng.choice(('350', '352', '212', '239', '341', '243'))}" if abroad else "86194"
    month = f"{rng.randint(20, 40)}" if abroad and rng.random() < 0.3 else f"{birth.month:02d}"
    body = (
        f"{'1' if sex == 'M' else '2'}{birth.year % 100:02d}{month}{place}{rng.randint(1, 999):03d}"
    )
    return body + nir_key(body)


def _draw(rng: random.Random, today: datetime.date) -> list[DemoPatient]:
    people: list[DemoPatient] = []
    for _ in range(COUNT):
        sex = rng.choice("FM")
        first = rng.choice(FEMALE if sex == "F" else MALE)
        if rng.random() < 0.2:
            first += " " + rng.choice(FEMALE if sex == "F" else MALE)
        last = rng.choice(LAST_NAMES)
        # Birth dates from a fixed day, so that a run on another day finds the same people.
        birth = BIRTH_ANCHOR - datetime.timedelta(days=rng.randint(1 * 365, 88 * 365))
        abroad = rng.random() < 0.35
        street_no = rng.randint(1, 120)
        street = rng.choice(STREETS)
        values: dict[str, Any] = {
            "last_name": last,
            "first_name": first,
            "sex": sex,
            "birth_date": birth,
            "nir": _nir(rng, sex, birth, abroad) if rng.random() < 0.75 else "",
            "phone": f"+336{rng.randint(10_000_000, 99_999_999)}" if rng.random() < 0.85 else "",
            "address": f"{street_no} {street}",
            "postal_code": "86000",
            "city": "Poitiers",
            "in_qpv": street_key(street) in QPV_STREETS,
            "language": rng.choice(LANGUAGES),
            "consent_sms": rng.random() < 0.7,
            "gdpr_informed_on": today - datetime.timedelta(days=rng.randint(0, 900)),
        }
        values["interpreter_needed"] = values["language"] != "fr" and rng.random() < 0.6
        if sex == "F" and rng.random() < 0.35:
            values["birth_name"] = rng.choice(LAST_NAMES)
        people.append(DemoPatient(values, _draw_coverage(rng, today, birth, sex)))
    # Near-duplicates: the same person registered twice with a typo or without accent.
    for original in people[:6]:
        twin = dict(original.values)
        twin["first_name"] = _typo(rng, twin["first_name"])
        twin["nir"] = ""
        twin["phone"] = ""
        people.append(DemoPatient(twin, []))
    return people


def _typo(rng: random.Random, name: str) -> str:
    plain = name.translate(str.maketrans("éèëïîçÉ", "eeeiicE"))
    if plain != name:
        return plain
    i = rng.randint(1, max(1, len(name) - 2))
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :]


def _draw_coverage(
    rng: random.Random, today: datetime.date, birth: datetime.date, sex: str
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    roll = rng.random()
    opened = today - datetime.timedelta(days=rng.randint(30, 330))
    if roll < 0.08:  # AME, one year from the filing date
        rows.append({"kind": CoverageKind.AME, "start": opened, "end": opened + _days(364)})
        return rows
    if roll < 0.13:  # no rights today: an AMO that ended
        rows.append(
            {"kind": CoverageKind.AMO, "start": opened - _days(800), "end": opened - _days(400)}
        )
        return rows
    amo_end = None
    if rng.random() < 0.08:
        amo_end = today + _days(rng.randint(5, 55))  # rights ending soon
    rows.append(
        {
            "kind": CoverageKind.AMO,
            "start": opened - _days(rng.randint(0, 2000)),
            "end": amo_end,
            "scheme_code": "01",
            "caisse_code": "861",
        }
    )
    if rng.random() < 0.33:  # ≈ 30 % of everybody, with the AME / no-rights 13 % excluded
        c2s_start = today - _days(rng.randint(0, 360))
        rows.append(
            {
                "kind": CoverageKind.C2S,
                "start": c2s_start,
                "end": c2s_start + _days(364),  # granted for one year (CSS art. L861-5)
                "with_contribution": rng.random() < 0.3,
            }
        )
    elif rng.random() < 0.7:
        name, number = rng.choice(MUTUELLES)
        rows.append(
            {
                "kind": CoverageKind.AMC,
                "start": opened,
                "end": None,
                "organism_name": name,
                "organism_number": number,
                "contract": f"C{rng.randint(100000, 999999)}",
                "tiers_payant": rng.random() < 0.8,
            }
        )
    if rng.random() < 0.17:
        rows.append(
            {
                "kind": CoverageKind.ALD,
                "start": opened,
                "end": opened + _days(5 * 365),
                "ald_code": "41",
                "label": rng.choice(ALD_LABELS),
            }
        )
    age = (today - birth).days // 365
    if age >= 16 and rng.random() < 0.7:
        rows.append(
            {
                "kind": CoverageKind.MEDECIN_TRAITANT,
                "start": opened,
                "doctor_in_centre": rng.random() < 0.6,
            }
        )
    if sex == "F" and 18 <= age <= 42 and rng.random() < 0.05:
        rows.append(
            {"kind": CoverageKind.MATERNITY, "start": today - _days(20), "end": today + _days(120)}
        )
    return rows


def _days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def seed(org: OrganisationSeed, rng: random.Random) -> str:
    today = timezone.localdate()
    call_command("load_qpv_streets", stdout=io.StringIO())  # sample list for Poitiers
    people = _draw(rng, today)
    sites = org.sites
    created = 0
    new_coverages: list[Coverage] = []
    for index, person in enumerate(people):
        values = dict(person.values)
        values["usual_site"] = sites[index % len(sites)] if sites else None
        patient, was_created = Patient.objects.get_or_create(
            last_name=values.pop("last_name"),
            first_name=values.pop("first_name"),
            birth_date=values.pop("birth_date"),
            defaults=values,
        )
        if was_created:
            created += 1
            new_coverages += [Coverage(patient=patient, **row) for row in person.coverages]
    Coverage.objects.bulk_create(new_coverages)
    total = Patient.objects.count()
    valid = Coverage.objects.valid_on(today)
    c2s = valid.filter(kind=CoverageKind.C2S).values("patient").distinct().count()
    ame = valid.filter(kind=CoverageKind.AME).values("patient").distinct().count()
    ald = valid.filter(kind=CoverageKind.ALD).values("patient").distinct().count()
    return (
        f"{total} patient·e·s ({created} créé·e·s) — C2S {c2s}, AME {ame}, ALD {ald}, "
        f"dont {len(people) - COUNT} quasi-doublons volontaires"
    )
