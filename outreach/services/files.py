"""Rights files (dossiers): move one a step along need → documents → filed → decided, or
abandon it."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from centre import audit
from centre.models import User
from outreach import perms
from outreach.models import (
    RightsFile,
    TransitionError,
)
from outreach.services.base import OutreachError

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
    perms.require(by, perms.WRITE)
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
