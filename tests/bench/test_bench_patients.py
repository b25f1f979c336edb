"""Patient search over the 200,000 patients of the generated centre (target: p95 under 50 ms
per search), and the query count of the patient page (constant whatever the length of the
history).

The generator (tests/bench/generator.py) draws most last names from a syllable generator (tens
of thousands of distinct names, as in a real population), the rest from common French names
(so "martin" matches thousands of people, the realistic worst case for ranking)."""

from __future__ import annotations

import datetime
import random

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from patients import hooks
from patients.models import Patient
from patients.selectors import search_patients
from tests.bench.generator import PATIENTS, Generated
from tests.bench.report import Figure, measure, record, summarise
from tests.patients.factories import CoverageFactory, PatientFactory

pytestmark = pytest.mark.django_db


def _sample(rng: random.Random, n: int) -> list[tuple[object, ...]]:
    """`n` generated patients drawn with `rng` (columns as used by `_queries`)."""
    ids = list(Patient.objects.order_by("pk").values_list("pk", flat=True))
    return list(
        Patient.objects.filter(pk__in=rng.sample(ids, n))
        .order_by("pk")
        .values_list("last_name", "birth_name", "first_name", "sex", "birth_date", "nir", "phone")
    )


def _queries(rng: random.Random, sample: list[tuple[object, ...]]) -> dict[str, list[str]]:
    """Realistic typed searches built from existing rows."""
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


def test_bench_patient_search(generated: Generated) -> None:
    rng = random.Random(20261123)
    total = Patient.objects.count()
    assert total >= PATIENTS

    figures: list[Figure] = []
    every: list[float] = []
    for label, queries in _queries(rng, _sample(rng, 60)).items():
        timings: list[float] = []
        for query in queries:
            timings += measure(lambda q=query: search_patients(q), repeat=5, warmup=1)
        every += timings
        figures.append(summarise(f"recherche patient : {label}", timings, target_ms=50))
    overall = summarise(
        "recherche patient : toutes formes confondues",
        every,
        target_ms=50,
        baseline=f"{total:,} patient·e·s".replace(",", " "),
    )
    figures.append(overall)

    # The patient page runs the same number of queries whatever the length of the history.
    client = Client()
    client.force_login(
        generated.receptionists[0], backend="django.contrib.auth.backends.ModelBackend"
    )
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
    record(*figures)
