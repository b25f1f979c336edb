from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from centre.models import AuditEntry
from patients.models import Coverage, Patient
from tests.patients.factories import CoverageFactory, PatientFactory, make_nir

pytestmark = pytest.mark.django_db
ClientFor = Callable[[str | None], Client]
URL = "/api/v1/patients/"


def payload(**extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "last_name": "Dupont",
        "birth_name": "Martin",
        "first_name": "Hélène",
        "sex": "F",
        "birth_date": "1984-03-12",
        "nir": make_nir(),
        "phone": "06 12 34 56 78",
        "email": "helene@example.org",
        "language": "fr",
        "interpreter_needed": False,
        "in_qpv": True,
        "coverages": [
            {"kind": "amo", "start": "2024-01-01", "scheme_code": "01", "caisse_code": "861"},
            {"kind": "c2s", "start": "2026-01-01", "end": "2026-12-31", "with_contribution": False},
        ],
        "has_medecin_traitant": True,
    }
    data.update(extra)
    return data


def test_route_is_listed_in_the_api_root(client_for: ClientFor) -> None:
    assert reverse("api:patients") == URL
    assert client_for("accueil").get("/api/v1/").json()["patients"].endswith(URL)


def test_create_with_nested_coverage(client_for: ClientFor) -> None:
    response = client_for("accueil").post(URL, payload(), content_type="application/json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["phone"] == "+33612345678" and body["nir"] == make_nir()
    assert sorted(c["kind"] for c in body["coverages"]) == ["amo", "c2s"]
    assert body["has_medecin_traitant"] is True
    patient = Patient.objects.get()
    assert Coverage.objects.filter(patient=patient).count() == 3  # amo, c2s, médecin traitant


def test_bad_input_gives_400_with_french_field_messages_and_saves_nothing(
    client_for: ClientFor,
) -> None:
    bad = payload(
        sex="X",
        nir=make_nir("M"),
        phone="12",
        coverages=[{"kind": "amc", "start": "2024-01-01"}],
    )
    bad.pop("first_name")
    response = client_for("accueil").post(URL, bad, content_type="application/json")
    assert response.status_code == 400
    errors = response.json()
    assert errors["first_name"] == ["Ce champ est obligatoire."]
    assert "sex" in errors
    assert "coverages" in errors, errors
    assert errors["coverages"]["0"]["organism_name"] == ["Indiquez l'organisme complémentaire."]
    # Identity checks run once the fields are well-formed.
    response = client_for("accueil").post(
        URL, payload(nir=make_nir("M"), phone="12"), content_type="application/json"
    )
    assert response.status_code == 400
    errors = response.json()
    assert "sexe" in errors["nir"][0] and "téléphone" in errors["phone"][0]
    assert Patient.objects.count() == 0 and Coverage.objects.count() == 0


def test_overlapping_coverage_in_payload_rolls_back_the_patient(client_for: ClientFor) -> None:
    twice = payload(
        coverages=[{"kind": "amo", "start": "2024-01-01"}, {"kind": "amo", "start": "2024-01-01"}]
    )
    response = client_for("accueil").post(URL, twice, content_type="application/json")
    assert response.status_code == 400
    assert "start" in response.json()["coverages"]["1"]
    assert Patient.objects.count() == 0


def test_search_retrieve_update(client_for: ClientFor) -> None:
    patient = PatientFactory(
        last_name="Dupont", first_name="Hélène", sex="F", birth_date=datetime.date(1984, 3, 12)
    )
    CoverageFactory(patient=patient)
    PatientFactory(last_name="Zorro")
    client = client_for("accueil")
    found = client.get(URL, {"q": "heleen dupont"}).json()
    assert [p["id"] for p in found["results"]] == [patient.pk]
    assert found["results"][0]["coverages"][0]["kind"] == "amo"
    detail = client.get(f"{URL}{patient.pk}/").json()
    assert detail["last_name"] == "Dupont"
    assert AuditEntry.objects.filter(action="patient.view", object_id=str(patient.pk)).exists()
    response = client.patch(
        f"{URL}{patient.pk}/",
        {"phone": "0549000000", "has_medecin_traitant": True},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["phone"] == "+33549000000"
    assert response.json()["has_medecin_traitant"] is True


def test_nir_hidden_from_roles_that_do_not_need_it(client_for: ClientFor) -> None:
    patient = PatientFactory(nir=make_nir(), birth_date=datetime.date(1984, 3, 12))
    assert "nir" not in client_for("soignant").get(f"{URL}{patient.pk}/").json()
    assert client_for("facturation").get(f"{URL}{patient.pk}/").json()["nir"] == make_nir()


def test_write_permissions(client_for: ClientFor) -> None:
    patient = PatientFactory()
    assert (
        client_for("soignant").post(URL, payload(), content_type="application/json").status_code
        == 403
    )
    assert (
        client_for("mediation")
        .patch(f"{URL}{patient.pk}/", {"email": "x@example.org"}, content_type="application/json")
        .status_code
        == 403
    )
    # Mediators register people they meet (without the NIR, which they do not see).
    response = client_for("mediation").post(URL, payload(), content_type="application/json")
    assert response.status_code == 201
    assert Patient.objects.get(pk=response.json()["id"]).nir == ""
