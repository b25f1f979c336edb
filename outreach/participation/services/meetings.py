"""The users' committee: its meetings and the decisions taken there, with their follow-up
(direction and mediation), each audited in its transaction."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from centre import audit
from centre.models import User
from outreach.participation import perms
from outreach.participation.errors import check_role, fail_if, transition
from outreach.participation.models import CommitteeDecision, CommitteeMeeting

MEETING_FIELDS = ("held_on", "place", "participants", "agenda", "minutes")


def _check_meeting(place: str, participants: int) -> None:
    errors: dict[str, str] = {}
    if not place.strip():
        errors["place"] = "Indiquez le lieu de la réunion."
    if participants < 0:
        errors["participants"] = "Le nombre de participant·e·s ne peut être négatif."
    fail_if(errors)


def meeting_create(
    *,
    by: User,
    held_on: datetime.date,
    place: str,
    participants: int = 0,
    agenda: str = "",
    minutes: str = "",
) -> CommitteeMeeting:
    check_role(by, perms.COMMITTEE)
    _check_meeting(place, participants)
    with transaction.atomic():
        meeting = CommitteeMeeting.objects.create(
            held_on=held_on,
            place=place.strip(),
            participants=participants,
            agenda=agenda.strip(),
            minutes=minutes.strip(),
            created_by=by,
        )
        audit.record(
            actor=by,
            action="participation.meeting.create",
            obj=meeting,
            changes=audit.snapshot(meeting, MEETING_FIELDS),
        )
    return meeting


def meeting_update(
    *,
    by: User,
    meeting: CommitteeMeeting,
    held_on: datetime.date,
    place: str,
    participants: int,
    agenda: str,
    minutes: str,
) -> CommitteeMeeting:
    check_role(by, perms.COMMITTEE)
    _check_meeting(place, participants)
    with transaction.atomic():
        meeting = CommitteeMeeting.objects.select_for_update().get(pk=meeting.pk)
        before = audit.snapshot(meeting, MEETING_FIELDS)
        meeting.held_on = held_on
        meeting.place = place.strip()
        meeting.participants = participants
        meeting.agenda = agenda.strip()
        meeting.minutes = minutes.strip()
        meeting.save()
        audit.record(
            actor=by,
            action="participation.meeting.update",
            obj=meeting,
            changes=audit.diff(before, audit.snapshot(meeting, MEETING_FIELDS)),
        )
    return meeting


def decision_add(*, by: User, meeting: CommitteeMeeting, text: str) -> CommitteeDecision:
    check_role(by, perms.COMMITTEE)
    fail_if({} if text.strip() else {"text": "Écrivez la décision."})
    with transaction.atomic():
        decision = CommitteeDecision.objects.create(meeting=meeting, text=text.strip())
        audit.record(
            actor=by,
            action="participation.decision.create",
            obj=decision,
            changes={"text": decision.text, "meeting": meeting.pk},
        )
    return decision


def decision_move(
    *, by: User, decision: CommitteeDecision, status: str, note: str = ""
) -> CommitteeDecision:
    check_role(by, perms.COMMITTEE)
    with transaction.atomic():
        decision = CommitteeDecision.objects.select_for_update().get(pk=decision.pk)
        before = audit.snapshot(decision, ("status", "follow_up"))
        transition(decision.move_to, status=status, note=note.strip(), at=timezone.now())
        decision.save()
        audit.record(
            actor=by,
            action="participation.decision.status",
            obj=decision,
            changes=audit.diff(before, audit.snapshot(decision, ("status", "follow_up"))),
        )
    return decision
