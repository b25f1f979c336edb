"""Collective actions (workshops, Café Santé, screenings…): enter and correct (their
organiser only)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction

from centre import audit
from centre.models import User
from centre.refusals import Forbidden, Kind, NotFound
from outreach import perms
from outreach.models import (
    CollectiveAction,
    CollectiveKind,
    Person,
    Place,
    Theme,
)
from outreach.services.base import NOT_EDITABLE, OutreachError, fail_if
from patients.models import Patient

COLLECTIVE_FIELDS = (
    "kind",
    "title",
    "place",
    "site",
    "held_on",
    "start_time",
    "end_time",
    "partners",
    "participants_count",
    "themes",
    "cls_action",
)


# What a correction may change: everything the entry form has. Left out: `organiser` (who
# entered the action, and the one who may correct it), `site` (copied from the place, see
# `collective_action_update`) and the named attendees (the form never offers them).
COLLECTIVE_EDITABLE_FIELDS = (*(name for name in COLLECTIVE_FIELDS if name != "site"), "notes")
# The review (`notes`) is free text that may name people: like `outreach.collective_action.
# create`, the journal records that it changed, never its text.
TEXT_NOT_JOURNALED = "(texte libre, non journalisé)"
COLLECTIVE_EDIT_REFUSED = (
    "Seul·e la personne qui a saisi cette action (son organisateur·rice) peut la corriger."
)


def _validate_collective(
    *,
    kind: str,
    title: str,
    place: Place,
    start_time: datetime.time | None,
    end_time: datetime.time | None,
    participants_count: int,
    named: int,
    themes: Sequence[str],
    before: CollectiveAction | None = None,
    named_field: str = "attendees",
) -> dict[str, str]:
    """The rules of a collective action, at creation (`before` None) and at correction.
    `named` is the number of patients named as present, reported on `named_field`."""
    errors: dict[str, str] = {}
    if kind not in CollectiveKind.values:
        errors["kind"] = "Type d'action inconnu."
    if not title:
        errors["title"] = "Donnez un intitulé à l'action."
    # An old action keeps a place no longer used; a new or moved one goes to a place in use.
    if (before is None or place.pk != before.place_id) and not place.is_active:
        errors["place"] = "Ce lieu n'est plus actif."
    if start_time and end_time and end_time <= start_time:
        errors["end_time"] = "L'heure de fin doit être après l'heure de début."
    if participants_count < 0:
        errors["participants_count"] = "Le nombre de participant·e·s ne peut être négatif."
    elif named > participants_count:
        errors[named_field] = (
            "Plus de patient·e·s nommé·e·s que de participant·e·s : corrigez le nombre."
        )
    unknown = [t for t in themes if t not in Theme.values]
    if unknown:
        errors["themes"] = f"Thème inconnu : {', '.join(map(str, unknown))}."
    return errors


def collective_action_create(
    *,
    by: User,
    kind: str,
    title: str,
    place: Place,
    held_on: datetime.date,
    participants_count: int,
    start_time: datetime.time | None = None,
    end_time: datetime.time | None = None,
    partners: str = "",
    themes: Iterable[str] = (),
    cls_action: str = "",
    notes: str = "",
    attendees: Iterable[Patient] = (),
) -> CollectiveAction:
    perms.require(by, perms.WRITE)
    themes = list(themes)
    attendees = list(attendees)
    fail_if(
        _validate_collective(
            kind=kind,
            title=title.strip(),
            place=place,
            start_time=start_time,
            end_time=end_time,
            participants_count=participants_count,
            named=len(attendees),
            themes=themes,
        )
    )
    with transaction.atomic():
        action = CollectiveAction.objects.create(
            kind=kind,
            title=title.strip(),
            place=place,
            site=place.site,
            held_on=held_on,
            start_time=start_time,
            end_time=end_time,
            partners=partners.strip(),
            participants_count=participants_count,
            themes=themes,
            cls_action=cls_action.strip(),
            notes=notes.strip(),
            organiser=by,
        )
        if attendees:
            action.attendees.set(attendees)
        audit.record(
            actor=by,
            action="outreach.collective_action.create",
            obj=action,
            changes={
                **audit.snapshot(action, COLLECTIVE_FIELDS),
                "attendees": [p.pk for p in attendees],
            },
        )
    return action


def collective_action_update(
    *, by: User, action: CollectiveAction, changes: Mapping[str, Any]
) -> CollectiveAction:
    """Correct a collective action after it was entered: `changes` maps fields of
    `COLLECTIVE_EDITABLE_FIELDS` to their new values (the others keep theirs). Only its
    organiser may (`perms.can_edit_collective_action`). Same rules and messages as
    `collective_action_create`, one transaction, one `outreach.collective_action.update`
    entry listing only the fields that changed; a correction that changes nothing writes
    nothing.

    `site` follows a new place (as at creation) and only then: an action whose place was
    attached to another site since keeps the site it was counted in."""
    # The object-level rule first, on the row as passed (its organiser never changes), so
    # that a colleague gets « not yours » (403) rather than a field-level 400; checked again
    # under lock below.
    if not perms.can_edit_collective_action(by, action):
        raise Forbidden(COLLECTIVE_EDIT_REFUSED)
    refused = [name for name in changes if name not in COLLECTIVE_EDITABLE_FIELDS]
    fail_if(dict.fromkeys(refused, NOT_EDITABLE))
    with transaction.atomic():
        # Lock the row (not the place: `of=("self",)`): two corrections at once would each
        # validate against the old row and the second would undo the first unjournaled.
        action = (
            CollectiveAction.objects.select_for_update(of=("self",))
            .select_related("place")
            .get(pk=action.pk)
        )
        if not perms.can_edit_collective_action(by, action):
            raise Forbidden(COLLECTIVE_EDIT_REFUSED)
        values: dict[str, Any] = {
            name: getattr(action, name) for name in COLLECTIVE_EDITABLE_FIELDS
        } | dict(changes)
        for name in ("title", "partners", "cls_action", "notes"):
            values[name] = (values[name] or "").strip()
        values["themes"] = list(values["themes"])
        fail_if(
            _validate_collective(
                kind=values["kind"],
                title=values["title"],
                place=values["place"],
                start_time=values["start_time"],
                end_time=values["end_time"],
                participants_count=values["participants_count"],
                named=named_count(action),
                themes=values["themes"],
                before=action,
                named_field="participants_count",
            )
        )
        if values["place"].pk != action.place_id:
            values["site"] = values["place"].site
        notes_changed = values["notes"] != action.notes
        diff: dict[str, Any] = audit.assign(action, values, COLLECTIVE_FIELDS)
        if notes_changed:
            diff["notes"] = [TEXT_NOT_JOURNALED, TEXT_NOT_JOURNALED]
        if not diff:
            return action
        action.save(update_fields=list(diff))
        audit.record(actor=by, action="outreach.collective_action.update", obj=action, changes=diff)
    return action


# --- Named attendance ---------------------------------------------------------------------

ATTENDEE_MORE_THAN_COUNT = (
    "Toutes les personnes déclarées sont déjà nommées : augmentez d'abord le nombre de "
    "participant·e·s."
)
ATTENDEE_ALREADY = "Cette personne est déjà inscrite comme présente."


def named_count(action: CollectiveAction) -> int:
    """Patients and people met by the mediation named as present (the rest is a headcount)."""
    return action.attendees.count() + action.attendee_persons.count()


def collective_action_attendee_add(
    *,
    by: User,
    action: CollectiveAction,
    patient: Patient | None = None,
    person: Person | None = None,
) -> CollectiveAction:
    """Name one person as present: a patient of the centre, or someone met by the mediation
    (a person linked to a patient record is named as that patient, one identity). Only the
    organiser may; no more named people than the headcount declared. Journaled with ids only
    (`outreach.collective_action.attendee_add`)."""
    if (patient is None) == (person is None):
        raise OutreachError({"attendee": "Choisissez une personne à inscrire."})
    if person is not None and person.patient_id is not None:
        patient, person = person.patient, None
    with transaction.atomic():
        action = _locked_for_edit(by, action)
        if (patient is not None and action.attendees.filter(pk=patient.pk).exists()) or (
            person is not None and action.attendee_persons.filter(pk=person.pk).exists()
        ):
            raise OutreachError({"attendee": ATTENDEE_ALREADY}, kind=Kind.CONFLICT)
        if named_count(action) >= action.participants_count:
            raise OutreachError({"attendee": ATTENDEE_MORE_THAN_COUNT})
        if patient is not None:
            action.attendees.add(patient)
            changes: dict[str, Any] = {"patient": [None, patient.pk]}
        else:
            assert person is not None
            action.attendee_persons.add(person)
            changes = {"person": [None, person.pk]}
        audit.record(
            actor=by,
            action="outreach.collective_action.attendee_add",
            obj=action,
            changes=changes,
        )
    return action


def collective_action_attendee_remove(
    *,
    by: User,
    action: CollectiveAction,
    patient: Patient | None = None,
    person: Person | None = None,
) -> CollectiveAction:
    """Take a person off the named attendance (they stay in the headcount)."""
    if (patient is None) == (person is None):
        raise OutreachError({"attendee": "Choisissez une personne à retirer."})
    with transaction.atomic():
        action = _locked_for_edit(by, action)
        if patient is not None:
            if not action.attendees.filter(pk=patient.pk).exists():
                raise NotFound("Cette personne n'est pas inscrite à cette action.")
            action.attendees.remove(patient)
            changes: dict[str, Any] = {"patient": [patient.pk, None]}
        else:
            assert person is not None
            if not action.attendee_persons.filter(pk=person.pk).exists():
                raise NotFound("Cette personne n'est pas inscrite à cette action.")
            action.attendee_persons.remove(person)
            changes = {"person": [person.pk, None]}
        audit.record(
            actor=by,
            action="outreach.collective_action.attendee_remove",
            obj=action,
            changes=changes,
        )
    return action


def _locked_for_edit(by: User, action: CollectiveAction) -> CollectiveAction:
    if not perms.can_edit_collective_action(by, action):
        raise Forbidden(COLLECTIVE_EDIT_REFUSED)
    locked = CollectiveAction.objects.select_for_update(of=("self",)).get(pk=action.pk)
    if not perms.can_edit_collective_action(by, locked):
        raise Forbidden(COLLECTIVE_EDIT_REFUSED)
    return locked
