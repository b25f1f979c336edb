"""The patient record itself: registration, identity corrections, the checks both run."""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from centre import audit
from centre.models import User
from centre.refusals import Forbidden, Kind, Refusal
from patients import perms
from patients.identifiers import check_nir, normalize_phone
from patients.models import Patient, QpvStreet

IDENTITY_FIELDS = (
    "last_name",
    "birth_name",
    "first_name",
    "sex",
    "birth_date",
    "birth_rank",
    # Strict traits (identitovigilance, services/identity_status.py).
    "birth_first_names",
    "first_birth_first_name",
    "birth_place",
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
# With the identity status and the INS (written by services/identity_status.py only): in
# the journal's snapshots of a record and in its GDPR export.
AUDITED_FIELDS = (
    *IDENTITY_FIELDS,
    "nir_needs_review",
    "identity_status",
    "identity_document",
    "identity_document_checked_on",
    "ins_matricule",
    "ins_oid",
)


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
    from patients.services import identity_status

    identity_status.clean_strict_traits(cleaned, errors)
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


def patient_register(
    *,
    by: User,
    values: Mapping[str, Any],
    coverages: Sequence[Mapping[str, Any]] = (),
    has_medecin_traitant: bool | None = None,
    confirm_not_duplicate: bool = False,
) -> Patient:
    """Register a person, with the rights known at intake (`coverages`, added as
    `coverage.coverage_add` adds them; `has_medecin_traitant` as `coverage.rights_apply`).

    Every door (page, API) gets the same duplicate rule: when existing records look like the
    same person (`selectors.duplicate_candidates`) and the caller has not confirmed that this
    is someone else, a `PatientError` of kind conflict (409) is raised, its `details`
    holding the candidates (id, name, birth date; the NIR only for roles that see it), and
    nothing is saved. Confirmed: the record is saved and the candidates dismissed are
    journaled (`patient.duplicates_dismissed`) in the same transaction. All or nothing: a
    refused right cancels the registration."""
    from patients import selectors
    from patients.services import coverage

    if not perms.can_create(by):
        raise Forbidden("Votre rôle ne permet pas d'enregistrer un·e patient·e.")
    cleaned = clean_identity(values)
    fields = {k: v for k, v in cleaned.items() if k in AUDITED_FIELDS}
    try:
        with transaction.atomic():
            # Two clerks registering the same person at once would each find no candidate
            # and both save: registrations of one birth date are serialised.
            if isinstance(fields.get("birth_date"), datetime.date):
                _lock_birth_date(fields["birth_date"])
            candidates = selectors.duplicate_candidates(
                last_name=fields.get("last_name") or "",
                first_name=fields.get("first_name") or "",
                birth_name=fields.get("birth_name") or "",
                birth_date=fields.get("birth_date"),
                # A role that does not see NIRs must not learn whose a typed NIR is.
                nir=(fields.get("nir") or "") if perms.can_see_nir(by) else "",
            )
            # Identitovigilance: the same strict traits first (services/duplicates.py).
            from patients.services.duplicates import strict_trait_candidates

            strict = strict_trait_candidates(
                birth_name=fields.get("birth_name") or "",
                birth_date=fields.get("birth_date"),
                birth_place_code=getattr(fields.get("birth_place"), "pk", "") or "",
            )
            candidates = strict + [c for c in candidates if c not in strict]
            if candidates and not confirm_not_duplicate:
                raise _Duplicates(candidates)
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
            if candidates:
                audit.record(
                    actor=by,
                    action="patient.duplicates_dismissed",
                    obj=patient,
                    extra={"candidates": [c.pk for c in candidates]},
                )
            coverage.rights_apply(
                by=by,
                patient=patient,
                coverages=coverages,
                has_medecin_traitant=has_medecin_traitant,
                at_intake=True,
            )
    except _Duplicates as found:
        # Journaled outside the rolled-back transaction: the candidates were shown.
        shown = selectors.duplicate_candidates_shown(by=by, candidates=found.candidates)
        raise PatientError(
            "Cette personne est peut-être déjà enregistrée : vérifiez les dossiers proposés, "
            "ouvrez le bon, ou confirmez qu'il s'agit d'une autre personne.",
            kind=Kind.CONFLICT,
            details={"candidates": shown},
        ) from None
    return patient


def patient_update_with_rights(
    *,
    by: User,
    patient: Patient,
    values: Mapping[str, Any],
    coverages: Sequence[Mapping[str, Any]] = (),
    has_medecin_traitant: bool | None = None,
) -> Patient:
    """`patient_update` and `coverage.rights_apply` together, all or nothing (the API's PUT
    and PATCH, which carry both)."""
    from patients.services import coverage

    with transaction.atomic():
        updated = patient_update(patient=patient, values=values, by=by)
        coverage.rights_apply(
            by=by, patient=updated, coverages=coverages, has_medecin_traitant=has_medecin_traitant
        )
    return updated


class _Duplicates(Exception):
    def __init__(self, candidates: list[Patient]) -> None:
        super().__init__()
        self.candidates = candidates


# Namespace of the advisory locks taken by registrations (pg_advisory_xact_lock(int, int)).
_REGISTRATION_LOCK = 0x5041  # "PA"


def _lock_birth_date(day: datetime.date) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [_REGISTRATION_LOCK, day.toordinal()]
        )


def ensure_changeable(patient: Patient) -> None:
    """A merged or anonymised record never changes again (403: no role may). The API checks
    it before validating a body against the record."""
    if not patient.is_active:
        raise PatientError(
            "Ce dossier a été fusionné ou anonymisé : il ne peut plus changer.",
            kind=Kind.FORBIDDEN,
        )


def patient_update(*, patient: Patient, values: Mapping[str, Any], by: User) -> Patient:
    """Correct the identity. Reception and direction change any field; billing clerks the NIR
    only (they fix it from the caisse's returns); the others nothing."""
    if not perms.can_edit_identity(by):
        if not perms.can_edit_nir(by):
            raise Forbidden("Votre rôle ne permet pas de modifier ce dossier.")
        if set(values) - {"nir"}:
            raise Forbidden("Votre rôle permet de corriger le NIR seulement.")
    from patients.services import identity_status

    ensure_changeable(patient)
    merged = {name: getattr(patient, name) for name in IDENTITY_FIELDS}
    merged.update(values)
    cleaned = clean_identity(merged)
    with transaction.atomic():
        locked = Patient.objects.select_for_update().get(pk=patient.pk)
        ensure_changeable(locked)
        # Identitovigilance: a qualified identity's strict traits are read-only here, and a
        # change of a strict trait lowers the status (services/identity_status.py).
        identity_status.check_strict_traits_editable(locked, cleaned)
        strict_changed = identity_status.changed_strict_traits(locked, cleaned)
        changes = audit.assign(
            locked, {n: v for n, v in cleaned.items() if n in AUDITED_FIELDS}, AUDITED_FIELDS
        )
        locked.save()
        if changes:
            audit.record(actor=by, action="patient.update", obj=locked, changes=changes)
        identity_status.after_strict_traits_change(by=by, patient=locked, changed=strict_changed)
    return locked
