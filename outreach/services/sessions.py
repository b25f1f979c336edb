"""Rights-access sessions (entretiens) with a person met: log one (creating the person
met, opening a file, making a referral in the same transaction), correct it (its author
only), mark its follow-up done."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from centre import audit
from centre.models import User
from centre.refusals import Forbidden
from outreach import perms
from outreach.models import (
    ACTIONS_NEEDING_CONSENT,
    HISTORICAL_TOPICS,
    Action,
    AgeBand,
    Channel,
    Interpreting,
    Outcome,
    Permanence,
    Person,
    Place,
    ReferralStatus,
    RightKind,
    RightsFile,
    RightsSession,
    Sex,
    Situation,
    Topic,
    TransitionError,
    TriState,
)
from outreach.services.base import NOT_EDITABLE, OutreachError, fail_if, mediator_site
from outreach.services.referrals import (
    ReferralRequest,
    create_referral_in_transaction,
    validate_referral,
)
from patients.models import Patient


@dataclass(frozen=True)
class AnonymousPerson:
    """What is recorded of a person met without a patient record."""

    sex: str = ""
    age_band: str = ""
    in_qpv: str = TriState.UNKNOWN
    neighbourhood: str = ""
    language: str = "fr"
    alias: str = ""


@dataclass(frozen=True)
class SessionInput:
    held_on: datetime.date
    topics: Sequence[str]
    actions: Sequence[str] = ()
    channel: str = Channel.PERMANENCE
    permanence: Permanence | None = None
    place: Place | None = None
    started_at: datetime.time | None = None
    duration_minutes: int = 20
    situation: str = ""
    interpreting: str = Interpreting.NONE
    interpreter_language: str = ""
    outcome: str = Outcome.IN_PROGRESS
    followup_on: datetime.date | None = None
    consent_on: datetime.date | None = None
    consent_scope: str = ""
    notes: str = ""
    file: RightsFile | None = None
    open_file_kind: str = ""
    first_contact: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)


SESSION_FIELDS = (
    "person",
    "mediator",
    "channel",
    "permanence",
    "place",
    "site",
    "held_on",
    "started_at",
    "duration_minutes",
    "first_contact",
    "situation",
    "topics",
    "actions",
    "interpreting",
    "interpreter_language",
    "outcome",
    "followup_on",
    "file",
    "consent_on",
    "consent_scope",
)


def _changed(before: RightsSession | None, name: str, value: Any) -> bool:
    if before is None:
        return True
    if name == "file":
        return (value.pk if value is not None else None) != before.file_id
    return bool(getattr(before, name) != value)


def _validate_session(
    data: SessionInput,
    *,
    today: datetime.date,
    person: Person | None,
    before: RightsSession | None = None,
) -> dict[str, str]:
    """The rules of a session. `before` is the session being corrected: rules that depend on
    the day of entry (a follow-up not in the past, an open file) or on what is still offered
    (historical topics) then only apply to the values that change, so that a session entered
    last month can still be corrected."""
    errors: dict[str, str] = {}
    topics = list(data.topics)
    kept = set(before.topics) & HISTORICAL_TOPICS if before is not None else set()
    if not topics:
        errors["topics"] = "Cochez au moins un sujet."
    else:
        unknown = [
            t for t in topics if t not in Topic.values or (t in HISTORICAL_TOPICS and t not in kept)
        ]
        if unknown:
            errors["topics"] = f"Sujet inconnu : {', '.join(map(str, unknown))}."
        elif len(set(topics)) != len(topics):
            errors["topics"] = "Un sujet est coché deux fois."
    unknown_actions = [a for a in data.actions if a not in Action.values]
    if unknown_actions:
        errors["actions"] = f"Action inconnue : {', '.join(map(str, unknown_actions))}."
    # Where and when a session was held is not corrected (`SESSION_EDITABLE_FIELDS`): a
    # correction is not refused over fields it cannot change.
    if before is None:
        if data.channel not in Channel.values:
            errors["channel"] = "Lieu de l'entretien inconnu."
        elif data.channel == Channel.PERMANENCE and data.permanence is None:
            errors["permanence"] = "Choisissez la permanence."
        if data.permanence is not None:
            perm_day = timezone.localtime(data.permanence.start).date()
            if data.permanence.is_cancelled:
                errors["permanence"] = "Cette permanence est annulée."
            elif perm_day != data.held_on:
                errors["held_on"] = "La date ne correspond pas à celle de la permanence."
        if data.held_on > today:
            errors["held_on"] = "Un entretien ne peut pas être saisi à l'avance."
    if not 1 <= data.duration_minutes <= 480:
        errors["duration_minutes"] = "La durée doit être comprise entre 1 et 480 minutes."
    if data.situation and data.situation not in Situation.values:
        errors["situation"] = "Situation inconnue."
    if data.interpreting not in Interpreting.values:
        errors["interpreting"] = "Type d'interprétariat inconnu."
    elif data.interpreting != Interpreting.NONE and not data.interpreter_language.strip():
        errors["interpreter_language"] = "Indiquez la langue de l'interprétariat."
    if data.outcome not in Outcome.values:
        errors["outcome"] = "Issue inconnue."
    if (
        data.followup_on is not None
        and data.followup_on < today
        and _changed(before, "followup_on", data.followup_on)
    ):
        errors["followup_on"] = "La date de suivi ne peut pas être dans le passé."
    if set(data.actions) & ACTIONS_NEEDING_CONSENT and data.consent_on is None:
        errors["consent_on"] = (
            "Agir auprès d'un organisme pour la personne demande son accord : "
            "indiquez la date de l'accord."
        )
    if data.consent_on is not None and data.consent_on > today:
        errors["consent_on"] = "La date de l'accord ne peut pas être dans le futur."
    if data.open_file_kind and data.open_file_kind not in RightKind.values:
        errors["open_file_kind"] = "Type de droit inconnu."
    if data.file is not None and _changed(before, "file", data.file):
        if person is None or data.file.person_id != person.pk:
            errors["file"] = "Ce dossier concerne une autre personne."
        elif not data.file.is_open:
            errors["file"] = "Ce dossier est clos."
        if data.open_file_kind:
            errors["open_file_kind"] = "Choisissez un dossier existant ou un nouveau, pas les deux."
    return errors


def _validate_anonymous(anon: AnonymousPerson) -> dict[str, str]:
    errors: dict[str, str] = {}
    if anon.sex not in Sex.values:
        errors["sex"] = "Sexe inconnu."
    if anon.age_band not in AgeBand.values:
        errors["age_band"] = "Tranche d'âge inconnue."
    if anon.in_qpv not in TriState.values:
        errors["in_qpv"] = "Réponse QPV inconnue."
    return errors


def session_log(
    *,
    by: User,
    data: SessionInput,
    person: Person | None = None,
    patient: Patient | None = None,
    anonymous: AnonymousPerson | None = None,
    referral: ReferralRequest | None = None,
    today: datetime.date | None = None,
) -> RightsSession:
    """Record a session with an existing person met before, a patient of the centre, or a new
    anonymous person; optionally open a file and make a referral — all or nothing."""
    perms.require(by, perms.WRITE)
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    if sum(x is not None for x in (person, patient, anonymous)) != 1:
        errors["person"] = "Choisissez une personne : déjà rencontrée, patient·e, ou anonyme."
    if anonymous is not None:
        errors.update(_validate_anonymous(anonymous))
    if patient is not None and person is None:
        person = Person.objects.filter(patient=patient).first()
    errors.update(_validate_session(data, today=today, person=person))
    if referral is not None:
        errors.update(validate_referral(referral))
    place = data.permanence.place if data.permanence is not None else data.place
    site = place.site if place is not None else mediator_site(by)
    if site is None:
        errors[""] = "Aucun site n'est rattaché à votre compte : voyez la direction."
    fail_if(errors)
    assert site is not None
    with transaction.atomic():
        if data.permanence is not None:
            # Re-read under lock: a cancellation committed since the check above must not
            # get a session (`permanence_cancel` locks the same row).
            cancelled = (
                Permanence.objects.select_for_update(no_key=True)
                .values_list("is_cancelled", flat=True)
                .get(pk=data.permanence.pk)
            )
            if cancelled:
                raise OutreachError({"permanence": "Cette permanence est annulée."})
        is_new_person = person is None
        if person is None:
            if patient is not None:
                person = Person.objects.create(
                    patient=patient,
                    sex=patient.sex,
                    in_qpv=_tri(patient.in_qpv),
                    language=patient.language or "fr",
                    linked_at=timezone.now(),
                    created_by=by,
                )
            else:
                assert anonymous is not None
                person = Person.objects.create(
                    alias=anonymous.alias.strip(),
                    sex=anonymous.sex,
                    age_band=anonymous.age_band,
                    in_qpv=anonymous.in_qpv,
                    neighbourhood=anonymous.neighbourhood.strip(),
                    language=anonymous.language.strip() or "fr",
                    created_by=by,
                )
            audit.record(
                actor=by,
                action="outreach.person.create",
                obj=person,
                changes=audit.snapshot(
                    person, ("patient", "sex", "age_band", "in_qpv", "neighbourhood", "language")
                ),
            )
        file = data.file
        if data.open_file_kind:
            file = RightsFile.objects.create(
                person=person, kind=data.open_file_kind, mediator=by, opened_on=data.held_on
            )
            audit.record(
                actor=by,
                action="outreach.file.open",
                obj=file,
                changes={"kind": data.open_file_kind, "opened_on": data.held_on},
            )
        first_contact = (
            data.first_contact
            if data.first_contact is not None
            else is_new_person or not person.sessions.exists()
        )
        session = RightsSession.objects.create(
            person=person,
            mediator=by,
            channel=data.channel,
            permanence=data.permanence,
            place=place,
            site=site,
            held_on=data.held_on,
            started_at=data.started_at,
            duration_minutes=data.duration_minutes,
            first_contact=first_contact,
            situation=data.situation,
            topics=list(data.topics),
            actions=list(data.actions),
            interpreting=data.interpreting,
            interpreter_language=data.interpreter_language.strip()
            if data.interpreting != Interpreting.NONE
            else "",
            outcome=data.outcome,
            followup_on=data.followup_on,
            file=file,
            consent_on=data.consent_on,
            consent_scope=data.consent_scope.strip(),
            notes=data.notes.strip(),
        )
        audit.record(
            actor=by,
            action="outreach.session.log",
            obj=session,
            changes=audit.snapshot(session, SESSION_FIELDS),
        )
        if referral is not None:
            create_referral_in_transaction(
                by=by, person=person, session=session, request=referral, site=site
            )
    return session


def _tri(value: bool | None) -> str:
    if value is None:
        return TriState.UNKNOWN
    return TriState.YES if value else TriState.NO


def session_followup_done(*, by: User, session: RightsSession) -> RightsSession:
    perms.require(by, perms.WRITE)
    with transaction.atomic():
        session = RightsSession.objects.select_for_update().get(pk=session.pk)
        try:
            session.mark_followup_done(at=timezone.now())
        except TransitionError as error:
            raise OutreachError({"": str(error)}) from error
        session.save(update_fields=["followup_done_at"])
        audit.record(actor=by, action="outreach.session.followup_done", obj=session)
    return session


# What a correction may change. Left out, on purpose:
# - `person`: who was met. Moving a session to someone else would move it out of one
#   person's history into another's while its files and referrals stay behind; a person met
#   anonymously is linked to a patient record (and histories merged) from the person page.
# - `mediator`: the author of the session, and the one who may correct it.
# - `channel`, `permanence`, `place`, `site`, `held_on`: the date must be the permanence's
#   and `site` is copied from the place for the indicators; the form never offers them.
# - referrals (reception's queue, appointments booked from it) and opening a file: they have
#   their own lifecycle on the person page (cancel a referral, advance a file).
# - `followup_done_at`: set by « Suivi fait » only.
_NOT_EDITABLE = ("person", "mediator", "channel", "permanence", "place", "site", "held_on")
SESSION_EDITABLE_FIELDS = (
    *(name for name in SESSION_FIELDS if name not in _NOT_EDITABLE),
    "notes",
)
# Mediators' notes are confidential: the journal records that they changed, never their text
# (as `outreach.session.log` leaves them out).
NOTES_NOT_JOURNALED = "(confidentielles, non journalisées)"
# `session_update` refuses a correction by anybody but the author (`perms.can_edit_session`),
# whichever door it comes from (`Forbidden`: 403 in the API and on the page).
SESSION_EDIT_REFUSED = "Seul·e la ou le médiateur·rice qui a saisi cet entretien peut le corriger."


def session_update(
    *,
    by: User,
    session: RightsSession,
    changes: Mapping[str, Any],
    today: datetime.date | None = None,
) -> RightsSession:
    """Correct a session after it was entered: `changes` maps fields of
    `SESSION_EDITABLE_FIELDS` to their new values (the others keep theirs). Same rules as
    `session_log`, one transaction, one `outreach.session.update` entry listing only the
    fields that changed. Pending referrals made during the session follow a corrected
    interpreting language (reception books the interpreter from it)."""
    today = today or timezone.localdate()
    # The object-level rule first, on the row as passed (its author never changes), so that
    # a colleague gets « not yours » (403) rather than a field-level 400; checked again under
    # lock below.
    if not perms.can_edit_session(by, session):
        raise Forbidden(SESSION_EDIT_REFUSED)
    refused = [name for name in changes if name not in SESSION_EDITABLE_FIELDS]
    fail_if(dict.fromkeys(refused, NOT_EDITABLE))
    with transaction.atomic():
        # Lock the row: two corrections at once (the page and the API, two tabs) would each
        # validate against the old row, and the second would undo the first without the
        # journal showing it. `of=("self",)`: the nullable joins cannot be locked.
        session = (
            RightsSession.objects.select_for_update(of=("self",))
            .select_related("person", "permanence", "file")
            .get(pk=session.pk)
        )
        if not perms.can_edit_session(by, session):
            raise Forbidden(SESSION_EDIT_REFUSED)
        values: dict[str, Any] = {
            name: getattr(session, name) for name in SESSION_EDITABLE_FIELDS
        } | dict(changes)
        values["topics"] = list(values["topics"])
        values["actions"] = list(values["actions"])
        for name in ("interpreter_language", "consent_scope", "notes", "situation"):
            values[name] = (values[name] or "").strip()
        if values["interpreting"] == Interpreting.NONE:
            values["interpreter_language"] = ""
        data = SessionInput(
            held_on=session.held_on,
            channel=session.channel,
            permanence=session.permanence,
            place=session.place,
            **values,
        )
        errors = _validate_session(data, today=today, person=session.person, before=session)
        if session.followup_done_at is not None and _changed(
            session, "followup_on", values["followup_on"]
        ):
            errors["followup_on"] = "Ce suivi est déjà fait : sa date ne peut plus être changée."
        fail_if(errors)
        audited = [name for name in SESSION_EDITABLE_FIELDS if name != "notes"]
        notes_changed = values["notes"] != session.notes
        diff: dict[str, Any] = audit.assign(session, values, audited)
        if notes_changed:
            diff["notes"] = [NOTES_NOT_JOURNALED, NOTES_NOT_JOURNALED]
        if not diff:
            return session
        session.save(update_fields=list(diff))
        audit.record(actor=by, action="outreach.session.update", obj=session, changes=diff)
        if "interpreter_language" in diff:
            _follow_interpreter_language(
                by=by, session=session, old_language=diff["interpreter_language"][0]
            )
    return session


def _follow_interpreter_language(*, by: User, session: RightsSession, old_language: str) -> None:
    """Pending referrals copied the session's interpreting language when they were made;
    booked ones keep theirs (the appointment was booked with it)."""
    pending = session.referrals.select_for_update().filter(
        status=ReferralStatus.PENDING,
        interpreter_language=old_language,
    )
    for referral in pending:
        old = referral.interpreter_language
        referral.interpreter_language = session.interpreter_language
        referral.save(update_fields=["interpreter_language"])
        audit.record(
            actor=by,
            action="outreach.referral.update",
            obj=referral,
            changes={"interpreter_language": [old, referral.interpreter_language]},
            extra={"session": session.pk},
        )
