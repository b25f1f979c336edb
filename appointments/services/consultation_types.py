"""Consultation types (motifs) managed by reception and direction: create, correct, deactivate,
reactivate and delete an unused one. Each write takes the acting user, runs in one transaction
and records an audit entry in it (`consultation_type.*`). The Django admin only shows them
(read-only).

A type is never deleted once used: appointments, waiting-list entries and referrals point at it
(`on_delete=PROTECT`) and the reports count by it. Deactivating it takes it out of what is
offered for new bookings (booking and walk-in forms, slot search, the mediators' referral
choices, the API's list); appointments already made keep it.

A type's default duration is only the length proposed for a new booking: an appointment stores
its own start and end, so changing the duration moves no appointment already made."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import psycopg.errors
from django.db import IntegrityError, transaction
from django.db.models import Count, ProtectedError, Q, RestrictedError
from django.utils import timezone

from appointments.models import Appointment, Colour, ConsultationType, Status
from centre import audit
from centre.models import Profession, User
from centre.refusals import Refusal

# What the staff screens and the API may set. `is_active` changes through
# `consultation_type_set_active` on the pages, or `is_active` in an API PATCH.
EDITABLE_FIELDS = (
    "label",
    "profession",
    "duration_minutes",
    "colour",
    "bookable_by_mediators",
    "needs_interpreter_slot",
    "audience_sex",
    "audience_min_age",
    "audience_max_age",
)
AUDIT_FIELDS = (*EDITABLE_FIELDS, "is_active")

LABEL_MAX_LENGTH = 120  # ConsultationType.label
MIN_DURATION = 5
MAX_DURATION = 240  # also a database constraint (consultation_type_duration_range)
DURATION_STEP = 5  # the agenda and the slot search work in 5-minute steps

LABEL_TAKEN = (
    "Un motif porte déjà ce libellé (les majuscules ne comptent pas) : choisissez-en un autre."
)
NOT_EDITABLE = "Ce champ ne peut pas être modifié."
PROFESSION_LOCKED = (
    "Ce motif a déjà servi à des rendez-vous : sa profession ne peut plus changer (les "
    "rapports comptent ses consultations dans cette profession). Désactivez-le et créez-en un "
    "autre."
)
USED_CANNOT_DELETE = "Ce motif a déjà servi : il ne peut pas être supprimé. Désactivez-le plutôt."


class ConsultationTypeInvalid(Refusal):
    """The rules refuse a type; `{field: message}` ("" for the whole type), in French."""


def _validate(
    values: Mapping[str, Any], *, current: ConsultationType | None = None
) -> dict[str, str]:
    """The rules of a type, at creation (`current` None) and at correction."""
    errors: dict[str, str] = {}
    label = values["label"]
    if not label:
        errors["label"] = "Indiquez le libellé du motif."
    elif len(label) > LABEL_MAX_LENGTH:
        errors["label"] = f"Le libellé ne doit pas dépasser {LABEL_MAX_LENGTH} caractères."
    else:
        same = ConsultationType.objects.filter(label__iexact=label)
        if current is not None:
            same = same.exclude(pk=current.pk)
        if same.exists():
            errors["label"] = LABEL_TAKEN
    if values["profession"] not in Profession.values:
        errors["profession"] = "Choisissez une profession de la liste."
    elif current is not None and values["profession"] != current.profession and is_used(current):
        errors["profession"] = PROFESSION_LOCKED
    duration = values["duration_minutes"]
    # A type created in the admin before this rule keeps a duration that is not a multiple
    # of 5 until someone changes it: correcting its label must not be refused for that.
    if current is None or duration != current.duration_minutes:
        if not isinstance(duration, int) or not MIN_DURATION <= duration <= MAX_DURATION:
            errors["duration_minutes"] = (
                f"La durée doit être comprise entre {MIN_DURATION} et {MAX_DURATION} minutes."
            )
        elif duration % DURATION_STEP:
            errors["duration_minutes"] = (
                f"La durée doit être un multiple de {DURATION_STEP} minutes (ex. : 15, 20, 30)."
            )
    if values["colour"] not in Colour.values:
        errors["colour"] = "Choisissez une couleur de la liste."
    if values.get("audience_sex", "") not in ("", "F", "M"):
        errors["audience_sex"] = "Choisissez « Tout le monde », « Femmes » ou « Hommes »."
    low, high = values.get("audience_min_age"), values.get("audience_max_age")
    for name, age in (("audience_min_age", low), ("audience_max_age", high)):
        if age is not None and (not isinstance(age, int) or not 0 <= age <= 120):
            errors[name] = "Indiquez un âge entre 0 et 120 ans, ou laissez vide."
    if isinstance(low, int) and isinstance(high, int) and low > high and not errors:
        errors["audience_max_age"] = "L'âge maximum doit être supérieur ou égal à l'âge minimum."
    return errors


def _normalised(values: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(values)
    out["label"] = " ".join(str(out.get("label") or "").split())
    for name in ("bookable_by_mediators", "needs_interpreter_slot", "is_active"):
        if name in out:
            out[name] = bool(out[name])
    return out


def _save_or_taken(ctype: ConsultationType, **kwargs: Any) -> None:
    """Save in a savepoint: two people creating the same label at once both pass the check,
    the database constraint refuses the second, who gets the same message (never a 500)."""
    try:
        with transaction.atomic():
            ctype.save(**kwargs)
    except IntegrityError as error:
        if isinstance(error.__cause__, psycopg.errors.UniqueViolation):
            raise ConsultationTypeInvalid({"label": LABEL_TAKEN}) from error
        raise


def consultation_type_create(
    *,
    label: str,
    profession: str,
    duration_minutes: int,
    colour: str = Colour.BLUE,
    bookable_by_mediators: bool = False,
    needs_interpreter_slot: bool = False,
    audience_sex: str = "",
    audience_min_age: int | None = None,
    audience_max_age: int | None = None,
    by: User,
) -> ConsultationType:
    values = _normalised(
        {
            "label": label,
            "profession": profession,
            "duration_minutes": duration_minutes,
            "colour": colour,
            "bookable_by_mediators": bookable_by_mediators,
            "needs_interpreter_slot": needs_interpreter_slot,
            "audience_sex": audience_sex or "",
            "audience_min_age": audience_min_age,
            "audience_max_age": audience_max_age,
        }
    )
    with transaction.atomic():
        errors = _validate(values)
        if errors:
            raise ConsultationTypeInvalid(errors)
        ctype = ConsultationType(**values)
        _save_or_taken(ctype)
        audit.record(
            actor=by,
            action="consultation_type.create",
            obj=ctype,
            changes=audit.snapshot(ctype, AUDIT_FIELDS),
        )
    return ctype


def consultation_type_update(
    *, consultation_type: ConsultationType, changes: Mapping[str, Any], by: User
) -> ConsultationType:
    """Correct a type: `changes` maps fields of `EDITABLE_FIELDS` (and `is_active`) to new
    values, the others keep theirs. One `consultation_type.update` entry listing only the
    fields that changed, before and after; a correction that changes nothing writes nothing.
    A new duration applies to bookings made from now on (see the module docstring)."""
    refused = [name for name in changes if name not in AUDIT_FIELDS]
    if refused:
        raise ConsultationTypeInvalid(dict.fromkeys(refused, NOT_EDITABLE))
    with transaction.atomic():
        # Lock the row: the page and the API correcting the same type at once would each
        # validate against the old row and the second would silently undo the first.
        locked = ConsultationType.objects.select_for_update().get(pk=consultation_type.pk)
        values = _normalised({name: getattr(locked, name) for name in AUDIT_FIELDS} | dict(changes))
        errors = _validate(values, current=locked)
        if errors:
            raise ConsultationTypeInvalid(errors)
        diff = audit.assign(locked, values, AUDIT_FIELDS)
        if not diff:
            return locked
        _save_or_taken(locked, update_fields=list(diff))
        audit.record(actor=by, action="consultation_type.update", obj=locked, changes=diff)
    return locked


def consultation_type_set_active(
    *, consultation_type: ConsultationType, active: bool, by: User
) -> ConsultationType:
    """Deactivate (no longer offered for new bookings; appointments already made keep it) or
    reactivate a type. Setting the state it already has writes nothing."""
    with transaction.atomic():
        locked = ConsultationType.objects.select_for_update().get(pk=consultation_type.pk)
        if locked.is_active == active:
            return locked
        locked.is_active = active
        locked.save(update_fields=["is_active"])
        audit.record(
            actor=by,
            action="consultation_type.reactivate" if active else "consultation_type.deactivate",
            obj=locked,
            changes={"is_active": [not active, active]},
            extra={"upcoming_appointments": upcoming_count(locked)},
        )
    return locked


def consultation_type_delete(*, consultation_type: ConsultationType, by: User) -> None:
    """Delete a type that never served (a typo, a duplicate). One that did is refused: the
    foreign keys protect it (appointments, waiting list, referrals)."""
    with transaction.atomic():
        locked = ConsultationType.objects.select_for_update().get(pk=consultation_type.pk)
        if is_used(locked):
            raise ConsultationTypeInvalid({"": USED_CANNOT_DELETE})
        audit.record(
            actor=by,
            action="consultation_type.delete",
            obj=locked,
            changes={k: [v, None] for k, v in audit.snapshot(locked, AUDIT_FIELDS).items()},
        )
        try:
            # Savepoint: a waiting-list entry or a referral (other apps) protects it too.
            with transaction.atomic():
                locked.delete()
        except (ProtectedError, RestrictedError) as error:
            raise ConsultationTypeInvalid({"": USED_CANNOT_DELETE}) from error


# --- reads ------------------------------------------------------------------------------------


def is_used(consultation_type: ConsultationType) -> bool:
    return Appointment.objects.filter(consultation_type=consultation_type).exists()


def upcoming_count(consultation_type: ConsultationType) -> int:
    """Booked appointments of this type still to come: they keep their type and their times
    whatever happens to it."""
    return Appointment.objects.filter(
        consultation_type=consultation_type, status=Status.BOOKED, start__gte=timezone.now()
    ).count()


@dataclass(frozen=True)
class TypeUsage:
    last_year: int = 0  # appointments started in the last 12 months, cancellations left out
    upcoming: int = 0  # booked appointments from now on
    ever: int = 0  # every appointment, whatever its date and status


# Cancelled appointments (by the patient or the centre) did not use the type's time.
_CANCELLED = (Status.EXCUSED, Status.CANCELLED)


def usage_by_type(
    type_ids: Iterable[int], now: datetime.datetime | None = None
) -> dict[int, TypeUsage]:
    """How much each type serves, in one query (grouped by type)."""
    now = now or timezone.now()
    year_ago = now - datetime.timedelta(days=365)
    rows = (
        Appointment.objects.filter(consultation_type_id__in=list(type_ids))
        .values("consultation_type_id")
        .annotate(
            last_year=Count(
                "pk",
                filter=Q(start__gte=year_ago, start__lt=now) & ~Q(status__in=_CANCELLED),
            ),
            upcoming=Count("pk", filter=Q(start__gte=now, status=Status.BOOKED)),
            ever=Count("pk"),
        )
        .order_by()
    )
    return {
        row["consultation_type_id"]: TypeUsage(row["last_year"], row["upcoming"], row["ever"])
        for row in rows
    }
