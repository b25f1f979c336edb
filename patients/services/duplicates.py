"""Two records of one person: merged; or two people, marked "not duplicates"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from django.db import IntegrityError, transaction
from django.db.models import Case, F, IntegerField, Q, Value, When

from centre import audit
from centre.models import User
from centre.refusals import Forbidden
from patients import perms
from patients.models import (
    IDENTITY_STATUS_RANK,
    NotDuplicatePair,
    Patient,
    Unaccent,
)
from patients.services import identity_status
from patients.services.identity import (
    AUDITED_FIELDS,
    IDENTITY_FIELDS,
    PatientError,
    clean_identity,
)


def _check_direction(by: User) -> None:
    # Merging and deciding who is who are the director's (patients/perms.py).
    if not perms.is_direction(by):
        raise Forbidden("Seule la direction peut fusionner des dossiers ou les déclarer distincts.")


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
    confirm_qualified: bool = False,
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
    cancels the whole merge with a French message.

    Identitovigilance (`identity_status.merge_identities`): the kept record ends with the
    best-qualified identity of the two (its strict traits, status and INS); a better-qualified
    identity on the newer record is taken only with `confirm_qualified` (the director's
    confirmation), and two different INS are never merged."""
    _check_direction(by)
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
            identity_status.merge_identities(
                by=by, keep=keep, merged=merged, confirm_qualified=confirm_qualified
            )
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
    _check_direction(by)
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
    _check_direction(by)
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
# Identitovigilance: candidates on the strict traits (services/identity_status.py)


def strict_trait_candidates(
    *,
    birth_name: str,
    birth_date: Any,
    birth_place_code: str = "",
    exclude_id: int | None = None,
    limit: int = 10,
) -> list[Patient]:
    """Active records with the same strict traits (RNIV 1, § 3.1.1: search on the strict
    traits first): the same birth name (accents and case aside) and birth date, and the same
    birth place when both records know it. The best-qualified identities come first (a
    qualified record is the one to open), then the oldest."""
    if not birth_name or birth_date is None:
        return []
    qs = (
        Patient.objects.active()
        .annotate(plain_birth_name=Unaccent(F("birth_name")))
        .filter(birth_date=birth_date, plain_birth_name=Unaccent(Value(birth_name)))
    )
    if birth_place_code:
        qs = qs.filter(Q(birth_place__isnull=True) | Q(birth_place_id=birth_place_code))
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    rank = Case(
        *(
            When(identity_status=status, then=Value(r))
            for status, r in IDENTITY_STATUS_RANK.items()
        ),
        default=Value(0),
        output_field=IntegerField(),
    )
    found: list[Patient] = list(qs.order_by(-rank, "id")[:limit])
    return found
