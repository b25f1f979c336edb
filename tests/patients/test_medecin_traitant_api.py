"""The médecin traitant declaration through the API: who, at the centre or not, since when
(billing reads it to decide the care pathway, CSS art. L162-5-3)."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client

from centre.models import AuditEntry
from patients.coverage import coverage_summary
from patients.models import Coverage, CoverageKind, Patient
from tests.patients.factories import PatientFactory

pytestmark = pytest.mark.django_db
ClientFor = Callable[[str | None], Client]


def test_declaration_with_who_where_and_a_past_date(client_for: ClientFor) -> None:
    patient = PatientFactory()
    client = client_for("accueil")
    declared = {
        "kind": "medecin_traitant",
        "start": "2024-09-02",
        "doctor_name": "Dr Roux",
        "doctor_in_centre": False,
    }
    response = client.patch(
        f"/api/v1/patients/{patient.pk}/",
        {"coverages": [declared]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["medecin_traitant"] == {
        "doctor_name": "Dr Roux",
        "doctor_in_centre": False,
        "start": "2024-09-02",
    }
    assert body["has_medecin_traitant"] is True
    summary = coverage_summary(Patient.objects.get(pk=patient.pk), datetime.date(2025, 3, 10))
    assert summary.has_medecin_traitant and not summary.medecin_traitant_in_centre
    assert (summary.medecin_traitant_name, summary.medecin_traitant_since) == (
        "Dr Roux",
        datetime.date(2024, 9, 2),
    )
    assert not coverage_summary(patient, datetime.date(2024, 9, 1)).has_medecin_traitant
    # A new declaration (a doctor of the centre, from 2025-01-06) closes the previous one the
    # day before; the history is kept and journaled.
    response = client.patch(
        f"/api/v1/patients/{patient.pk}/",
        {"coverages": [{**declared, "start": "2025-01-06", "doctor_in_centre": True}]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    rows = Coverage.objects.filter(patient=patient, kind=CoverageKind.MEDECIN_TRAITANT)
    assert sorted((r.start.isoformat(), str(r.end), r.doctor_in_centre) for r in rows) == [
        ("2024-09-02", "2025-01-05", False),
        ("2025-01-06", "None", True),
    ]
    assert coverage_summary(patient, datetime.date(2025, 3, 10)).medecin_traitant_in_centre
    assert (
        AuditEntry.objects.filter(
            action="coverage.close", object_id=str(rows.get(start=datetime.date(2024, 9, 2)).pk)
        ).count()
        == 1
    )
