"""Every write to patient data: one transaction, one audit entry in it."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from centre import audit
from centre.models import User
from centre.refusals import Refusal
from patients.identifiers import check_nir, normalize_phone
from patients.models import (
    MULTIPLE_KINDS,
    Coverage,
    CoverageKind,
    NotDuplicatePair,
    Patient,
    QpvStreet,
)

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
    import unicodedata

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


def coverage_add(*, patient: Patient, values: Mapping[str, Any], by: User) -> Coverage:
    """Add a right. For the kinds held one at a time, the current record of that kind is
    closed the day before the new one starts (history is kept, never overwritten)."""
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


# ---------------------------------------------------------------------------------------
# Merge


MergeSide = Literal["keep", "merged"]
MERGE_SIDES: tuple[MergeSide, ...] = ("keep", "merged")


def _attname(name: str) -> str:
    return getattr(Patient._meta.get_field(name), "attname", name)


def _is_blank(value: Any) -> bool:
    return value in ("", None)


def merge_differing_fields(keep: Patient, merged: Patient) -> list[str]:
    """The identity fields whose value differs between the two records (the merge screen
    offers a choice for these only), in `IDENTITY_FIELDS` order."""
    return [
        name
        for name in IDENTITY_FIELDS
        if getattr(keep, _attname(name)) != getattr(merged, _attname(name))
    ]


def merge_default_choices(keep: Patient, merged: Patient) -> dict[str, MergeSide]:
    """For each differing field, the side taken when the director does not choose: the kept
    record's value, or the other one's where the kept record has none (the merge before
    field-by-field choice existed did exactly this, and callers without choices still get it)."""
    defaults: dict[str, MergeSide] = {}
    for name in merge_differing_fields(keep, merged):
        mine, theirs = getattr(keep, _attname(name)), getattr(merged, _attname(name))
        defaults[name] = "merged" if _is_blank(mine) and not _is_blank(theirs) else "keep"
    return defaults


def patients_merge(
    *,
    keep: Patient,
    merged: Patient,
    by: User,
    choices: Mapping[str, MergeSide] | None = None,
) -> Patient:
    """Merge two records of one person. The older record (smaller id) is kept whatever the
    order given; every row of any app pointing to the other one is moved to it (found through
    `Patient._meta.related_objects`, so patients imports no other app); the other record is
    marked `merged_into` and its pages redirect.

    `choices` says, per identity field, whose value the kept record ends with: "keep" (the
    record kept, i.e. the older one, whatever the order of the arguments) or "merged" (the
    other one). Fields left out, or all of them when `choices` is None, follow
    `merge_default_choices` (blanks of the kept record filled from the other). The resulting
    identity goes through `clean_identity`, as an edit does: a NIR taken from one record must
    still match the sex and birth date kept, else ValidationError({field: message}) and
    nothing is changed.

    The audit entry holds the ids moved, both records' values and the fields that took the
    other record's value (`from_merged`, before/after): enough to undo by hand. All or
    nothing: a database constraint refusing a move (two appointments at the same time…)
    cancels the whole merge with a French message."""
    if keep.pk == merged.pk:
        raise PatientError("Choisissez deux dossiers différents.")
    if keep.pk > merged.pk:
        keep, merged = merged, keep
    choices = dict(choices or {})
    unknown = sorted(name for name in choices if name not in IDENTITY_FIELDS)
    if unknown:
        raise PatientError(f"Champs inconnus pour la fusion : {', '.join(unknown)}.")
    if any(side not in MERGE_SIDES for side in choices.values()):
        raise PatientError("Chaque champ prend la valeur de l'un des deux dossiers.")
    try:
        with transaction.atomic():
            # Both rows locked in id order (no deadlock with a concurrent merge of the pair).
            locked = {
                p.pk: p
                for p in Patient.objects.select_for_update()
                .filter(pk__in=(keep.pk, merged.pk))
                .order_by("pk")
            }
            keep, merged = locked[keep.pk], locked[merged.pk]
            if not keep.is_active or not merged.is_active:
                raise PatientError("Un des deux dossiers a déjà été fusionné ou anonymisé.")
            kept_before = audit.snapshot(keep, AUDITED_FIELDS)
            merged_before = audit.snapshot(merged, AUDITED_FIELDS)
            # Checked before any row moves; the values are those of the locked rows, so an
            # edit saved after the screen was shown is validated too.
            taken = _take_chosen_values(keep, merged, choices)
            marks = _carry_not_duplicate_marks(source=merged, target=keep)
            moved = _move_related_rows(source=merged, target=keep)
            keep.save()
            merged.merged_into = keep
            merged.save(update_fields=["merged_into", "updated_at"])
            kept_after = audit.snapshot(keep, AUDITED_FIELDS)
            audit.record(
                actor=by,
                action="patient.merge",
                obj=keep,
                changes=audit.diff(kept_before, kept_after),
                extra={
                    "merged_id": merged.pk,
                    "kept_before": kept_before,
                    "merged_values": merged_before,
                    "from_merged": {name: [kept_before[name], kept_after[name]] for name in taken},
                    "moved": moved,
                    "not_duplicate_marks": marks,
                },
            )
            audit.record(
                actor=by,
                action="patient.merged_into",
                obj=merged,
                changes={"merged_into": [None, keep.pk]},
            )
    except _MoveRefused as refused:
        raise PatientError(str(refused)) from None
    return keep


class _MoveRefused(Exception):
    pass


def _carry_not_duplicate_marks(*, source: Patient, target: Patient) -> dict[str, list[int]]:
    """The "not duplicates" marks of the merged record, before its rows are moved (both rows
    are locked by the caller). A mark between the two records being merged is dropped: the
    director decided otherwise. A mark "source is not C" becomes "target is not C": source and
    target are one person, so the decision still holds, and the pair target–C stays out of the
    list. Re-keyed in canonical order rather than moved as is (the order may flip, and the
    pair may already be marked). Returns the other records' ids, for the merge's audit entry."""
    carried: dict[str, list[int]] = {"removed": [], "moved": []}
    for mark in NotDuplicatePair.objects.select_for_update().involving(source.pk).order_by("pk"):
        other_id = mark.other_id(source.pk)
        if other_id == target.pk or NotDuplicatePair.objects.for_pair(target.pk, other_id).exists():
            mark.delete()
            carried["removed"].append(other_id)
            continue
        mark.first_id, mark.second_id = sorted((target.pk, other_id))
        mark.save(update_fields=["first", "second"])
        carried["moved"].append(other_id)
    return carried


def _take_chosen_values(
    keep: Patient, merged: Patient, choices: Mapping[str, MergeSide]
) -> list[str]:
    """Set on `keep` the other record's value for every differing field whose side is
    "merged" (chosen, or by default), after checking the resulting identity with the rules of
    an edit. Returns the names of the fields taken. A choice for a field equal on both sides
    changes nothing."""
    sides = merge_default_choices(keep, merged)
    sides.update({name: side for name, side in choices.items() if name in sides})
    taken = [name for name in IDENTITY_FIELDS if sides.get(name) == "merged"]
    if not taken:
        return []
    values = {name: getattr(keep, _attname(name)) for name in IDENTITY_FIELDS}
    values.update({name: getattr(merged, _attname(name)) for name in taken})
    cleaned = clean_identity(values)
    for name in taken:
        setattr(keep, _attname(name), cleaned[name])
    if "nir" in taken:
        keep.nir_needs_review = cleaned["nir_needs_review"]
    return taken


def _move_related_rows(*, source: Patient, target: Patient) -> dict[str, list[Any]]:
    moved: dict[str, list[Any]] = {}
    for relation in Patient._meta.related_objects:
        if relation.many_to_many:
            through = relation.through  # type: ignore[attr-defined]
            fk_name = relation.field.m2m_reverse_field_name()  # type: ignore[attr-defined]
            model = through
        else:
            model = relation.related_model
            fk_name = relation.field.name
        label = f"{model._meta.label_lower}.{fk_name}"
        manager = model._base_manager
        ids = list(manager.filter(**{fk_name: source.pk}).values_list("pk", flat=True))
        if not ids:
            continue
        try:
            with transaction.atomic():
                manager.filter(pk__in=ids).update(**{fk_name: target.pk})
        except IntegrityError:
            raise _MoveRefused(
                f"Fusion impossible : des « {model._meta.verbose_name_plural} » des deux "
                "dossiers entrent en conflit (par exemple deux rendez-vous au même moment). "
                "Réglez le conflit (annulez ou déplacez l'un d'eux), puis recommencez. "
                "Rien n'a été modifié."
            ) from None
        moved[label] = ids
    return moved


# ---------------------------------------------------------------------------------------
# "Not duplicates": pairs the director checked and found to be two people

NOT_DUPLICATE_REASON_MAX = NotDuplicatePair._meta.get_field("reason").max_length or 200


def patients_mark_not_duplicates(
    *, first: Patient, second: Patient, by: User, reason: str = ""
) -> NotDuplicatePair:
    """Record that two records are two different people (twins, homonyms): the pair leaves
    the possible-duplicates list. Idempotent: marking a pair already marked returns the
    existing mark unchanged (the first decision and its reason stay) and writes nothing.
    Merging the pair stays possible (the merge drops the mark)."""
    if first.pk == second.pk:
        raise PatientError("Choisissez deux dossiers différents.")
    reason = " ".join(reason.split())
    if len(reason) > NOT_DUPLICATE_REASON_MAX:
        raise PatientError(f"La raison ne doit pas dépasser {NOT_DUPLICATE_REASON_MAX} caractères.")
    first_id, second_id = sorted((first.pk, second.pk))
    with transaction.atomic():
        # Both rows locked in id order, as the merge does: a concurrent merge or
        # anonymisation of either record waits (or has finished and is seen below), and two
        # directors marking the same pair at once are serialised, the second finding the
        # first one's mark instead of failing on the unique constraint.
        locked = list(
            Patient.objects.select_for_update().filter(pk__in=(first_id, second_id)).order_by("pk")
        )
        if len(locked) != 2 or not all(p.is_active for p in locked):
            raise PatientError("Un des deux dossiers a été fusionné ou anonymisé.")
        existing = NotDuplicatePair.objects.for_pair(first_id, second_id).first()
        if existing is not None:
            return existing
        mark = NotDuplicatePair.objects.create(
            first_id=first_id, second_id=second_id, reason=reason, decided_by=by
        )
        for patient, other in ((locked[0], locked[1]), (locked[1], locked[0])):
            audit.record(
                actor=by,
                action="patient.not_duplicate",
                obj=patient,
                extra={"mark_id": mark.pk, "other_id": other.pk, "reason": reason},
            )
    return mark


def patients_unmark_not_duplicates(*, mark_id: int, by: User) -> bool:
    """Remove a "not duplicates" mark: the pair may show in the duplicates list again.
    Idempotent: False (and nothing written) when the mark is already gone."""
    with transaction.atomic():
        mark = (
            NotDuplicatePair.objects.select_for_update(of=("self",))
            .select_related("first", "second")
            .filter(pk=mark_id)
            .first()
        )
        if mark is None:
            return False
        decided = {
            "mark_id": mark.pk,
            "decided_by_id": mark.decided_by_id,
            "decided_at": mark.decided_at.isoformat(),
            "reason": mark.reason,
        }
        pair = ((mark.first, mark.second), (mark.second, mark.first))
        mark.delete()
        for patient, other in pair:
            audit.record(
                actor=by,
                action="patient.not_duplicate_undo",
                obj=patient,
                extra={**decided, "other_id": other.pk},
            )
    return True


# ---------------------------------------------------------------------------------------
# Rights of the person (GDPR)

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
