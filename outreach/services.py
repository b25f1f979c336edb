"""Every write of outreach data: one function per operation, keyword-only arguments, the
acting user explicit, one transaction, one audit entry in it.

Bad input raises `OutreachError` with French messages per field ("" = the whole form); views
show them on the form, the API answers 400 with them. Nothing is saved when one is raised.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from appointments.models import Appointment, ConsultationType
from centre import audit
from centre.models import Site, StaffProfile, User
from centre.refusals import Refusal
from outreach import perms
from outreach.models import (
    ACTIONS_NEEDING_CONSENT,
    HISTORICAL_TOPICS,
    Action,
    AgeBand,
    CancelScope,
    Channel,
    CollectiveAction,
    CollectiveKind,
    Interpreting,
    Outcome,
    Permanence,
    Person,
    Place,
    PlaceKind,
    Referral,
    ReferralStatus,
    ReferralTarget,
    RightKind,
    RightsFile,
    RightsSession,
    Sex,
    Situation,
    Theme,
    Topic,
    TransitionError,
    TriState,
    Urgency,
)
from patients.models import Patient

PARIS_MAX_RECURRENCE_WEEKS = 53


class OutreachError(Refusal):
    """Refused input: a message, or `{field: messages}` ("" for the whole form)."""


def _fail_if(errors: dict[str, str]) -> None:
    if errors:
        raise OutreachError(errors)


# --- Places and permanences -------------------------------------------------------------------

PLACE_FIELDS = ("name", "kind", "address", "neighbourhood", "in_qpv", "site", "partner_contact")
# What a correction may change: everything entered, and whether the place is still used. A
# place is never deleted: its permanences, sessions and collective actions point at it
# (`on_delete=PROTECT`) and the indicators count by place. One no longer used is marked
# inactive instead: it stays in the history and is no longer offered for new entries.
PLACE_EDITABLE_FIELDS = (*PLACE_FIELDS, "is_active")
NOT_EDITABLE = "Ce champ ne peut pas être modifié après la saisie."


def _validate_place(
    *, name: str, kind: str, site: Site, place: Place | None = None
) -> dict[str, str]:
    """The rules of a place, at creation (`place` None) and at correction."""
    errors: dict[str, str] = {}
    same_name = Place.objects.filter(name__iexact=name)
    if place is not None:
        same_name = same_name.exclude(pk=place.pk)
    if not name:
        errors["name"] = "Indiquez le nom du lieu."
    elif same_name.exists():
        errors["name"] = "Un lieu porte déjà ce nom."
    if kind not in PlaceKind.values:
        errors["kind"] = "Type de lieu inconnu."
    # A place keeps the site it was attached to even once that site has closed; it cannot
    # be attached to a closed site.
    if (place is None or site.pk != place.site_id) and not site.is_active:
        errors["site"] = "Ce site n'est plus actif."
    return errors


def place_create(
    *,
    by: User,
    name: str,
    kind: str,
    site: Site,
    address: str = "",
    neighbourhood: str = "",
    in_qpv: bool = False,
    partner_contact: str = "",
) -> Place:
    _fail_if(_validate_place(name=name.strip(), kind=kind, site=site))
    with transaction.atomic():
        place = Place.objects.create(
            name=name.strip(),
            kind=kind,
            site=site,
            address=address.strip(),
            neighbourhood=neighbourhood.strip(),
            in_qpv=in_qpv,
            partner_contact=partner_contact.strip(),
        )
        audit.record(
            actor=by,
            action="outreach.place.create",
            obj=place,
            changes=audit.snapshot(place, PLACE_FIELDS),
        )
    return place


def place_update(*, by: User, place: Place, changes: Mapping[str, Any]) -> Place:
    """Correct a place, or mark it no longer used (`is_active=False`) or used again:
    `changes` maps fields of `PLACE_EDITABLE_FIELDS` to their new values (the others keep
    theirs). Same rules as `place_create`, one transaction, one `outreach.place.update` entry
    listing only the fields that changed; a correction that changes nothing writes nothing.

    A new `site` applies to what is entered from now on: sessions and collective actions
    copied the place's site when they were entered (`RightsSession.site`,
    `CollectiveAction.site`) and keep it, so the indicators of past periods do not move."""
    refused = [name for name in changes if name not in PLACE_EDITABLE_FIELDS]
    _fail_if(dict.fromkeys(refused, NOT_EDITABLE))
    with transaction.atomic():
        # Lock the row: two corrections at once (the page and the API) would each validate
        # against the old row and the second would silently undo the first.
        place = Place.objects.select_for_update().get(pk=place.pk)
        values: dict[str, Any] = {
            name: getattr(place, name) for name in PLACE_EDITABLE_FIELDS
        } | dict(changes)
        for name in ("name", "address", "neighbourhood", "partner_contact"):
            values[name] = (values[name] or "").strip()
        values["in_qpv"] = bool(values["in_qpv"])
        values["is_active"] = bool(values["is_active"])
        errors = _validate_place(
            name=values["name"], kind=values["kind"], site=values["site"], place=place
        )
        if place.is_active and not values["is_active"]:
            # A place no longer used is no longer offered for permanences: the ones still
            # planned there would be left on the programme of a place nobody goes to.
            upcoming = place.permanences.filter(is_cancelled=False, end__gt=timezone.now()).count()
            if upcoming:
                errors["is_active"] = (
                    f"{upcoming} permanence(s) encore programmée(s) dans ce lieu : "
                    "annulez-les avant de le marquer comme plus utilisé."
                )
        _fail_if(errors)
        diff = audit.assign(place, values, PLACE_EDITABLE_FIELDS)
        if not diff:
            return place
        place.save(update_fields=list(diff))
        audit.record(actor=by, action="outreach.place.update", obj=place, changes=diff)
    return place


def _aware(day: datetime.date, time: datetime.time) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, time))


def permanence_schedule(
    *,
    by: User,
    place: Place,
    mediator: User,
    first_day: datetime.date,
    start_time: datetime.time,
    end_time: datetime.time,
    every_weeks: int = 0,
    until: datetime.date | None = None,
    public_note: str = "",
) -> list[Permanence]:
    """One permanence (`every_weeks=0`) or a series every 1 or 2 weeks until `until`
    (inclusive). Times are Paris wall-clock times: 14:00 stays 14:00 across the DST change."""
    errors: dict[str, str] = {}
    if end_time <= start_time:
        errors["end_time"] = "L'heure de fin doit être après l'heure de début."
    if not place.is_active:
        errors["place"] = "Ce lieu n'est plus actif."
    if not mediator.has_role("mediation"):
        errors["mediator"] = "Choisissez une personne de l'équipe de médiation."
    if every_weeks not in (0, 1, 2):
        errors["every_weeks"] = "Récurrence possible : aucune, chaque semaine ou tous les 15 jours."
    elif every_weeks:
        if until is None:
            errors["until"] = "Indiquez jusqu'à quand la permanence se répète."
        elif until < first_day:
            errors["until"] = "La date de fin de série doit être après le premier jour."
        elif (until - first_day).days > PARIS_MAX_RECURRENCE_WEEKS * 7:
            errors["until"] = "Une série ne peut dépasser un an : créez-en une autre ensuite."
    _fail_if(errors)
    days = [first_day]
    if every_weeks and until is not None:
        step = datetime.timedelta(weeks=every_weeks)
        day = first_day + step
        while day <= until:
            days.append(day)
            day += step
    series = uuid.uuid4() if len(days) > 1 else None
    with transaction.atomic():
        # The place is read again under a share lock: `place_update` (FOR UPDATE) refuses to
        # mark a place unused while permanences are planned there, so the two must not
        # interleave — one waits for the other, and a place deactivated meanwhile is refused.
        if not Place.objects.select_for_update(no_key=True).get(pk=place.pk).is_active:
            _fail_if({"place": "Ce lieu n'est plus actif."})
        created = Permanence.objects.bulk_create(
            Permanence(
                place=place,
                mediator=mediator,
                start=_aware(day, start_time),
                end=_aware(day, end_time),
                series=series,
                public_note=public_note.strip(),
            )
            for day in days
        )
        audit.record(
            actor=by,
            action="outreach.permanence.schedule",
            obj=created[0],
            extra={
                "place": place.pk,
                "mediator": mediator.pk,
                "count": len(created),
                "series": str(series) if series else "",
                "days": [d.isoformat() for d in days],
            },
        )
    return created


PERMANENCE_CANCEL_FIELDS = ("is_cancelled", "cancellation_reason")
CANCEL_REASON_MAX = 200


def permanence_cancel(
    *,
    by: User,
    permanence: Permanence,
    scope: str = CancelScope.ONE,
    reason: str = "",
    now: datetime.datetime | None = None,
) -> list[Permanence]:
    """Cancel a permanence, or (`scope=following`) it and the later occurrences of its series
    not cancelled yet — all or nothing, in one transaction, one `outreach.permanence.cancel`
    entry per occurrence. The reason is public (day view, calendar, printed programme).

    Refused: a permanence already cancelled or over (`Permanence.cancel_refusal`), and one
    with sessions entered on it. Nothing else points at a permanence: referrals, files and
    the appointments booked from referrals hang on sessions, so refusing a permanence with
    sessions leaves none of them pointing at a cancelled one. A permanence outside a series
    with `scope=following` is cancelled alone."""
    now = now or timezone.now()
    reason = reason.strip()
    errors: dict[str, str] = {}
    if scope not in CancelScope.values:
        errors["scope"] = (
            "Choisissez « seulement celle-ci » ou « celle-ci et les suivantes de la série »."
        )
    if len(reason) > CANCEL_REASON_MAX:
        errors["reason"] = f"Le motif ne peut dépasser {CANCEL_REASON_MAX} caractères."
    _fail_if(errors)
    with transaction.atomic():
        # Lock the occurrences before checking them. A session being logged on one of them
        # either committed first (its row is then seen below and the cancellation refused)
        # or waits for this transaction and then finds the permanence cancelled
        # (`session_log` re-reads it under lock); two cancellations at once (the page and
        # the API) cannot both pass the « already cancelled » check.
        locked = Permanence.objects.select_for_update().order_by("start", "pk")
        if scope == CancelScope.FOLLOWING and permanence.series is not None:
            # The later occurrences already cancelled stay as they are (their own reason).
            targets = list(
                locked.filter(series=permanence.series, start__gte=permanence.start).filter(
                    Q(pk=permanence.pk) | Q(is_cancelled=False)
                )
            )
        else:
            targets = list(locked.filter(pk=permanence.pk))
        [first] = [p for p in targets if p.pk == permanence.pk]
        refusal = first.cancel_refusal(now=now)
        if refusal:
            raise OutreachError({"": refusal})
        held = set(
            RightsSession.objects.filter(permanence__in=targets).values_list(
                "permanence_id", flat=True
            )
        )
        if first.pk in held:
            raise OutreachError(
                {
                    "": "Des entretiens sont saisis sur cette permanence : elle ne peut plus "
                    "être annulée."
                }
            )
        with_sessions = [p for p in targets if p.pk in held]
        if with_sessions:
            days = ", ".join(f"{timezone.localtime(p.start):%d/%m/%Y}" for p in with_sessions)
            raise OutreachError(
                {
                    "": f"Des entretiens sont saisis sur des permanences de la série ({days}) : "
                    "rien n'est annulé."
                }
            )
        for perm in targets:
            before = audit.snapshot(perm, PERMANENCE_CANCEL_FIELDS)
            try:
                perm.cancel(now=now, reason=reason)
            except TransitionError as error:
                raise OutreachError({"": str(error)}) from error
            perm.save(update_fields=list(PERMANENCE_CANCEL_FIELDS))
            audit.record(
                actor=by,
                action="outreach.permanence.cancel",
                obj=perm,
                changes=audit.diff(before, audit.snapshot(perm, PERMANENCE_CANCEL_FIELDS)),
                extra={
                    "scope": scope,
                    "requested_from": permanence.pk,
                    "series": str(perm.series) if perm.series else "",
                },
            )
    return targets


# --- People and sessions ----------------------------------------------------------------------


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
class ReferralRequest:
    """A referral made during a session."""

    target: str
    reason: str
    urgency: str = Urgency.NORMAL
    consultation_type: ConsultationType | None = None
    partner_name: str = ""
    site: Site | None = None


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


def _mediator_site(user: User) -> Site | None:
    profile = StaffProfile.objects.filter(user=user).first()
    return profile.sites.order_by("pk").first() if profile else None


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


def _validate_referral(ref: ReferralRequest) -> dict[str, str]:
    errors: dict[str, str] = {}
    if ref.target not in ReferralTarget.values:
        errors["referral_target"] = "Destination d'orientation inconnue."
    if not ref.reason.strip():
        errors["referral_reason"] = "Indiquez le motif de l'orientation."
    if ref.urgency not in Urgency.values:
        errors["referral_urgency"] = "Urgence inconnue."
    ctype = ref.consultation_type
    if ref.target == ReferralTarget.CENTRE and ctype is not None and not ctype.is_active:
        errors["referral_consultation_type"] = "Ce motif de consultation n'est plus proposé."
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
        errors.update(_validate_referral(referral))
    place = data.permanence.place if data.permanence is not None else data.place
    site = place.site if place is not None else _mediator_site(by)
    if site is None:
        errors[""] = "Aucun site n'est rattaché à votre compte : voyez la direction."
    _fail_if(errors)
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
            _referral_create(by=by, person=person, session=session, request=referral, site=site)
    return session


def _tri(value: bool | None) -> str:
    if value is None:
        return TriState.UNKNOWN
    return TriState.YES if value else TriState.NO


def session_followup_done(*, by: User, session: RightsSession) -> RightsSession:
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
# The page and the API refuse a correction by anybody but the author (`perms.can_edit_session`).
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
    refused = [name for name in changes if name not in SESSION_EDITABLE_FIELDS]
    _fail_if(dict.fromkeys(refused, NOT_EDITABLE))
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
            raise OutreachError(
                {"": "Seul·e la ou le médiateur·rice qui a saisi l'entretien peut le corriger."}
            )
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
        _fail_if(errors)
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


def person_link_patient(
    *, by: User, person: Person, patient: Patient, consent_on: datetime.date
) -> Person:
    """Link a person met anonymously to a patient record, once the person agreed (date
    recorded). If the patient already has outreach history, the two histories are merged."""
    errors: dict[str, str] = {}
    if person.patient_id is not None:
        errors[""] = "Cette personne est déjà rattachée à un dossier patient."
    if consent_on > timezone.localdate():
        errors["consent_on"] = "La date de l'accord ne peut pas être dans le futur."
    _fail_if(errors)
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        existing = Person.objects.select_for_update().filter(patient=patient).first()
        if existing is not None:
            # The patient was already met as a linked person: move this person's history
            # there so that "distinct people" does not count them twice.
            moved = {
                "sessions": person.sessions.update(person=existing),
                "files": person.files.update(person=existing),
                "referrals": person.referrals.update(person=existing),
            }
            audit.record(
                actor=by,
                action="outreach.person.merge",
                obj=existing,
                extra={"from_person": person.pk, **moved, "consent_on": consent_on},
            )
            person.delete()
            return existing
        person.patient = patient
        person.linked_at = timezone.now()
        person.link_consent_on = consent_on
        person.save(update_fields=["patient", "linked_at", "link_consent_on"])
        audit.record(
            actor=by,
            action="outreach.person.link",
            obj=person,
            changes={"patient": [None, patient.pk], "link_consent_on": [None, consent_on]},
        )
    return person


# --- Files --------------------------------------------------------------------------------

FILE_FIELDS = (
    "status",
    "documents_on",
    "filed_on",
    "filed_how",
    "decided_on",
    "decision",
    "effective_from",
    "closed_on",
)


def file_advance(
    *,
    by: User,
    file: RightsFile,
    step: str,
    on: datetime.date,
    how: str = "",
    decision: str = "",
    effective_from: datetime.date | None = None,
) -> RightsFile:
    """Move a file one step: `documents`, `filed`, `decided` or `abandoned`."""
    if on > timezone.localdate():
        raise OutreachError({"on": "La date ne peut pas être dans le futur."})
    with transaction.atomic():
        file = RightsFile.objects.select_for_update().get(pk=file.pk)
        before = audit.snapshot(file, FILE_FIELDS)
        try:
            if step == "documents":
                file.gather_documents(on=on)
            elif step == "filed":
                file.file(on=on, how=how)
            elif step == "decided":
                file.decide(on=on, decision=decision, effective_from=effective_from)
            elif step == "abandoned":
                file.abandon(on=on)
            else:
                raise TransitionError("Étape inconnue.")
        except TransitionError as error:
            raise OutreachError({"": str(error)}) from error
        file.save()
        audit.record(
            actor=by,
            action=f"outreach.file.{step}",
            obj=file,
            changes=audit.diff(before, audit.snapshot(file, FILE_FIELDS)),
        )
    return file


# --- Referrals ----------------------------------------------------------------------------

REFERRAL_FIELDS = (
    "person",
    "session",
    "target",
    "partner_name",
    "site",
    "reason",
    "urgency",
    "consultation_type",
    "interpreter_language",
)


def _referral_create(
    *,
    by: User,
    person: Person,
    session: RightsSession | None,
    request: ReferralRequest,
    site: Site,
) -> Referral:
    referral = Referral.objects.create(
        person=person,
        session=session,
        target=request.target,
        partner_name=request.partner_name.strip(),
        site=request.site or site,
        reason=request.reason.strip(),
        urgency=request.urgency,
        consultation_type=request.consultation_type
        if request.target == ReferralTarget.CENTRE
        else None,
        interpreter_language=(session.interpreter_language if session is not None else ""),
        created_by=by,
    )
    audit.record(
        actor=by,
        action="outreach.referral.create",
        obj=referral,
        changes=audit.snapshot(referral, REFERRAL_FIELDS),
    )
    return referral


def referral_create(
    *, by: User, person: Person, request: ReferralRequest, session: RightsSession | None = None
) -> Referral:
    _fail_if(_validate_referral(request))
    site = request.site or (session.site if session else None) or _mediator_site(by)
    if site is None:
        raise OutreachError({"": "Aucun site n'est rattaché à votre compte : voyez la direction."})
    with transaction.atomic():
        return _referral_create(by=by, person=person, session=session, request=request, site=site)


def referral_book(
    *,
    by: User,
    referral: Referral,
    practitioner: StaffProfile,
    start: datetime.datetime,
    consultation_type: ConsultationType | None = None,
    patient: Patient | None = None,
    link_consent_on: datetime.date | None = None,
) -> Appointment:
    """Reception books the consultation a referral asks for and links both, in one
    transaction: if the slot is taken, neither the appointment nor the status change stays.

    A person met anonymously must first be linked to a patient record (`patient`, with the
    date the person agreed)."""
    # Imported here: appointments must never depend on outreach, and outreach only needs
    # the booking service for this one operation.
    from appointments.services import booking

    ctype = consultation_type or referral.consultation_type
    errors: dict[str, str] = {}
    if referral.target != ReferralTarget.CENTRE:
        errors[""] = "Seules les orientations vers le centre se programment ici."
    if ctype is None:
        errors["consultation_type"] = "Choisissez le motif de consultation."
    if referral.person.patient_id is None and patient is None:
        errors["patient"] = (
            "Cette personne a été rencontrée anonymement : rattachez-la d'abord à un dossier "
            "patient (ou créez-le)."
        )
    if patient is not None and referral.person.patient_id is None and link_consent_on is None:
        errors["link_consent_on"] = "Indiquez la date de l'accord de la personne."
    _fail_if(errors)
    assert ctype is not None
    with transaction.atomic():
        referral = Referral.objects.select_for_update().select_related("person").get(pk=referral.pk)
        if referral.status != ReferralStatus.PENDING:
            raise OutreachError(
                {"": f"Cette orientation est déjà « {referral.get_status_display().lower()} »."}
            )
        person = referral.person
        if person.patient_id is None:
            assert patient is not None and link_consent_on is not None
            person = person_link_patient(
                by=by, person=person, patient=patient, consent_on=link_consent_on
            )
            referral.refresh_from_db()
        booked_patient = person.patient
        assert booked_patient is not None
        try:
            appointment = booking.appointment_book(
                patient=booked_patient,
                practitioner=practitioner,
                consultation_type=ctype,
                site=referral.site,
                start=start,
                by=by,
                interpreter_language=referral.interpreter_language,
            )
        except booking.BookingError as error:
            raise OutreachError({error.field or "start": error.message}) from error
        local = timezone.localtime(appointment.start)
        referral.mark_booked(
            by=by,
            at=timezone.now(),
            outcome=f"Rendez-vous le {local:%d/%m/%Y à %H:%M} avec {practitioner}",
        )
        referral.appointment = appointment
        referral.consultation_type = ctype
        referral.save()
        audit.record(
            actor=by,
            action="outreach.referral.book",
            obj=referral,
            changes={"status": ["attente", referral.status], "appointment": [None, appointment.pk]},
        )
    return appointment


def referral_decline(*, by: User, referral: Referral, reason: str) -> Referral:
    return _referral_close(by=by, referral=referral, reason=reason, cancel=False)


def referral_cancel(*, by: User, referral: Referral, reason: str = "") -> Referral:
    return _referral_close(by=by, referral=referral, reason=reason, cancel=True)


def _referral_close(*, by: User, referral: Referral, reason: str, cancel: bool) -> Referral:
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        before = referral.status
        try:
            if cancel:
                referral.cancel(by=by, at=timezone.now(), reason=reason)
            else:
                referral.decline(by=by, at=timezone.now(), reason=reason)
        except TransitionError as error:
            raise OutreachError({"reason": str(error)}) from error
        referral.save()
        audit.record(
            actor=by,
            action="outreach.referral.cancel" if cancel else "outreach.referral.decline",
            obj=referral,
            changes={"status": [before, referral.status], "outcome": [None, referral.outcome]},
        )
    return referral


def referral_record_outcome(*, by: User, referral: Referral, outcome: str) -> Referral:
    """Outcome of a referral to a partner (e.g. « reçu·e par l'assistante sociale le 12/03 »)."""
    if not outcome.strip():
        raise OutreachError({"outcome": "Indiquez la suite donnée."})
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        before = referral.outcome
        referral.outcome = outcome.strip()
        referral.save(update_fields=["outcome"])
        audit.record(
            actor=by,
            action="outreach.referral.outcome",
            obj=referral,
            changes={"outcome": [before, referral.outcome]},
        )
    return referral


# --- Collective actions -------------------------------------------------------------------

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
    themes = list(themes)
    attendees = list(attendees)
    _fail_if(
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
    refused = [name for name in changes if name not in COLLECTIVE_EDITABLE_FIELDS]
    _fail_if(dict.fromkeys(refused, NOT_EDITABLE))
    with transaction.atomic():
        # Lock the row (not the place: `of=("self",)`): two corrections at once would each
        # validate against the old row and the second would undo the first unjournaled.
        action = (
            CollectiveAction.objects.select_for_update(of=("self",))
            .select_related("place")
            .get(pk=action.pk)
        )
        if not perms.can_edit_collective_action(by, action):
            raise OutreachError({"": COLLECTIVE_EDIT_REFUSED})
        values: dict[str, Any] = {
            name: getattr(action, name) for name in COLLECTIVE_EDITABLE_FIELDS
        } | dict(changes)
        for name in ("title", "partners", "cls_action", "notes"):
            values[name] = (values[name] or "").strip()
        values["themes"] = list(values["themes"])
        _fail_if(
            _validate_collective(
                kind=values["kind"],
                title=values["title"],
                place=values["place"],
                start_time=values["start_time"],
                end_time=values["end_time"],
                participants_count=values["participants_count"],
                named=action.attendees.count(),
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
