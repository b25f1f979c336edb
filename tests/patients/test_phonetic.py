"""The phonetic key of names (`patients_phonetic_key`, migration 0005_id_phonetic_keys): the
spelling variants met at reception share a key, different names do not; the stored column
follows every write; the search and the duplicate detection use it beside the trigrams."""

from __future__ import annotations

import datetime
from typing import cast

import pytest
from django.db import connection

from centre.models import User
from patients import selectors
from patients.models import Patient
from patients.services import gdpr, identity
from tests.patients.factories import PatientFactory
from tests.patients.phonetic_pairs import DIFFERENT, SAME

pytestmark = pytest.mark.django_db
BORN = datetime.date(1987, 6, 21)


def key(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT patients_phonetic_key(%s)", [name])
        return str(cursor.fetchone()[0])


def trigram_similarity(a: str, b: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT similarity(patients_unaccent(%s), patients_unaccent(%s))", [a, b])
        return float(cursor.fetchone()[0])


def patient(**values: object) -> Patient:
    return cast(Patient, PatientFactory(**values))


def test_the_lists_are_long_enough() -> None:
    assert len(SAME) >= 20 and len(DIFFERENT) >= 10


@pytest.mark.parametrize(("a", "b"), SAME)
def test_spelling_variants_share_a_key(a: str, b: str) -> None:
    assert key(a) == key(b) != ""


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_names_do_not(a: str, b: str) -> None:
    assert key(a) != key(b)


def test_keys_computed_by_hand() -> None:
    # Mohamed: final d → t, o → U, e → A; Muhammad: mm → m, u → U.
    assert key("Mohamed") == key("Muhammad") == "MUHAMAT"
    # Belkacem: c before e → s; Belkassem: ss → s.
    assert key("BELKACEM") == key("Belkassem") == "BALKASAM"
    # Ould / Oulde: mute final e, ou → U, final d → t.
    assert key("Oulde") == "ULT"


def test_the_measured_figures_of_the_docs() -> None:
    """docs/patients.md: trigrams alone (similarity ≥ 0.5) find 24 of the 40 variant pairs,
    the phonetic key all 40, and neither matches a pair of different names but one."""
    trigram_same = sum(trigram_similarity(a, b) >= 0.5 for a, b in SAME)
    trigram_different = sum(trigram_similarity(a, b) >= 0.5 for a, b in DIFFERENT)
    phonetic_same = sum(key(a) == key(b) for a, b in SAME)
    phonetic_different = sum(key(a) == key(b) for a, b in DIFFERENT)
    assert (len(SAME), trigram_same, phonetic_same) == (40, 24, 40)
    assert (len(DIFFERENT), trigram_different, phonetic_different) == (18, 1, 0)


def test_the_stored_keys_of_a_record() -> None:
    record = patient(last_name="Ben Ali", birth_name="Dupont", first_name="Marie-Claire")
    record.refresh_from_db()
    # Whole names (spaces removed), then each word but the particle « Ben ».
    assert sorted(record.phonetic_keys) == sorted(
        ["n:BANALA", "n:ALA", "n:DUPUNT", "p:MARAKLAR", "p:MARA", "p:KLAR"]
    )


def test_the_stored_keys_follow_every_write(staff: dict[str, User]) -> None:
    record = identity.patient_register(
        by=staff["accueil"],
        values={"last_name": "Belkacem", "first_name": "Émilie", "sex": "F", "birth_date": BORN},
    )
    record.refresh_from_db()
    assert sorted(record.phonetic_keys) == ["n:BALKASAM", "p:AMALA"]
    identity.patient_update(by=staff["accueil"], patient=record, values={"last_name": "Diallo"})
    record.refresh_from_db()
    assert sorted(record.phonetic_keys) == ["n:DALU", "p:AMALA"]
    gdpr.patient_anonymise(patient=record, by=staff["direction"])
    record.refresh_from_db()
    assert "n:DALU" not in record.phonetic_keys and "p:AMALA" not in record.phonetic_keys


def test_search_finds_a_name_however_it_is_spelled() -> None:
    mohamed = patient(last_name="Mohamed", first_name="Karim", birth_date=BORN)
    belkacem = patient(last_name="BELKACEM", first_name="Émilie", birth_date=BORN)
    patient(last_name="Mahmoud", first_name="Karim", birth_date=BORN)
    assert [p.pk for p in selectors.search_patients("Muhammad")] == [mohamed.pk]
    assert [p.pk for p in selectors.search_patients("muhammad kareem")] == [mohamed.pk]
    assert [p.pk for p in selectors.search_patients("Belkassem")] == [belkacem.pk]
    assert [p.pk for p in selectors.search_patients("belkasem emilie 1987")] == [belkacem.pk]


def test_a_close_spelling_ranks_before_a_same_sounding_one() -> None:
    sounding = patient(last_name="Muhammad", first_name="Ali", birth_date=BORN)
    exact = patient(last_name="Mohamed", first_name="Ali", birth_date=BORN)
    assert [p.pk for p in selectors.search_patients("Mohamed")] == [exact.pk, sounding.pk]


def test_short_words_get_no_phonetic_match() -> None:
    patient(last_name="Sy", first_name="Awa", birth_date=BORN)
    # « Si » sounds like « Sy » but two letters would match far too many names.
    assert selectors.search_patients("si") == []


def test_duplicate_candidates_by_sound_need_the_birth_date_and_both_names() -> None:
    existing = patient(last_name="MOHAMED", first_name="Aïcha", birth_date=BORN)
    patient(last_name="MOHAMED", first_name="Fatima", birth_date=BORN)
    patient(last_name="MAHMOUD", first_name="Aïcha", birth_date=BORN)
    patient(last_name="MOHAMED", first_name="Aïcha", birth_date=datetime.date(1988, 6, 21))
    # Trigrams alone do not see it (« muhammad aisha » is far from « mohamed aicha »).
    assert trigram_similarity("Muhammad Aisha", "MOHAMED Aïcha") < 0.5
    found = selectors.duplicate_candidates(
        last_name="Muhammad", first_name="Aisha", birth_date=BORN
    )
    assert [p.pk for p in found] == [existing.pk]


def test_the_duplicates_list_has_same_sounding_pairs() -> None:
    first = patient(last_name="Mohamed", first_name="Aïcha", birth_date=BORN)
    second = patient(last_name="Muhammad", first_name="Aisha", birth_date=BORN)
    patient(last_name="Mahmoud", first_name="Aïcha", birth_date=BORN)
    pairs = selectors.possible_duplicates()
    assert [(p.first.pk, p.second.pk, p.reason) for p in pairs] == [
        (first.pk, second.pk, "même date de naissance, noms qui se prononcent de même")
    ]
