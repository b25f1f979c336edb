"""Patient search over 200,000 generated patients (target: p95 under 50 ms per search), and
the query count of the patient page (constant whatever the length of the history).

The patients are generated from a seeded `random.Random` and loaded with COPY: most last
names come from a syllable generator (tens of thousands of distinct names, as in a real
population), the rest from common French names (so "martin" matches hundreds of people, the
realistic worst case for ranking)."""

from __future__ import annotations

import datetime
import random

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from centre.models import User
from patients import hooks
from patients.identifiers import nir_key
from patients.models import Patient
from patients.selectors import search_patients
from tests.bench.report import Figure, measure, print_table, summarise
from tests.patients.factories import CoverageFactory, PatientFactory

pytestmark = pytest.mark.django_db

TOTAL = 200_000
COMMON = [
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
    "Diallo",
    "Traoré",
    "Camara",
    "Ndiaye",
    "Benali",
    "Haddad",
    "Mansouri",
    "Nguyen",
    "Yilmaz",
    "Popescu",
    "Da",
    "Silva",
]
FIRST = [
    "Marie",
    "Nathalie",
    "Isabelle",
    "Sylvie",
    "Catherine",
    "Hélène",
    "Françoise",
    "Valérie",
    "Christine",
    "Céline",
    "Julie",
    "Émilie",
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Fatima",
    "Aïcha",
    "Khadija",
    "Amina",
    "Awa",
    "Jean",
    "Pierre",
    "Michel",
    "Philippe",
    "Alain",
    "Patrick",
    "Nicolas",
    "Julien",
    "Thomas",
    "Lucas",
    "Hugo",
    "Mohamed",
    "Ahmed",
    "Karim",
    "Youssef",
    "Mamadou",
    "Moussa",
    "Andrei",
    "Minh",
    "Oleksandr",
]
SYLLABLES = [
    "ba",
    "be",
    "bi",
    "bo",
    "bou",
    "ca",
    "ce",
    "ch",
    "co",
    "da",
    "de",
    "di",
    "do",
    "du",
    "fa",
    "fe",
    "fo",
    "ga",
    "ge",
    "gi",
    "go",
    "la",
    "le",
    "li",
    "lo",
    "lu",
    "ma",
    "me",
    "mi",
    "mo",
    "mu",
    "na",
    "ne",
    "ni",
    "no",
    "nou",
    "pa",
    "pe",
    "pi",
    "po",
    "ra",
    "re",
    "ri",
    "ro",
    "ru",
    "sa",
    "se",
    "si",
    "so",
    "ta",
    "te",
    "ti",
    "to",
    "va",
    "ve",
    "vi",
    "zi",
]
ENDINGS = ("", "t", "n", "r", "l", "s", "ux", "ard", "ier", "on", "ot", "in", "y", "ez", "é")


def _last_name(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return rng.choice(COMMON)
    syllables = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
    return (syllables + rng.choice(ENDINGS)).capitalize()


def _generate(rng: random.Random) -> list[tuple[object, ...]]:
    rows = []
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    for _ in range(TOTAL):
        sex = rng.choice("FM")
        born = datetime.date(1930, 1, 1) + datetime.timedelta(days=rng.randint(0, 34_000))
        body = (
            f"{'1' if sex == 'M' else '2'}{born.year % 100:02d}{born.month:02d}"
            f"{rng.randint(1, 95):02d}{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
        )
        nir = body + nir_key(body) if rng.random() < 0.7 else ""
        phone = f"+336{rng.randint(10_000_000, 99_999_999)}" if rng.random() < 0.85 else ""
        first = rng.choice(FIRST)
        rows.append(
            (
                _last_name(rng),
                "",
                first,
                sex,
                born,
                nir,
                phone,
                "",
                "",
                "",
                "",
                "",
                "fr",
                False,
                False,
                False,
                "",
                now,
                now,
                False,
            )
        )
    return rows


COLUMNS = (
    "last_name, birth_name, first_name, sex, birth_date, nir, phone, phone_alt, email, address, "
    "postal_code, city, language, interpreter_needed, consent_sms, consent_email, admin_notes, "
    "created_at, updated_at, nir_needs_review"
)


def _load(rows: list[tuple[object, ...]]) -> None:
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY patients_patient ({COLUMNS}) FROM STDIN") as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row(row)
        cursor.execute("ANALYZE patients_patient")


def _queries(rng: random.Random, rows: list[tuple[object, ...]]) -> dict[str, list[str]]:
    """Realistic typed searches built from existing rows."""
    sample = rng.sample(rows, 60)
    typo = []
    for row in sample[:20]:
        name = str(row[0]).lower()
        i = rng.randint(1, len(name) - 2)
        typo.append(name[:i] + name[i + 1] + name[i] + name[i + 2 :])
    return {
        "nom (préfixe 5 lettres)": [str(r[0])[:5].lower() for r in sample[:20]],
        "nom complet, sans accents": [
            str(r[0]).lower().replace("é", "e").replace("è", "e") for r in sample[20:40]
        ],
        "nom avec une faute de frappe": typo,
        "« nom pré année »": [
            f"{str(r[0]).lower()} {str(r[2])[:3].lower()} {r[4].year}"  # type: ignore[attr-defined]
            for r in sample[40:60]
        ],
        "nom très courant (martin, dupont…)": ["martin", "dupont", "garcia", "nguyen", "diallo"],
        "date de naissance jj/mm/aaaa": [f"{r[4]:%d/%m/%Y}" for r in sample[:20]],
        "téléphone (06 12 34 …)": ["0" + str(r[6])[3:] for r in sample if r[6]][:20],
        "partie du NIR (7 chiffres)": [str(r[5])[3:10] for r in sample if r[5]][:20],
    }


def _page_queries(client: Client, patient: Patient) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/patients/{patient.pk}/").status_code == 200
    return len(captured)


def test_bench_patient_search(staff: dict[str, User]) -> None:
    rng = random.Random(20261123)
    rows = _generate(rng)
    _load(rows)
    assert Patient.objects.count() >= TOTAL

    figures: list[Figure] = []
    every: list[float] = []
    for label, queries in _queries(rng, rows).items():
        timings: list[float] = []
        for query in queries:
            timings += measure(lambda q=query: search_patients(q), repeat=5, warmup=1)
        every += timings
        figures.append(summarise(f"recherche : {label}", timings, target_ms=50))
    overall = summarise("recherche : toutes formes confondues", every, target_ms=50)
    figures.append(overall)

    # The patient page runs the same number of queries whatever the length of the history.
    client = Client()
    client.force_login(staff["accueil"], backend="django.contrib.auth.backends.ModelBackend")
    patient = PatientFactory()
    client.get(f"/patients/{patient.pk}/")
    short = _page_queries(client, patient)
    for year in range(1980, 2026):
        CoverageFactory(
            patient=patient, start=datetime.date(year, 1, 1), end=datetime.date(year, 12, 31)
        )
    long = _page_queries(client, patient)
    page = summarise(
        "page patient (1 droit puis 46 droits)",
        measure(lambda: client.get(f"/patients/{patient.pk}/"), repeat=20),
        baseline=f"{short} requêtes → {long} requêtes ({len(hooks._timeline)} fournisseurs)",
    )
    page.target = "requêtes constantes"
    page.passed = short == long
    figures.append(page)
    print_table(figures)
    assert all(f.passed for f in figures), [f.name for f in figures if not f.passed]
