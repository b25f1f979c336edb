"""NIR least privilege: soignant and mediation neither see a NIR (the patient's own, or the
insured person's on a right) nor find a patient by typing one, on the page or in the API."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from patients.models import Coverage, Patient
from tests.patients.factories import CoverageFactory, PatientFactory, make_nir

pytestmark = pytest.mark.django_db
ClientFor = Callable[[str | None], Client]
API = "/api/v1/patients/"
SEE_NIR = ("accueil", "facturation", "direction")
NO_NIR = ("soignant", "mediation")
BORN = datetime.date(1984, 3, 12)
INSURED_NIR = make_nir("M", datetime.date(1950, 5, 1), "75056")


def _patient() -> Patient:
    patient = PatientFactory(
        last_name="Nirvana", first_name="Lou", birth_date=BORN, nir=make_nir(), phone="+33612345678"
    )
    CoverageFactory(patient=patient, insured_nir=INSURED_NIR)
    return patient


@pytest.mark.parametrize("role", SEE_NIR + NO_NIR)
def test_the_api_shows_nirs_to_the_roles_that_see_them_only(
    client_for: ClientFor, role: str
) -> None:
    patient = _patient()
    client = client_for(role)
    detail = client.get(f"{API}{patient.pk}/").json()
    listed = client.get(API, {"q": "nirvana"}).json()["results"]
    assert [row["id"] for row in listed] == [patient.pk]
    for body in (detail, listed[0]):
        (amo,) = body["coverages"]
        assert amo["kind"] == "amo"
        if role in SEE_NIR:
            assert body["nir"] == make_nir() and amo["insured_nir"] == INSURED_NIR
        else:
            assert "nir" not in body and "insured_nir" not in amo
            assert make_nir() not in str(body) and INSURED_NIR not in str(body)


@pytest.mark.parametrize("role", SEE_NIR + NO_NIR)
def test_a_typed_nir_finds_the_patient_only_for_the_roles_that_see_nirs(
    client_for: ClientFor, role: str
) -> None:
    patient = _patient()
    client = client_for(role)
    for query in (make_nir(), make_nir()[:9]):
        api_ids = [row["id"] for row in client.get(API, {"q": query}).json()["results"]]
        page = client.get(reverse("patients:search"), {"q": query}).content.decode()
        found_on_page = reverse("patients:detail", args=[patient.pk]) in page
        if role in SEE_NIR:
            assert api_ids == [patient.pk] and found_on_page
        else:
            assert api_ids == [] and not found_on_page
    # The phone number still finds the person for every role.
    assert [row["id"] for row in client.get(API, {"q": "06 12 34 56 78"}).json()["results"]] == [
        patient.pk
    ]


@pytest.mark.parametrize("role", NO_NIR)
def test_the_record_page_shows_no_nir_to_soignant_and_mediation(
    client_for: ClientFor, role: str
) -> None:
    patient = _patient()
    html = client_for(role).get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "Nirvana".upper() in html
    digits = html.replace(" ", "").replace("\u00a0", "")
    assert make_nir() not in digits and INSURED_NIR not in digits


def test_a_role_without_nir_cannot_send_an_insured_nir_through_the_api(
    client_for: ClientFor,
) -> None:
    response = client_for("mediation").post(
        API,
        {
            "last_name": "Neuve",
            "first_name": "Ada",
            "sex": "F",
            "birth_date": "1999-01-01",
            "coverages": [{"kind": "amo", "start": "2025-01-01", "insured_nir": INSURED_NIR}],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert Coverage.objects.get(patient_id=response.json()["id"]).insured_nir == ""
