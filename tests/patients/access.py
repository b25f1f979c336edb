from __future__ import annotations

from typing import Any

from patients.models import NotDuplicatePair
from tests.access import Access, World, roles
from tests.patients.factories import CoverageFactory, PatientFactory

VIEW = roles("accueil", "mediation", "soignant", "facturation", "direction")
CREATE = roles("accueil", "mediation", "direction")
EDIT = roles("accueil", "facturation", "direction")  # facturation: the NIR only
COVERAGE = roles("accueil", "facturation", "direction")
WORKLIST = roles("accueil", "mediation", "direction")
DIRECTION = roles("direction")


def _patient(w: World) -> dict[str, Any]:
    if "patient" not in w.cache:
        w.cache["patient"] = PatientFactory()
    return {"patient_id": w.cache["patient"].pk}


def _coverage(w: World) -> dict[str, Any]:
    kwargs = _patient(w)
    if "coverage" not in w.cache:
        w.cache["coverage"] = CoverageFactory(patient=w.cache["patient"])
    return {**kwargs, "coverage_id": w.cache["coverage"].pk}


def _pair(w: World) -> dict[str, Any]:
    if "pair" not in w.cache:
        w.cache["pair"] = (PatientFactory(), PatientFactory())
    first, second = w.cache["pair"]
    return {"keep_id": first.pk, "merged_id": second.pk}


def _not_duplicate_pair(w: World) -> dict[str, Any]:
    kwargs = _pair(w)
    return {"first_id": kwargs["keep_id"], "second_id": kwargs["merged_id"]}


def _not_duplicate_mark(w: World) -> dict[str, Any]:
    if "mark" not in w.cache:
        first, second = sorted(PatientFactory.create_batch(2), key=lambda p: p.pk)
        w.cache["mark"] = NotDuplicatePair.objects.create(
            first_id=first.pk, second_id=second.pk, decided_by=w.staff["direction"]
        )
    return {"mark_id": w.cache["mark"].pk}


def _api_patient(w: World) -> dict[str, Any]:
    return {"pk": _patient(w)["patient_id"]}


ACCESS = {
    "patients:search": Access(VIEW),
    "patients:search_results": Access(VIEW),
    "patients:create": Access(CREATE),
    "patients:duplicate_check": Access(VIEW),
    "patients:rights_worklist": Access(WORKLIST),
    "patients:duplicates": Access(DIRECTION),
    "patients:merge": Access(DIRECTION, kwargs=_pair),
    "patients:not_duplicate": Access(
        DIRECTION, method="post", kwargs=_not_duplicate_pair, data={"reason": "jumelles"}
    ),
    "patients:not_duplicate_undo": Access(DIRECTION, method="post", kwargs=_not_duplicate_mark),
    "patients:import": Access(DIRECTION),
    # An unknown token sends the director back to the upload page (302).
    "patients:import_review": Access(DIRECTION, kwargs=lambda w: {"token": "inconnu"}),
    "patients:detail": Access(VIEW, kwargs=_patient),
    "patients:edit": Access(EDIT, kwargs=_patient),
    "patients:identity": Access(roles("accueil", "direction"), kwargs=_patient),
    "patients:coverage_add": Access(COVERAGE, kwargs=_patient),
    "patients:coverage_end": Access(
        COVERAGE, method="post", kwargs=_coverage, data={"end": "2025-12-31"}
    ),
    "patients:export_json": Access(DIRECTION, kwargs=_patient),
    "patients:export_pdf": Access(DIRECTION, kwargs=_patient),
    "patients:anonymise": Access(DIRECTION, kwargs=_patient),
    "api:patients": Access(VIEW, api=True),
    "api:patient-detail": Access(VIEW, api=True, kwargs=_api_patient),
    "api:patient-identity-document-check": Access(
        roles("accueil", "direction"),
        api=True,
        method="post",
        kwargs=_api_patient,
        data={"identity_document": "cni"},
    ),
    "api:patient-identity-ins-search": Access(
        roles("accueil", "direction"), api=True, method="post", kwargs=_api_patient
    ),
}
