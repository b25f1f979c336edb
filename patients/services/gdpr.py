"""Rights of the person (GDPR): access (export, art. 15) and erasure (anonymisation, art. 17)."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.db import transaction
from django.utils import timezone

from centre import audit
from centre.models import User
from centre.refusals import Forbidden
from patients import perms
from patients.models import NotDuplicatePair, Patient
from patients.services import identity_status
from patients.services.coverage import COVERAGE_FIELDS
from patients.services.identity import AUDITED_FIELDS, PatientError

ERASED_FIELDS = (
    "birth_name",
    "nir",
    "phone",
    "phone_alt",
    "email",
    "address",
    "city",
    "admin_notes",
)


def patient_anonymise(*, patient: Patient, by: User) -> Patient:
    """Erase the identity of a person who asked for it (RGPD art. 17) where the law allows:
    appointments, invoices and sessions stay (billing evidence is kept its legal time, and
    aggregates still count them) but point to a record without identity. Sex, birth year,
    postal code and QPV flag are kept for the funders' aggregates. The audit entry lists the
    fields erased, never their values."""
    _check_direction(by)
    with transaction.atomic():
        locked = Patient.objects.select_for_update().get(pk=patient.pk)
        if locked.anonymised_at is not None:
            raise PatientError("Ce dossier est déjà anonymisé.")
        if locked.merged_into_id is not None:
            raise PatientError("Ce dossier a été fusionné : anonymisez le dossier conservé.")
        locked.last_name = "ANONYME"
        locked.first_name = f"n° {locked.pk}"
        locked.birth_date = datetime.date(locked.birth_date.year, 1, 1)
        locked.birth_rank = None
        for name in ERASED_FIELDS:
            setattr(locked, name, "")
        locked.gdpr_informed_on = None
        locked.consent_sms = locked.consent_email = False
        locked.nir_needs_review = False
        identity_status.erase_identitovigilance(locked)  # strict traits, document, INS
        locked.anonymised_at = timezone.now()
        locked.save()
        locked.coverages.update(
            insured_nir="", contract="", organism_number="", doctor_name="", label=""
        )
        # An anonymised record never shows in the duplicates list again, and the reason
        # written for a mark may identify the person ("jumelle de …"): the marks go.
        marks = NotDuplicatePair.objects.involving(locked.pk)
        unmarked = sorted(m.other_id(locked.pk) for m in marks.only("first_id", "second_id"))
        marks.delete()
        audit.record(
            actor=by,
            action="patient.anonymise",
            obj=locked,
            extra={
                "erased": [*ERASED_FIELDS, "last_name", "first_name", "birth_date"],
                "not_duplicate_marks_removed": unmarked,
            },
        )
    return locked


def patient_export(*, by: User, patient: Patient, fmt: Literal["json", "pdf"]) -> dict[str, Any]:
    """The subject access export (art. 15), journaled as read (`patient.export_json` or
    `patient.export_pdf`): the director's only."""
    _check_direction(by)
    audit.record_read(actor=by, action=f"patient.export_{fmt}", obj=patient)
    return patient_export_data(patient)


def _check_direction(by: User) -> None:
    if not perms.is_direction(by):
        raise Forbidden("Seule la direction exerce les droits RGPD sur un dossier.")


def patient_export_data(patient: Patient) -> dict[str, Any]:
    """Everything Passerelle holds about the person, for a subject access request."""
    from patients import hooks
    from patients.models import Coverage

    identity = audit.snapshot(patient, AUDITED_FIELDS)
    identity["id"] = patient.pk
    identity["created_at"] = patient.created_at.isoformat()
    coverages = [
        {"id": c.pk, **audit.snapshot(c, COVERAGE_FIELDS)}
        for c in Coverage.objects.filter(patient=patient).order_by("kind", "start")
    ]
    events = [
        {"at": e.at.isoformat(), "kind": e.kind, "label": e.label, "status": e.status}
        for e in hooks.timeline_for(patient, roles=_ALL_ROLES)
    ]
    # The director's decisions that this record is not the same person as another one: the
    # person learns that such a check was made and when, but not which other record nor the
    # reason, which concern someone else (the twin, the namesake) — the right of access must
    # not reveal that another person is a patient here (GDPR art. 15(4)).
    marks = [
        {"decided_at": decided_at.isoformat()}
        for decided_at in NotDuplicatePair.objects.involving(patient.pk)
        .order_by("decided_at", "pk")
        .values_list("decided_at", flat=True)
    ]
    return {
        "generated_at": timezone.now().isoformat(),
        "identity": identity,
        "coverages": coverages,
        "timeline": events,
        "not_duplicate_marks": marks,
    }


_ALL_ROLES = ("accueil", "soignant", "mediation", "facturation", "direction")
