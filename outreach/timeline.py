"""Outreach events on a patient's record (registered in OutreachConfig.ready())."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone

from outreach.models import RightsSession
from outreach.perms import TIMELINE_ROLES
from patients.hooks import TimelineEvent
from patients.models import Patient


def session_events(patient: Patient) -> Iterable[TimelineEvent]:
    """The patient's rights-access sessions, in one query. Only mediation and direction see
    them: topics are social information reception and practitioners do not need."""
    rows = (
        RightsSession.objects.filter(person__patient=patient)
        .select_related("place")
        .order_by("-held_on", "-pk")
    )
    for session in rows:
        at = timezone.make_aware(
            datetime.datetime.combine(session.held_on, session.started_at or datetime.time(0, 0))
        )
        where = session.place.name if session.place else session.get_channel_display()
        yield TimelineEvent(
            at=at,
            kind="outreach_session",
            label=f"Entretien d'accès aux droits — {where} : {', '.join(session.topic_labels())}",
            status=session.get_outcome_display(),
            url=reverse("outreach_session", args=[session.pk]),
            roles=TIMELINE_ROLES,
        )
