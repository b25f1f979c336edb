"""The identitovigilance page: document check, INSi search, withdrawal of a qualification."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from centre.models import AuditEntry, User
from patients.models import Patient
from patients.services import identity_status
from tests.patients.factories import PatientFactory

pytestmark = pytest.mark.django_db
ClientFor = Callable[[str | None], Client]
D = datetime.date


def person(**overrides: object) -> Patient:
    values: dict[str, object] = {
        "last_name": "Dupont",
        "birth_name": "Martin",
        "first_name": "Hélène",
        "birth_first_names": ["Hélène"],
        "first_birth_first_name": "Hélène",
        "sex": "F",
        "birth_date": D(1984, 3, 12),
        "birth_place_id": "86194",
    }
    values.update(overrides)
    return PatientFactory.create(**values)


def test_page_read_is_journaled_and_document_then_ins_qualify(client_for: ClientFor) -> None:
    patient = person()
    client = client_for("accueil")
    url = reverse("patients:identity", args=[patient.pk])
    page = client.get(url).content.decode()
    assert "Identité provisoire" in page
    assert AuditEntry.objects.filter(action="patient.view", object_id=str(patient.pk)).count() == 1
    response = client.post(
        url, {"check_document": "1", "document": "passeport", "checked_on": "2026-12-01"}
    )
    assert response.status_code == 302
    response = client.post(url, {"search_ins": "1"})
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.identity_status, patient.identity_document) == ("qualifiee", "passeport")
    detail = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "INS récupérée" in detail


def test_refusals_and_insi_outcomes_are_shown_on_the_page(client_for: ClientFor) -> None:
    client = client_for("accueil")
    incomplete = person(birth_place_id=None)
    url = reverse("patients:identity", args=[incomplete.pk])
    page = client.post(
        url, {"check_document": "1", "document": "cni", "checked_on": "2026-12-01"}
    ).content.decode()
    assert "Complétez d&#x27;abord les traits stricts" in page
    several = person(birth_name="Homonyme")
    page = client.post(
        reverse("patients:identity", args=[several.pk]), {"search_ins": "1"}, follow=True
    ).content.decode()
    assert "INSi connaît plusieurs identités" in page
    several.refresh_from_db()
    assert several.identity_status == "provisoire"


def test_direction_withdraws_a_qualification_from_the_page(
    client_for: ClientFor, staff: dict[str, User]
) -> None:
    patient = person()
    identity_status.identity_document_check(by=staff["accueil"], patient=patient, document="cni")
    identity_status.ins_search(by=staff["accueil"], patient=patient)
    url = reverse("patients:identity", args=[patient.pk])
    assert "Retirer la qualification" not in client_for("accueil").get(url).content.decode()
    refused = client_for("accueil").post(url, {"unqualify": "1", "reason": "erreur"})
    assert refused.status_code == 200
    patient.refresh_from_db()
    assert patient.identity_status == "qualifiee"
    response = client_for("direction").post(
        url, {"unqualify": "1", "reason": "Erreur d'état civil"}
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.identity_status, patient.ins_matricule) == ("validee", "")


@pytest.mark.parametrize("role", ["accueil", "direction"])
def test_identity_page_and_api_read_leave_the_same_journal_entry(
    client_for: ClientFor, staff: dict[str, User], role: str
) -> None:
    patient = person()
    client = client_for(role)
    client.get("/api/v1/me/")  # the login's own entries come first

    def entries_after(mark: int) -> list[tuple[str, str, str]]:
        return [
            (e.action, e.object_type, e.object_id)
            for e in AuditEntry.objects.filter(pk__gt=mark, actor=staff[role])
            .exclude(action__startswith="auth.")
            .order_by("pk")
        ]

    mark = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    client.get(reverse("patients:identity", args=[patient.pk]))
    page = entries_after(mark)
    mark = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    client.get(f"/api/v1/patients/{patient.pk}/")
    api = entries_after(mark)
    assert page == api == [("patient.view", "patients.patient", str(patient.pk))]
