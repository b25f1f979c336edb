"""Rights (coverage) of a patient: added, closed, never rewritten."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from centre import audit
from centre.models import User
from centre.refusals import Forbidden
from patients import perms
from patients.identifiers import check_nir
from patients.models import MULTIPLE_KINDS, Coverage, CoverageKind, Patient
from patients.services.identity import PatientError

COVERAGE_FIELDS = (
    "kind",
    "start",
    "end",
    "scheme_code",
    "caisse_code",
    "insured_nir",
    "organism_name",
    "organism_number",
    "contract",
    "tiers_payant",
    "with_contribution",
    "ald_code",
    "label",
    "doctor_in_centre",
    "doctor_name",
)


def clean_coverage(values: Mapping[str, Any]) -> dict[str, Any]:
    cleaned = dict(values)
    errors: dict[str, str] = {}
    kind = cleaned.get("kind")
    if kind not in CoverageKind.values:
        errors["kind"] = "Type de droit inconnu."
    start, end = cleaned.get("start"), cleaned.get("end")
    if start is None:
        errors["start"] = "Indiquez la date de début du droit."
    elif end is not None and end < start:
        errors["end"] = "La fin du droit ne peut précéder son début."
    if cleaned.get("insured_nir"):
        try:
            cleaned["insured_nir"] = check_nir(cleaned["insured_nir"]).value
        except ValidationError as error:
            errors["insured_nir"] = error.messages[0]
    if kind == CoverageKind.AMC and not cleaned.get("organism_name"):
        errors["organism_name"] = "Indiquez l'organisme complémentaire."
    if kind == CoverageKind.ALD and not (cleaned.get("label") or cleaned.get("ald_code")):
        errors["label"] = "Indiquez l'affection ou le code d'exonération (41, 43, 45)."
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check_may_edit(by: User) -> None:
    if not perms.can_edit_coverage(by):
        raise Forbidden("Votre rôle ne permet pas de modifier les droits.")


def coverage_add(*, patient: Patient, values: Mapping[str, Any], by: User) -> Coverage:
    """Add a right. For the kinds held one at a time, the current record of that kind is
    closed the day before the new one starts (history is kept, never overwritten)."""
    _check_may_edit(by)
    return _add(patient=patient, values=values, by=by)


def _add(*, patient: Patient, values: Mapping[str, Any], by: User) -> Coverage:
    cleaned = clean_coverage(values)
    fields = {k: v for k, v in cleaned.items() if k in COVERAGE_FIELDS}
    with transaction.atomic():
        # Lock the patient row: two clerks adding an AMO at once would both close the same
        # current record and leave two open ones.
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
        coverage = Coverage(patient=patient, created_by=by, **fields)
        if coverage.kind not in MULTIPLE_KINDS:
            current = Coverage.objects.filter(patient=patient, kind=coverage.kind).filter(
                models.Q(end__isnull=True) | models.Q(end__gte=coverage.start)
            )
            for previous in current:
                if previous.start >= coverage.start:
                    raise ValidationError(
                        {
                            "start": f"Un droit « {previous.get_kind_display()} » commence déjà "
                            f"le {previous.start:%d/%m/%Y} : corrigez-le ou choisissez une date "
                            "de début postérieure."
                        }
                    )
                old_end = previous.end
                previous.end = coverage.start - datetime.timedelta(days=1)
                previous.save(update_fields=["end"])
                audit.record(
                    actor=by,
                    action="coverage.close",
                    obj=previous,
                    changes={"end": [old_end, previous.end]},
                    extra={"patient_id": patient.pk},
                )
        coverage.save()
        audit.record(
            actor=by,
            action="coverage.add",
            obj=coverage,
            changes=audit.diff({}, audit.snapshot(coverage, COVERAGE_FIELDS)),
            extra={"patient_id": patient.pk},
        )
    return coverage


def coverage_end(*, coverage: Coverage, end: datetime.date, by: User) -> Coverage:
    _check_may_edit(by)
    return _end(coverage=coverage, end=end, by=by)


def _end(*, coverage: Coverage, end: datetime.date, by: User) -> Coverage:
    if end < coverage.start:
        raise ValidationError({"end": "La fin du droit ne peut précéder son début."})
    with transaction.atomic():
        before = coverage.end
        coverage.end = end
        coverage.save(update_fields=["end"])
        audit.record(
            actor=by,
            action="coverage.close",
            obj=coverage,
            changes={"end": [before, end]},
            extra={"patient_id": coverage.patient_id},
        )
    return coverage


def rights_apply(
    *,
    by: User,
    patient: Patient,
    coverages: Sequence[Mapping[str, Any]] = (),
    has_medecin_traitant: bool | None = None,
    at_intake: bool = False,
) -> None:
    """Add several rights at once and set the "médecin traitant" flag (the API's nested
    `coverages` and `has_medecin_traitant`): each item is added as `coverage_add` adds it;
    `True` opens a "médecin traitant" right from today if none is valid, `False` closes the
    current one. All or nothing: the refusals of every item are collected, keyed by the item's
    index like DRF's nested-list errors (`details["coverages"]`), and nothing is saved.

    `at_intake`: the rights given with a new registration, which every role that registers
    people may record; afterwards only the roles that edit rights may."""
    if not at_intake and (coverages or has_medecin_traitant is not None):
        _check_may_edit(by)
    today = timezone.localdate()
    with transaction.atomic():
        errors: dict[str, Any] = {}
        for index, item in enumerate(coverages):
            try:
                with transaction.atomic():
                    _add(patient=patient, values=item, by=by)
            except ValidationError as error:
                errors[str(index)] = error.message_dict
        if errors:
            raise PatientError(
                {"coverages": "Un ou plusieurs droits sont invalides."},
                details={"coverages": errors},
            )
        if has_medecin_traitant is None:
            return
        current = Coverage.objects.filter(
            patient=patient, kind=CoverageKind.MEDECIN_TRAITANT
        ).valid_on(today)
        if has_medecin_traitant and not current.exists():
            _add(
                patient=patient,
                values={"kind": CoverageKind.MEDECIN_TRAITANT, "start": today},
                by=by,
            )
        elif not has_medecin_traitant:
            for row in current:
                _end(coverage=row, end=max(row.start, today - datetime.timedelta(days=1)), by=by)
