from __future__ import annotations

import datetime

import pytest

from patients.models import CoverageKind
from patients.selectors import SearchFilters, duplicate_candidates, parse_query, search_patients
from tests.patients.factories import CoverageFactory, PatientFactory, make_nir

pytestmark = pytest.mark.django_db


@pytest.fixture
def people() -> dict[str, object]:
    helene = PatientFactory(
        last_name="Dupont",
        first_name="Hélène Marie",
        birth_date=datetime.date(1984, 3, 12),
        phone="+33612345678",
        nir=make_nir("F", datetime.date(1984, 3, 12)),
        language="fr",
        in_qpv=True,
    )
    marc = PatientFactory(
        last_name="Martin",
        first_name="Marc",
        sex="M",
        birth_date=datetime.date(1990, 7, 1),
        language="ar",
    )
    dupond = PatientFactory(
        last_name="Dupond", first_name="Paul", sex="M", birth_date=datetime.date(1950, 1, 2)
    )
    return {"helene": helene, "marc": marc, "dupond": dupond}


def names(query: str, **kwargs: object) -> list[str]:
    return [p.first_name for p in search_patients(query, **kwargs)]  # type: ignore[arg-type]


@pytest.mark.parametrize("query", ["Hélène", "helene", "HELENE", "heleen", "hélene dupont"])
def test_accented_and_misspelled_first_names_find_helene(people: dict, query: str) -> None:
    assert names(query)[0] == "Hélène Marie"


def test_prefix_of_the_name_ranks_exact_spelling_first(people: dict) -> None:
    assert names("dupont") == ["Hélène Marie", "Paul"]
    assert set(names("dupon")) == {"Hélène Marie", "Paul"}  # equal scores: by name


def test_name_firstname_year(people: dict) -> None:
    assert names("dupont mar 1984") == ["Hélène Marie"]
    assert names("dupont mar 1985") == []


def test_birth_date_phone_and_part_of_nir(people: dict) -> None:
    assert names("12/03/1984") == ["Hélène Marie"]
    assert names("06 12 34 56 78") == ["Hélène Marie"]
    assert names("0612345678") == ["Hélène Marie"]
    assert names("+33 6 12 34") == ["Hélène Marie"]
    nir = people["helene"].nir  # type: ignore[attr-defined]
    assert names(nir[3:10]) == ["Hélène Marie"]


def test_unrelated_names_are_not_found(people: dict) -> None:
    assert names("martin") == ["Marc"]
    assert names("zzzz") == []
    assert names("") == []


def test_merged_and_anonymised_records_are_not_found(people: dict) -> None:
    dupond = people["dupond"]
    dupond.merged_into = people["helene"]  # type: ignore[attr-defined]
    dupond.save()  # type: ignore[attr-defined]
    assert names("dupond") == ["Hélène Marie"]


def test_filters(people: dict) -> None:
    CoverageFactory(patient=people["dupond"], kind=CoverageKind.C2S)
    assert names("dup", filters=SearchFilters(coverage_kind="c2s")) == ["Paul"]
    assert names("dup", filters=SearchFilters(in_qpv=True)) == ["Hélène Marie"]
    assert names("martin", filters=SearchFilters(language="fr")) == []
    assert names("martin", filters=SearchFilters(coverage_kind="none")) == ["Marc"]


def test_results_carry_todays_coverage_in_two_queries(
    people: dict, django_assert_num_queries: object
) -> None:
    CoverageFactory(patient=people["helene"], kind=CoverageKind.AME)
    # SAVEPOINT, similarity threshold, patients, coverage prefetch, RELEASE SAVEPOINT.
    with django_assert_num_queries(5):  # type: ignore[operator]
        found = search_patients("dupont")
        kinds = [c.kind for c in found[0].valid_coverages]  # type: ignore[attr-defined]
    assert kinds == ["ame"]


def test_parse_query() -> None:
    parsed = parse_query("dupont mar 1984")
    assert parsed.names == ["dupont", "mar"] and parsed.year == 1984
    assert parse_query("31/02/1984").birth_date is None
    assert parse_query("06 12 34").numbers == ["061234", "3361234"]


def test_duplicate_candidates(people: dict) -> None:
    born = datetime.date(1984, 3, 12)
    helene = people["helene"]
    assert duplicate_candidates(last_name="DUPONT", first_name="Helene", birth_date=born) == [
        helene
    ]
    # Close spelling, same birth date.
    assert duplicate_candidates(last_name="Dupond", first_name="Hélène", birth_date=born) == [
        helene
    ]
    # Same NIR whatever the name.
    assert duplicate_candidates(
        last_name="X",
        first_name="Y",
        birth_date=None,
        nir=helene.nir,  # type: ignore[attr-defined]
    ) == [helene]
    # Same name, other birth date: another person.
    assert (
        duplicate_candidates(
            last_name="Dupont", first_name="Hélène", birth_date=datetime.date(1985, 3, 12)
        )
        == []
    )
