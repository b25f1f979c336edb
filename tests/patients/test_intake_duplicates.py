"""Duplicate detection on every door that creates a patient: the registration service refuses
(409, with the candidates) unless the caller confirms the person is someone else."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from centre.models import AuditEntry, User
from centre.refusals import Forbidden, Kind, Refusal
from patients.models import Coverage, Patient
from patients.services import identity
from tests.patients.factories import PatientFactory, make_nir

pytestmark = pytest.mark.django_db
ClientFor = Callable[[str | None], Client]
API = "/api/v1/patients/"
BORN = datetime.date(1984, 3, 12)


def payload(**extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "last_name": "Dupont",
        "first_name": "Helene",
        "sex": "F",
        "birth_date": BORN.isoformat(),
        "coverages": [{"kind": "amo", "start": "2024-01-01"}],
        "has_medecin_traitant": True,
    }
    data.update(extra)
    return data


def _existing() -> Patient:
    return PatientFactory(last_name="Dupont", first_name="Hélène", birth_date=BORN, nir=make_nir())


def test_api_answers_409_with_the_candidates_and_saves_nothing(client_for: ClientFor) -> None:
    existing = _existing()
    response = client_for("accueil").post(API, payload(), content_type="application/json")
    assert response.status_code == 409
    body = response.json()
    assert body["kind"] == "conflict" and "peut-être déjà enregistrée" in body["detail"]
    assert body["candidates"] == [
        {
            "id": existing.pk,
            "display_name": existing.display_name,
            "birth_date": "1984-03-12",
            "nir": make_nir(),
        }
    ]
    assert Patient.objects.count() == 1 and Coverage.objects.count() == 0
    assert not AuditEntry.objects.filter(action="patient.create").exists()


def test_the_same_nir_is_a_candidate_whatever_the_name(client_for: ClientFor) -> None:
    existing = _existing()
    response = client_for("accueil").post(
        API,
        payload(last_name="Tout-Autre", first_name="Nom", nir=make_nir()),
        content_type="application/json",
    )
    assert response.status_code == 409
    assert [c["id"] for c in response.json()["candidates"]] == [existing.pk]


def test_candidates_carry_no_nir_for_mediation(client_for: ClientFor) -> None:
    existing = _existing()
    response = client_for("mediation").post(API, payload(), content_type="application/json")
    assert response.status_code == 409
    assert response.json()["candidates"] == [
        {"id": existing.pk, "display_name": existing.display_name, "birth_date": "1984-03-12"}
    ]


def test_confirmed_as_another_person_gives_201_and_journals_the_dismissed_candidates(
    client_for: ClientFor, staff: dict[str, User]
) -> None:
    existing = _existing()
    response = client_for("accueil").post(
        API, payload(confirm_not_duplicate=True), content_type="application/json"
    )
    assert response.status_code == 201, response.json()
    assert "confirm_not_duplicate" not in response.json()
    created = Patient.objects.get(pk=response.json()["id"])
    assert Coverage.objects.filter(patient=created).count() == 2  # amo + médecin traitant
    dismissed = AuditEntry.objects.get(action="patient.duplicates_dismissed")
    assert dismissed.object_id == str(created.pk)
    assert dismissed.actor == staff["accueil"]
    assert dismissed.extra == {"candidates": [existing.pk]}


def test_without_candidates_no_confirmation_is_needed_nor_journaled(
    client_for: ClientFor,
) -> None:
    response = client_for("accueil").post(
        API, payload(confirm_not_duplicate=False), content_type="application/json"
    )
    assert response.status_code == 201
    assert not AuditEntry.objects.filter(action="patient.duplicates_dismissed").exists()


def test_a_refused_right_in_a_confirmed_registration_saves_nothing(client_for: ClientFor) -> None:
    _existing()
    response = client_for("accueil").post(
        API,
        payload(
            confirm_not_duplicate=True,
            coverages=[
                {"kind": "amo", "start": "2024-01-01"},
                {"kind": "amo", "start": "2024-01-01"},
            ],
        ),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "start" in response.json()["coverages"]["1"]
    assert Patient.objects.count() == 1 and Coverage.objects.count() == 0
    assert not AuditEntry.objects.filter(action="patient.duplicates_dismissed").exists()


def test_the_page_keeps_its_warning_then_confirmation(
    client_for: ClientFor, staff: dict[str, User]
) -> None:
    existing = _existing()
    client = client_for("accueil")
    data = {
        "last_name": "Dupont",
        "first_name": "Helene",
        "sex": "F",
        "birth_date": "1984-03-12",
        "language": "fr",
        "in_qpv": "unknown",
    }
    refused = client.post(reverse("patients:create"), data)
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "peut-être déjà enregistrée" in html
    assert reverse("patients:detail", args=[existing.pk]) in html
    assert 'name="not_a_duplicate"' in html
    assert Patient.objects.count() == 1
    confirmed = client.post(reverse("patients:create"), {**data, "not_a_duplicate": "on"})
    assert confirmed.status_code == 302
    created = Patient.objects.exclude(pk=existing.pk).get()
    dismissed = AuditEntry.objects.get(action="patient.duplicates_dismissed")
    assert dismissed.object_id == str(created.pk) and dismissed.extra == {
        "candidates": [existing.pk]
    }


def test_the_service_is_the_rule_for_every_caller(staff: dict[str, User]) -> None:
    existing = _existing()
    values = {"last_name": "Dupont", "first_name": "Hélène", "sex": "F", "birth_date": BORN}
    with pytest.raises(Refusal) as refused:
        identity.patient_register(by=staff["direction"], values=values)
    assert refused.value.kind == Kind.CONFLICT and refused.value.http_status == 409
    assert [c["id"] for c in refused.value.details["candidates"]] == [existing.pk]
    with pytest.raises(Forbidden):
        identity.patient_register(by=staff["soignant"], values=values, confirm_not_duplicate=True)
    assert Patient.objects.count() == 1
