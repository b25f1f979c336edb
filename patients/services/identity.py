"""The patient record itself: registration, identity corrections, the checks both run."""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from centre import audit
from centre.models import User
from centre.refusals import Refusal
from patients.identifiers import check_nir, normalize_phone
from patients.models import Patient, QpvStreet

IDENTITY_FIELDS = (
    "last_name",
    "birth_name",
    "first_name",
    "sex",
    "birth_date",
    "birth_rank",
    "nir",
    "phone",
    "phone_alt",
    "email",
    "address",
    "postal_code",
    "city",
    "in_qpv",
    "usual_site",
    "language",
    "interpreter_needed",
    "consent_sms",
    "consent_email",
    "gdpr_informed_on",
    "admin_notes",
)
AUDITED_FIELDS = (*IDENTITY_FIELDS, "nir_needs_review")


class PatientError(Refusal):
    """A refused operation; the message is French and meant for the user."""


def clean_identity(values: Mapping[str, Any]) -> dict[str, Any]:
    """Normalised identity values (E.164 phones, compact NIR, names trimmed), or
    ValidationError({field: message}) listing every problem. Forms and the API call it; the
    services call it again so that nothing unchecked reaches the table."""
    cleaned = dict(values)
    errors: dict[str, str] = {}
    for name in ("last_name", "birth_name", "first_name", "city"):
        if isinstance(cleaned.get(name), str):
            cleaned[name] = " ".join(cleaned[name].split())
    for name in ("phone", "phone_alt"):
        if name in cleaned:
            try:
                cleaned[name] = normalize_phone(cleaned[name] or "")
            except ValidationError as error:
                errors[name] = error.messages[0]
    if cleaned.get("nir"):
        try:
            checked = check_nir(
                cleaned["nir"], sex=cleaned.get("sex"), birth_date=cleaned.get("birth_date")
            )
        except ValidationError as error:
            errors["nir"] = error.messages[0]
        else:
            cleaned["nir"] = checked.value
            cleaned["nir_needs_review"] = checked.provisional
    elif "nir" in cleaned:
        cleaned["nir"] = ""
        cleaned["nir_needs_review"] = False
    birth_date = cleaned.get("birth_date")
    if isinstance(birth_date, datetime.date) and birth_date > timezone.localdate():
        errors["birth_date"] = "La date de naissance ne peut pas être dans le futur."
    if errors:
        raise ValidationError(errors)
    return cleaned


def street_in_qpv(address: str, city: str) -> QpvStreet | None:
    """The QPV street list entry matching the address, if any (reference data)."""
    if not address or not city:
        return None
    key = street_key(address)
    candidates = QpvStreet.objects.filter(city__iexact=city.strip())
    for street in candidates:
        if street.street_key and street.street_key in key:
            return street
    return None


def street_key(text: str) -> str:
    """`12 bis, Rue de l'Écluse` → `rue de l ecluse` (no number, no accent, no punctuation)."""
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c if c.isalpha() or c == " " else " " for c in plain if c.isascii())
    words = [w for w in plain.split() if w not in {"bis", "ter"}]
    return " ".join(words)


def patient_create(*, values: Mapping[str, Any], by: User) -> Patient:
    cleaned = clean_identity(values)
    fields = {k: v for k, v in cleaned.items() if k in AUDITED_FIELDS}
    with transaction.atomic():
        patient = Patient(**fields, created_by=by)
        if patient.in_qpv is None and street_in_qpv(patient.address, patient.city):
            patient.in_qpv = True
        patient.save()
        audit.record(
            actor=by,
            action="patient.create",
            obj=patient,
            changes=audit.diff({}, audit.snapshot(patient, AUDITED_FIELDS)),
        )
    return patient


def patient_update(*, patient: Patient, values: Mapping[str, Any], by: User) -> Patient:
    if not patient.is_active:
        raise PatientError("Ce dossier a été fusionné ou anonymisé : il ne peut plus changer.")
    merged = {name: getattr(patient, name) for name in IDENTITY_FIELDS}
    merged.update(values)
    cleaned = clean_identity(merged)
    with transaction.atomic():
        locked = Patient.objects.select_for_update().get(pk=patient.pk)
        changes = audit.assign(
            locked, {n: v for n, v in cleaned.items() if n in AUDITED_FIELDS}, AUDITED_FIELDS
        )
        locked.save()
        if changes:
            audit.record(actor=by, action="patient.update", obj=locked, changes=changes)
    return locked
