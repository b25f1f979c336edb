"""API: strict traits writable, identity status and INS readable only by the NIR roles."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client

from centre.models import User
from patients.models import Patient
from patients.services import identity_status
from tests.patients.factories import PatientFactory

pytestmark = pytest.mark.django_db
ClientFor = Callable[[str | None], Client]
URL = "/api/v1/patients/"
D = datetime.date
IDENTITY_KEYS = {
    "identity_status",
    "identity_document",
    "identity_document_checked_on",
    "ins_matricule",
    "ins_oid",
}


def qualified(by: User) -> Patient:
    patient = PatientFactory.create(
        last_name="Dupont",
        birth_name="Martin",
        birth_first_names=["Hélène"],
        first_birth_first_name="Hélène",
        sex="F",
        birth_date=D(1984, 3, 12),
        birth_place_id="86194",
    )
    identity_status.identity_document_check(
        by=by, patient=patient, document="cni", checked_on=D(2026, 11, 30)
    )
    identity_status.ins_search(by=by, patient=patient)
    patient.refresh_from_db()
    return patient


@pytest.mark.parametrize("role", ["accueil", "facturation", "direction"])
def test_nir_roles_read_status_and_ins(
    client_for: ClientFor, staff: dict[str, User], role: str
) -> None:
    patient = qualified(staff["accueil"])
    data = client_for(role).get(f"{URL}{patient.pk}/").json()
    assert {k: data[k] for k in IDENTITY_KEYS} == {
        "identity_status": "qualifiee",
        "identity_document": "cni",
        "identity_document_checked_on": "2026-11-30",
        "ins_matricule": patient.ins_matricule,
        "ins_oid": "1.2.250.1.213.1.4.10",
    }
    assert (data["birth_first_names"], data["birth_place"]) == (["HELENE"], "86194")
    listed = client_for(role).get(URL, {"q": "dupont"}).json()["results"][0]
    assert listed["identity_status"] == "qualifiee"


@pytest.mark.parametrize("role", ["soignant", "mediation"])
def test_other_roles_see_neither_status_nor_ins(
    client_for: ClientFor, staff: dict[str, User], role: str
) -> None:
    patient = qualified(staff["accueil"])
    data = client_for(role).get(f"{URL}{patient.pk}/").json()
    assert not IDENTITY_KEYS & set(data)
    assert "nir" not in data
    listed = client_for(role).get(URL, {"q": "dupont"}).json()["results"][0]
    assert not IDENTITY_KEYS & set(listed)


def test_status_and_ins_cannot_be_written_and_qualified_traits_are_refused(
    client_for: ClientFor, staff: dict[str, User]
) -> None:
    patient = qualified(staff["accueil"])
    client = client_for("accueil")
    response = client.patch(
        f"{URL}{patient.pk}/",
        {"identity_status": "provisoire", "ins_matricule": "", "phone": "0612345678"},
        content_type="application/json",
    )
    assert response.status_code == 200
    patient.refresh_from_db()
    assert (patient.identity_status, patient.phone) == ("qualifiee", "+33612345678")
    response = client.patch(
        f"{URL}{patient.pk}/", {"birth_place": "86066"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "Identité qualifiée" in response.json()["detail"]


def test_strict_traits_are_captured_through_the_api(client_for: ClientFor) -> None:
    response = client_for("accueil").post(
        URL,
        {
            "last_name": "N'Diaye",
            "birth_name": "N’Diaye",
            "first_name": "Awa",
            "birth_first_names": ["Awa", "Marième"],
            "sex": "F",
            "birth_date": "1992-07-14",
            "birth_place": "99341",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    patient = Patient.objects.get(pk=response.json()["id"])
    assert (patient.birth_name, patient.first_birth_first_name) == ("N'Diaye", "Awa")
    assert patient.birth_first_names == ["Awa", "Marième"]
    assert patient.identity_status == "provisoire"
    bad = client_for("accueil").post(
        URL,
        {
            "last_name": "X",
            "first_name": "Y",
            "sex": "F",
            "birth_date": "1992-07-14",
            "birth_place": "12",
        },
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "birth_place" in bad.json()


def test_api_checks_a_document_then_retrieves_the_ins(client_for: ClientFor) -> None:
    patient = PatientFactory.create(
        birth_name="Martin",
        birth_first_names=["Hélène"],
        first_birth_first_name="Hélène",
        sex="F",
        birth_date=D(1984, 3, 12),
        birth_place_id="86194",
    )
    client = client_for("accueil")
    base = f"{URL}{patient.pk}/identity/"
    checked = client.post(
        base + "document-check/",
        {"identity_document": "titre_sejour", "identity_document_checked_on": "2026-12-02"},
        content_type="application/json",
    )
    assert checked.status_code == 200
    assert checked.json()["identity_status"] == "validee"
    found = client.post(base + "ins-search/", {}, content_type="application/json").json()
    assert (found["identity_status"], found["outcome"], found["ins_oid"]) == (
        "qualifiee",
        "trouvee",
        "1.2.250.1.213.1.4.10",
    )
    assert found["ins_matricule"][:10] == "2840386194"


def test_api_identity_actions_refuse_other_roles_and_report_insi_outcomes(
    client_for: ClientFor,
) -> None:
    patient = PatientFactory.create(birth_name="Homonyme", sex="F", birth_date=D(1984, 3, 12))
    base = f"{URL}{patient.pk}/identity/"
    for role in ("soignant", "mediation", "facturation"):
        response = client_for(role).post(base + "ins-search/", {}, content_type="application/json")
        assert response.status_code == 403, role
    several = client_for("accueil").post(base + "ins-search/", {}, content_type="application/json")
    assert several.status_code == 200
    assert (several.json()["outcome"], several.json()["ins_matricule"]) == ("plusieurs", "")
    incomplete = client_for("accueil").post(
        base + "document-check/", {"identity_document": "cni"}, content_type="application/json"
    )
    assert incomplete.status_code == 400
    assert "Complétez d'abord les traits stricts" in str(incomplete.json())
    missing = client_for("accueil").post(
        f"{URL}999999/identity/ins-search/", {}, content_type="application/json"
    )
    assert missing.status_code == 404
