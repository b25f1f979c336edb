"""A NIR is accepted as people type it and as the app itself displays it (« 2 87 06 75 123
456 78 »): spaces, dots, dashes are removed before the length and key checks, at every door
(service, page, API, search)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import cast

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from centre.models import User
from patients.identifiers import check_nir, compact_nir, format_nir, nir_key
from patients.models import Coverage, Patient
from patients.selectors import parse_query
from patients.services import identity
from tests.patients.factories import PatientFactory

ClientFor = Callable[[str | None], Client]
BORN = datetime.date(1987, 6, 21)
# Woman born in June 1987 in Paris (75), commune 112, order 345: key computed by hand below.
BODY = "2870675112345"
# 2870675112345 = 97 × 29594588787 + 6 → key 97 − 6 = 91.
NIR = BODY + "91"


def test_the_key_of_the_reference_number_is_the_hand_computed_one() -> None:
    assert 2870675112345 == 97 * 29594588787 + 6
    assert nir_key(BODY) == "91"


@pytest.mark.parametrize(
    "typed",
    [
        "2 87 06 75 112 345 91",  # as format_nir displays it
        "2.87.06.75.112.345.91",
        "2-87-06-75-112-345-91",
        "2 87 06 75 112 345 - 91",
        "2\u00a087\u00a006\u00a075\u00a0112\u00a0345\u00a091",  # no-break spaces
        "2\u202f87 06 75/112_345 91",
        "  287067511234591  ",
    ],
)
def test_separators_are_removed_before_the_checks(typed: str) -> None:
    assert compact_nir(typed) == NIR
    checked = check_nir(typed, sex="F", birth_date=BORN)
    assert checked.value == NIR and checked.sex == "F"


def test_the_display_form_goes_back_in_unchanged() -> None:
    assert format_nir(NIR) == "2 87 06 75 112 345 91"
    assert check_nir(format_nir(NIR)).value == NIR


def test_a_wrong_key_typed_with_spaces_is_still_a_key_error() -> None:
    with pytest.raises(ValidationError) as error:
        check_nir("2 87 06 75 112 345 72")
    assert error.value.code == "nir_key"


def test_a_short_number_with_spaces_is_a_length_error() -> None:
    with pytest.raises(ValidationError) as error:
        check_nir("2 87 06 75 112 345")
    assert error.value.code == "nir_length"


@pytest.mark.parametrize(
    ("body", "substitute"),
    [
        # Corsica: 2A counts as 19 and 2B as 18 in the key (INSEE / CNAM rule).
        ("2870620004123", "2A"),
        ("1870620033123", "2B"),
    ],
)
def test_corsica_with_spaces_and_lower_case_letters(body: str, substitute: str) -> None:
    corsican = body[:5] + substitute + body[7:]
    numeric = body[:5] + ("19" if substitute == "2A" else "18") + body[7:]
    key = f"{97 - int(numeric) % 97:02d}"
    assert nir_key(corsican) == key
    typed = f"{corsican[0]} {corsican[1:3]} {corsican[3:5]} {corsican[5:7].lower()} "
    typed += f"{corsican[7:10]}.{corsican[10:13]}-{key}"
    assert check_nir(typed).value == corsican + key
    with pytest.raises(ValidationError) as error:
        check_nir(typed[:-2] + f"{(int(key) + 1) % 97:02d}")
    assert error.value.code == "nir_key"


def test_search_reads_a_whole_nir_as_typed() -> None:
    assert parse_query("2 87 06 75 112 345 91").numbers == [NIR]
    assert parse_query("2-87-06-2a-004-123-45").numbers == ["287062A00412345"]
    # A phone still reads as a phone.
    assert parse_query("06 12 34 56 78").numbers == ["0612345678", "33612345678"]


@pytest.mark.django_db
def test_the_service_stores_the_compact_form(staff: dict[str, User]) -> None:
    patient = identity.patient_register(
        by=staff["accueil"],
        values={
            "last_name": "Belkacem",
            "first_name": "Émilie",
            "sex": "F",
            "birth_date": BORN,
            "nir": "2 87 06 75 112 345 91",
        },
    )
    assert patient.nir == NIR
    patient = identity.patient_update(by=staff["facturation"], patient=patient, values={"nir": ""})
    assert patient.nir == ""
    patient = identity.patient_update(
        by=staff["facturation"], patient=patient, values={"nir": "2.87.06.75.112.345.91"}
    )
    assert Patient.objects.get(pk=patient.pk).nir == NIR


@pytest.mark.django_db
def test_the_intake_page_accepts_the_spaced_form_and_does_not_cut_it(
    client_for: ClientFor,
) -> None:
    client = client_for("accueil")
    page = client.get(reverse("patients:create")).content.decode()
    tag = page[page.index('name="nir"') - 200 : page.index('name="nir"') + 200]
    assert 'maxlength="15"' not in tag and 'maxlength="40"' in tag
    response = client.post(
        reverse("patients:create"),
        {
            "last_name": "Belkacem",
            "first_name": "Émilie",
            "sex": "F",
            "birth_date": "1987-06-21",
            "language": "fr",
            "in_qpv": "unknown",
            "nir": "2 87 06 75 112 345 91",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    assert Patient.objects.get().nir == NIR


@pytest.mark.django_db
def test_the_intake_page_says_what_is_wrong_with_a_spaced_nir(client_for: ClientFor) -> None:
    response = client_for("accueil").post(
        reverse("patients:create"),
        {
            "last_name": "Belkacem",
            "first_name": "Émilie",
            "sex": "F",
            "birth_date": "1987-06-21",
            "language": "fr",
            "in_qpv": "unknown",
            "nir": "2 87 06 75 112 345 72",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["nir"] == [
        "La clé du NIR ne correspond pas : vérifiez le numéro."
    ]
    assert not Patient.objects.exists()


@pytest.mark.django_db
def test_the_api_accepts_the_spaced_form(client_for: ClientFor) -> None:
    response = client_for("accueil").post(
        "/api/v1/patients/",
        {
            "last_name": "Belkacem",
            "first_name": "Émilie",
            "sex": "F",
            "birth_date": "1987-06-21",
            "nir": "2 87 06 75 112 345 91",
            "coverages": [
                {"kind": "amo", "start": "2024-01-01", "insured_nir": "2-87-06-75-112-345-91"}
            ],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["nir"] == NIR
    assert Coverage.objects.get().insured_nir == NIR


@pytest.mark.django_db
def test_the_coverage_page_accepts_a_spaced_insured_nir(client_for: ClientFor) -> None:
    patient = cast(Patient, PatientFactory(sex="F", birth_date=datetime.date(2015, 1, 2)))
    response = client_for("accueil").post(
        reverse("patients:coverage_add", args=[patient.pk]),
        {"kind": "amo", "start": "2026-01-01", "insured_nir": "2 87 06 75 112 345 91"},
    )
    assert response.status_code == 302
    assert Coverage.objects.get(patient=patient).insured_nir == NIR


@pytest.mark.django_db
def test_the_search_box_finds_the_spaced_nir(client_for: ClientFor) -> None:
    patient = cast(Patient, PatientFactory(nir=NIR, sex="F", birth_date=BORN))
    response = client_for("accueil").get(reverse("patients:search"), {"q": "2 87 06 75 112 345 91"})
    assert [row["patient"].pk for row in response.context["rows"]] == [patient.pk]
