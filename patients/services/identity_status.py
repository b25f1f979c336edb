"""Identity status (identitovigilance): the strict traits' checks, the four RNIV statuses and
the INS. docs/identitovigilance.md.

Statuses (RNIV 1, § 3.1 and 3.2) and how each is reached here:

| status     | high-trust document checked | INS retrieved from INSi and checked |
|------------|-----------------------------|-------------------------------------|
| provisoire | no                          | no                                  |
| récupérée  | no                          | yes                                 |
| validée    | yes                         | no                                  |
| qualifiée  | yes                         | yes                                 |

What lowers it: a change of a strict trait (the check no longer covers the new traits: the
document check and the INS are dropped, the record goes back to provisoire); an INS that
INSi no longer confirms (`ins_verify`: the INS is dropped, qualifiée → validée, récupérée →
provisoire). A qualified identity's strict traits come from INSi: reception cannot change
them (`check_strict_traits_editable`); the direction first takes the qualification away
(`identity_unqualify`, journaled with its reason).

Every change is journaled in the transaction that makes it (`patient.identity.*`).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from centre import audit
from centre.models import User
from centre.refusals import Forbidden, Kind
from patients import insi, perms
from patients.models import (
    IDENTITY_STATUS_RANK,
    MINOR_ONLY_DOCUMENTS,
    BirthPlace,
    IdentityDocument,
    IdentityStatus,
    Patient,
)
from patients.services.identity import PatientError, ensure_changeable
from patients.strict_traits import clean_name, first_of, split_first_names

# The strict traits (RNIV 1, § 3.1.3), as fields of `Patient`.
STRICT_FIELDS = (
    "birth_name",
    "birth_first_names",
    "first_birth_first_name",
    "birth_date",
    "sex",
    "birth_place",
)
STATUS_FIELDS = (
    "identity_status",
    "identity_document",
    "identity_document_checked_on",
    "identity_document_checked_by",
    "ins_matricule",
    "ins_oid",
    "ins_retrieved_at",
)
STRICT_LABELS = {
    "birth_name": "nom de naissance",
    "birth_first_names": "prénoms de naissance",
    "first_birth_first_name": "premier prénom de naissance",
    "birth_date": "date de naissance",
    "sex": "sexe",
    "birth_place": "lieu de naissance",
}
# Age below which the family record book or the birth certificate may validate an identity.
MAJORITY = 18


def clean_strict_traits(cleaned: MutableMapping[str, Any], errors: dict[str, str]) -> None:
    """Normalise the strict traits among `cleaned` in place (called by
    `identity.clean_identity`, hence by every door): names trimmed (accents, particles,
    hyphens and apostrophes kept as typed), first names as an ordered list (a comma-separated
    string is split), the first birth first name defaulting to the first of the list and
    always equal to it, the birth place as a `BirthPlace` of the COG (an unknown code is an
    error on `birth_place`)."""
    if isinstance(cleaned.get("birth_name"), str):
        cleaned["birth_name"] = clean_name(cleaned["birth_name"])
    if "birth_first_names" in cleaned:
        names = cleaned["birth_first_names"] or []
        if isinstance(names, str):
            names = split_first_names(names)
        else:
            names = [n for n in (clean_name(str(n)) for n in names) if n]
        cleaned["birth_first_names"] = names
        first = clean_name(cleaned.get("first_birth_first_name") or "") or first_of(names)
        if names and first != names[0]:
            errors["first_birth_first_name"] = (
                "Le premier prénom de naissance est le premier de la liste des prénoms."
            )
        cleaned["first_birth_first_name"] = first if names else ""
    if "birth_place" in cleaned:
        place = cleaned["birth_place"]
        if isinstance(place, str):
            code = place.strip().upper()
            if not code:
                cleaned["birth_place"] = None
            else:
                found = BirthPlace.objects.filter(code=code).first()
                if found is None:
                    errors["birth_place"] = (
                        f"Le code INSEE « {code} » n'est ni une commune ni un pays connus "
                        "(code officiel géographique)."
                    )
                cleaned["birth_place"] = found


def changed_strict_traits(patient: Patient, values: Mapping[str, Any]) -> list[str]:
    """The strict traits that `values` (already cleaned) would change on `patient`."""
    changed = []
    for name in STRICT_FIELDS:
        if name not in values:
            continue
        new = values[name]
        if name == "birth_place":
            current: Any = patient.birth_place_id
            new = new.pk if isinstance(new, BirthPlace) else (new or None)
        else:
            current = getattr(patient, name)
        if name == "birth_first_names":
            current, new = list(current or []), list(new or [])
        if current != new:
            changed.append(name)
    return changed


def check_strict_traits_editable(patient: Patient, values: Mapping[str, Any]) -> None:
    """A qualified identity's strict traits come from INSi: reception may not change them
    (RNIV 1, § 3.2: the traits of a qualified identity are those of the INS)."""
    changed = changed_strict_traits(patient, values)
    if changed and patient.identity_status == IdentityStatus.QUALIFIED:
        labels = ", ".join(STRICT_LABELS[n] for n in changed)
        raise PatientError(
            "Identité qualifiée : les traits stricts viennent du téléservice INSi et ne "
            f"peuvent pas être modifiés à l'accueil ({labels}). Demandez à la direction de "
            "retirer la qualification si l'identité est erronée.",
            kind=Kind.FORBIDDEN,
            field=changed[0],
        )


def after_strict_traits_change(*, by: User | None, patient: Patient, changed: list[str]) -> None:
    """Lower the status after strict traits changed (`patient` locked, traits assigned,
    inside the caller's transaction): the document check and the INS covered the old
    traits, so both are dropped and the identity is provisional again."""
    if not changed or patient.identity_status == IdentityStatus.PROVISIONAL:
        return
    before = audit.snapshot(patient, STATUS_FIELDS)
    _drop_document(patient)
    _drop_ins(patient)
    patient.identity_status = IdentityStatus.PROVISIONAL
    patient.save(update_fields=[*STATUS_FIELDS, "updated_at"])
    audit.record(
        actor=by,
        action="patient.identity.lowered",
        obj=patient,
        changes=audit.diff(before, audit.snapshot(patient, STATUS_FIELDS)),
        extra={"reason": "strict_traits_changed", "traits": changed},
    )


def status_for(*, document_checked: bool, ins_retrieved: bool) -> IdentityStatus:
    if document_checked and ins_retrieved:
        return IdentityStatus.QUALIFIED
    if document_checked:
        return IdentityStatus.VALIDATED
    if ins_retrieved:
        return IdentityStatus.RETRIEVED
    return IdentityStatus.PROVISIONAL


def _status_of(patient: Patient) -> IdentityStatus:
    return status_for(
        document_checked=bool(patient.identity_document), ins_retrieved=bool(patient.ins_matricule)
    )


def _drop_document(patient: Patient) -> None:
    patient.identity_document = ""
    patient.identity_document_checked_on = None
    patient.identity_document_checked_by = None


def _drop_ins(patient: Patient) -> None:
    patient.ins_matricule = ""
    patient.ins_oid = ""
    patient.ins_retrieved_at = None


def _check_editor(by: User) -> None:
    if not perms.can_edit_identity(by):
        raise Forbidden("Votre rôle ne permet pas de vérifier l'identité d'un·e patient·e.")


def _locked(patient: Patient) -> Patient:
    ensure_changeable(patient)
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    ensure_changeable(locked)
    return locked


def _save_status(
    *, by: User, patient: Patient, before: dict[str, Any], action: str, extra: dict[str, Any]
) -> None:
    patient.identity_status = _status_of(patient)
    patient.save()
    audit.record(
        actor=by,
        action=action,
        obj=patient,
        changes=audit.diff(before, audit.snapshot(patient, (*STRICT_FIELDS, *STATUS_FIELDS))),
        extra=extra,
    )


@transaction.atomic
def identity_document_check(
    *,
    by: User,
    patient: Patient,
    document: str,
    checked_on: datetime.date | None = None,
) -> Patient:
    """Reception saw a high-trust identity document and the recorded strict traits match
    it: provisoire → validée, récupérée → qualifiée. Only the document's type and the date
    are kept, never a copy (RNIV 1, § 3.1.2; GDPR art. 5(1)(c))."""
    _check_editor(by)
    if document not in IdentityDocument.values:
        raise PatientError(
            "Choisissez une pièce d'identité à haut niveau de confiance.", field="document"
        )
    today = timezone.localdate()
    checked_on = checked_on or today
    if checked_on > today:
        raise PatientError("La vérification ne peut pas être datée du futur.", field="checked_on")
    locked = _locked(patient)
    missing = locked.strict_traits.missing()
    if missing:
        raise PatientError(
            "Complétez d'abord les traits stricts d'après la pièce : " + ", ".join(missing) + ".",
            field="document",
        )
    if document in MINOR_ONLY_DOCUMENTS and locked.age_on(checked_on) >= MAJORITY:
        raise PatientError(
            "Le livret de famille et l'extrait d'acte de naissance ne valident que l'identité "
            "d'un·e mineur·e (avec la pièce d'identité du parent).",
            field="document",
        )
    before = audit.snapshot(locked, (*STRICT_FIELDS, *STATUS_FIELDS))
    locked.identity_document = document
    locked.identity_document_checked_on = checked_on
    locked.identity_document_checked_by = by
    _save_status(
        by=by,
        patient=locked,
        before=before,
        action="patient.identity.document_checked",
        extra={"document": document},
    )
    return locked


@dataclass(frozen=True)
class InsRetrieval:
    """What an INSi search gave: `outcome` (found / not found / several / traits differ),
    the fields whose INSi value differs from the record's when they differ."""

    outcome: str  # insi.SearchOutcome value, or "traits_differents"
    patient: Patient
    differing: tuple[str, ...] = ()

    @property
    def stored(self) -> bool:
        return self.outcome == insi.SearchOutcome.FOUND


TRAITS_DIFFER = "traits_differents"


def _insi_values(traits: insi.InsiTraits) -> dict[str, Any]:
    return {
        "birth_name": traits.birth_name,
        "birth_first_names": list(traits.first_names),
        "first_birth_first_name": traits.first_first_name,
        "birth_date": traits.birth_date,
        "sex": traits.sex,
        "birth_place": traits.birth_place_code,
    }


def _differing(patient: Patient, traits: insi.InsiTraits) -> tuple[str, ...]:
    """The strict traits on which the record and INSi disagree, compared in RNIPP form (the
    record's accents do not count; a trait the record does not hold yet does not either)."""
    mine = patient.strict_traits.comparable()
    other = (  # the order of StrictTraits.comparable()
        traits.birth_name,
        traits.first_names,
        traits.first_first_name,
        traits.birth_date,
        traits.sex,
        traits.birth_place_code,
    )
    names = (
        "birth_name",
        "birth_first_names",
        "first_birth_first_name",
        "birth_date",
        "sex",
        "birth_place",
    )
    return tuple(
        name
        for name, a, b in zip(names, mine, other, strict=True)
        if a not in ("", (), None) and a != b
    )


def ins_search(
    *,
    by: User,
    patient: Patient,
    vitale: insi.VitaleQuery | None = None,
    accept_traits: bool = False,
) -> InsRetrieval:
    """Ask INSi for the person's INS, from the Vitale card when given, else from the
    record's strict traits. Found, with traits that match the record's: the INS (matricule,
    OID) is stored and the strict traits become INSi's (provisoire → récupérée, validée →
    qualifiée). Found with other traits: nothing is stored unless `accept_traits` (reception
    checked that INSi's traits are this person's): the record then takes INSi's traits, and
    a document checked for the old traits no longer counts (→ récupérée). Not found or
    several: nothing is stored. Every call is journaled with its outcome."""
    _check_editor(by)
    patient = Patient.objects.get(pk=patient.pk)  # the traits as saved, not a stale copy
    ensure_changeable(patient)
    try:
        backend = insi.get_backend()
        if vitale is not None:
            answer = backend.search_by_vitale(vitale)
        else:
            traits = patient.strict_traits
            if not traits.birth_name or traits.birth_date is None or not traits.sex:
                raise PatientError(
                    "Pour interroger INSi sans carte Vitale, saisissez au moins le nom de "
                    "naissance, le sexe et la date de naissance.",
                    field="birth_name",
                )
            answer = backend.search_by_traits(
                insi.TraitsQuery(
                    birth_name=traits.birth_name,
                    first_name=", ".join(traits.first_names) or patient.first_name,
                    sex=traits.sex,
                    birth_date=traits.birth_date,
                    birth_place_code=traits.birth_place_code,
                )
            )
    except insi.InsiUnavailable as error:
        raise PatientError(str(error), kind=Kind.CONFLICT) from None
    with transaction.atomic():
        locked = _locked(patient)
        if (
            answer.outcome is not insi.SearchOutcome.FOUND
            or answer.ins is None
            or answer.traits is None
        ):
            audit.record(
                actor=by,
                action="patient.identity.ins_search",
                obj=locked,
                extra={"outcome": str(answer.outcome), "by_vitale": vitale is not None},
            )
            return InsRetrieval(str(answer.outcome), locked)
        differing = _differing(locked, answer.traits)
        if differing and not accept_traits:
            audit.record(
                actor=by,
                action="patient.identity.ins_search",
                obj=locked,
                extra={
                    "outcome": TRAITS_DIFFER,
                    "differing": list(differing),
                    "by_vitale": vitale is not None,
                },
            )
            return InsRetrieval(TRAITS_DIFFER, locked, differing)
        if locked.identity_status == IdentityStatus.QUALIFIED and locked.ins_matricule not in (
            "",
            answer.ins.matricule,
        ):
            raise PatientError(
                "INSi renvoie un autre matricule que celui de cette identité qualifiée : "
                "signalez-le à la cellule d'identitovigilance.",
                kind=Kind.CONFLICT,
            )
        before = audit.snapshot(locked, (*STRICT_FIELDS, *STATUS_FIELDS))
        values = _insi_values(answer.traits)
        errors: dict[str, str] = {}
        clean_strict_traits(values, errors)
        if errors:
            raise PatientError(errors)
        for name, value in values.items():
            setattr(locked, name, value)
        if differing:
            _drop_document(locked)
        locked.ins_matricule = answer.ins.matricule
        locked.ins_oid = answer.ins.oid
        locked.ins_retrieved_at = timezone.now()
        _save_status(
            by=by,
            patient=locked,
            before=before,
            action="patient.identity.ins_retrieved",
            extra={
                "outcome": str(answer.outcome),
                "by_vitale": vitale is not None,
                "accepted_differing": list(differing),
            },
        )
    return InsRetrieval(str(answer.outcome), locked, differing)


def ins_verify(*, by: User, patient: Patient) -> insi.VerifyOutcome:
    """Ask INSi whether the stored INS still matches the record's traits (RNIV: before
    sending it to a partner, or when an identity is doubted). Not confirmed: the INS is
    dropped (qualifiée → validée, récupérée → provisoire). Journaled either way."""
    _check_editor(by)
    original, patient = patient, Patient.objects.get(pk=patient.pk)
    ensure_changeable(patient)
    if not patient.ins_matricule:
        raise PatientError("Ce dossier n'a pas d'INS à vérifier.", field="ins_matricule")
    traits = patient.strict_traits
    assert traits.birth_date is not None
    try:
        answer = insi.get_backend().verify(
            insi.InsIdentifier(patient.ins_matricule, patient.ins_oid),
            insi.InsiTraits(
                birth_name=traits.birth_name,
                first_names=traits.first_names,
                first_first_name=traits.first_first_name,
                sex=traits.sex,
                birth_date=traits.birth_date,
                birth_place_code=traits.birth_place_code,
            ),
        )
    except insi.InsiUnavailable as error:
        raise PatientError(str(error), kind=Kind.CONFLICT) from None
    with transaction.atomic():
        locked = _locked(patient)
        before = audit.snapshot(locked, (*STRICT_FIELDS, *STATUS_FIELDS))
        if answer.outcome is not insi.VerifyOutcome.CONFORM:
            _drop_ins(locked)
        _save_status(
            by=by,
            patient=locked,
            before=before,
            action="patient.identity.ins_verified",
            extra={"outcome": str(answer.outcome), "differing": list(answer.differing)},
        )
    original.refresh_from_db()
    return answer.outcome


@transaction.atomic
def identity_unqualify(*, by: User, patient: Patient, reason: str) -> Patient:
    """The direction takes the qualification away from an identity found wrong (the
    identitovigilance unit's decision): the INS is dropped, the document check kept
    (→ validée), the strict traits become editable again. Journaled with the reason."""
    if not perms.is_direction(by):
        raise Forbidden("Seule la direction peut retirer la qualification d'une identité.")
    if not reason.strip():
        raise PatientError("Indiquez la raison du retrait de la qualification.", field="reason")
    locked = _locked(patient)
    if locked.identity_status != IdentityStatus.QUALIFIED:
        raise PatientError("Cette identité n'est pas qualifiée.", kind=Kind.CONFLICT)
    before = audit.snapshot(locked, (*STRICT_FIELDS, *STATUS_FIELDS))
    _drop_ins(locked)
    _save_status(
        by=by,
        patient=locked,
        before=before,
        action="patient.identity.unqualified",
        extra={"reason": reason.strip()},
    )
    return locked


def status_rank(patient: Patient) -> int:
    return IDENTITY_STATUS_RANK[IdentityStatus(patient.identity_status)]


def merge_identities(
    *, by: User, keep: Patient, merged: Patient, confirm_qualified: bool = False
) -> list[str]:
    """Called by `duplicates.patients_merge` (both rows locked, inside its transaction,
    after the director's field choices were applied to `keep`): the kept record ends with
    the best-qualified identity of the two, i.e. its strict traits, status, document check
    and INS, whatever the choices said for the strict traits; when both are provisional the
    choices stand. Refused: two different INS (two people for INSi), and a better-qualified
    identity on the record that disappears unless the director confirms
    (`confirm_qualified`): a qualified identity is never merged into a provisional one
    without it. Returns the fields taken from `merged`; journaled (`patient.identity.merged`)."""
    if keep.ins_matricule and merged.ins_matricule and keep.ins_matricule != merged.ins_matricule:
        raise PatientError(
            "Fusion impossible : les deux dossiers ont des INS différentes, INSi les "
            "connaît comme deux personnes distinctes.",
            kind=Kind.CONFLICT,
        )
    keep_rank, merged_rank = status_rank(keep), status_rank(merged)
    if merged_rank > keep_rank and not confirm_qualified:
        raise PatientError(
            f"Le dossier n° {merged.pk} porte une identité plus sûre "
            f"({merged.get_identity_status_display().lower()}) que le dossier conservé "
            f"n° {keep.pk} ({keep.get_identity_status_display().lower()}) : confirmez que "
            "l'identité de ce dossier doit remplacer celle du dossier conservé.",
            kind=Kind.CONFLICT,
            field="confirm_qualified",
        )
    best = merged if merged_rank > keep_rank else keep
    if status_rank(best) == 0:
        return []
    # The kept record's saved values (the field choices are only set on `keep`, not saved).
    source = merged if best is merged else Patient.objects.get(pk=keep.pk)
    before = audit.snapshot(keep, (*STRICT_FIELDS, *STATUS_FIELDS))
    fields = (*STRICT_FIELDS, *STATUS_FIELDS)
    taken = []
    for name in fields:
        attname = getattr(Patient._meta.get_field(name), "attname", name)
        if getattr(keep, attname) != getattr(source, attname):
            setattr(keep, attname, getattr(source, attname))
            taken.append(name)
    if taken:
        keep.save()
        audit.record(
            actor=by,
            action="patient.identity.merged",
            obj=keep,
            changes=audit.diff(before, audit.snapshot(keep, fields)),
            extra={"from": source.pk, "merged_id": merged.pk, "confirmed": confirm_qualified},
        )
    return taken if best is merged else []


def merge_needs_confirmation(a: Patient, b: Patient) -> bool:
    """Whether merging these two records takes a better-qualified identity from the record
    that disappears (the newer one): the merge screen then asks the director to confirm."""
    keep, merged = (a, b) if a.pk < b.pk else (b, a)
    return status_rank(merged) > status_rank(keep)


def erase_identitovigilance(patient: Patient) -> None:
    """For the erasure (`gdpr.patient_anonymise`, on the locked record, nothing saved): the
    strict traits beyond those the erasure already handles (birth first names, birth place),
    the document checked and the INS identify the person and go; the identity is provisional
    again (the journal keeps that it was checked, never a value)."""
    patient.birth_first_names = []
    patient.first_birth_first_name = ""
    patient.birth_place = None
    _drop_document(patient)
    _drop_ins(patient)
    patient.identity_status = IdentityStatus.PROVISIONAL
