"""Ideas and requests raised by users (at a committee meeting, in the box, at the desk):
record them, study, complete or decline them with the reason told to the users."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from centre import audit
from centre.models import User
from outreach.models import TransitionError
from outreach.participation import perms
from outreach.participation.errors import ParticipationError, check_role, fail_if, transition
from outreach.participation.models import CommitteeMeeting, UserRequest


def request_create(
    *,
    by: User,
    raised_on: datetime.date,
    summary: str,
    details: str = "",
    meeting: CommitteeMeeting | None = None,
) -> UserRequest:
    check_role(by, perms.COMMITTEE)
    fail_if({} if summary.strip() else {"summary": "Résumez l'idée ou la demande."})
    with transaction.atomic():
        request = UserRequest.objects.create(
            raised_on=raised_on,
            summary=summary.strip(),
            details=details.strip(),
            meeting=meeting,
            created_by=by,
        )
        audit.record(
            actor=by,
            action="participation.request.create",
            obj=request,
            changes=audit.snapshot(request, ("raised_on", "summary", "meeting", "status")),
        )
    return request


REQUEST_ACTIONS = ("etudier", "realiser", "refuser")


def request_move(*, by: User, request: UserRequest, action: str, reason: str = "") -> UserRequest:
    """`action`: « etudier » (put under study), « realiser » (done), « refuser » (declined,
    with the reason that will be told to the users)."""
    check_role(by, perms.COMMITTEE)
    with transaction.atomic():
        request = UserRequest.objects.select_for_update().get(pk=request.pk)
        before = audit.snapshot(request, ("status", "decline_reason"))
        now = timezone.now()
        if action == "etudier":
            transition(request.study, at=now)
        elif action == "realiser":
            transition(request.complete, at=now)
        elif action == "refuser":
            try:
                request.decline(reason=reason, at=now)
            except TransitionError as error:
                field = "reason" if request.is_open else ""
                raise ParticipationError({field: str(error)}) from error
        else:
            raise ParticipationError({"": "Action inconnue."})
        request.save()
        audit.record(
            actor=by,
            action="participation.request.status",
            obj=request,
            changes=audit.diff(before, audit.snapshot(request, ("status", "decline_reason"))),
        )
    return request
