"""Reads of outreach data for pages, the API and other apps. Each list runs a fixed number
of queries whatever the history length (pinned by tests and benchmarks)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from centre.models import User
from outreach.models import (
    Permanence,
    Person,
    Referral,
    RightsFile,
    RightsSession,
)


def permanences_between(start: datetime.date, end: datetime.date) -> QuerySet[Permanence]:
    """Permanences whose Paris day is in [start, end], with place, mediator and the number of
    sessions logged (one query)."""
    return (
        Permanence.objects.filter(start__date__gte=start, start__date__lte=end)
        .select_related("place", "mediator")
        .annotate(session_count=Count("sessions"))
        .order_by("start", "place__name")
    )


def permanence_sessions(permanence: Permanence) -> QuerySet[RightsSession]:
    return (
        RightsSession.objects.filter(permanence=permanence)
        .select_related("person__patient", "mediator")
        .order_by("-started_at", "-pk")
    )


def sessions_list() -> QuerySet[RightsSession]:
    return RightsSession.objects.select_related(
        "person__patient", "mediator", "place", "permanence"
    ).order_by("-held_on", "-started_at", "-pk")


def followups_due(
    *, on: datetime.date, mediator: User | None = None, horizon_days: int = 7
) -> QuerySet[RightsSession]:
    """Follow-ups due up to `horizon_days` after `on` (overdue ones included), not done."""
    qs = RightsSession.objects.followups_due(on=on + datetime.timedelta(days=horizon_days))
    if mediator is not None:
        qs = qs.filter(mediator=mediator)
    return qs.select_related("person__patient", "place").order_by("followup_on", "pk")


def open_files(*, mediator: User | None = None) -> QuerySet[RightsFile]:
    qs = RightsFile.objects.open()
    if mediator is not None:
        qs = qs.filter(mediator=mediator)
    return qs.select_related("person__patient").order_by("opened_on", "pk")


def person_page(person_id: int) -> Person:
    sessions = RightsSession.objects.select_related("mediator", "place", "file").order_by(
        "-held_on", "-pk"
    )
    return (
        Person.objects.select_related("patient")
        .prefetch_related(
            Prefetch("sessions", queryset=sessions),
            Prefetch("files", queryset=RightsFile.objects.order_by("-opened_on", "-pk")),
            Prefetch(
                "referrals",
                queryset=Referral.objects.select_related("consultation_type").order_by(
                    "-created_at"
                ),
            ),
        )
        .get(pk=person_id)
    )


def referral_queue() -> QuerySet[Referral]:
    """Referrals to the centre waiting for a booking, most urgent then oldest first. Only
    what reception needs: no session, no notes."""
    return (
        Referral.objects.pending_to_centre()
        .select_related("person__patient", "consultation_type", "site", "created_by")
        .order_by("-urgency", "created_at")
    )


def referrals_list() -> QuerySet[Referral]:
    return Referral.objects.select_related(
        "person__patient", "consultation_type", "site", "created_by", "appointment"
    ).order_by("-created_at")


def people_met_at(permanences: Iterable[Permanence]) -> QuerySet[Person]:
    return Person.objects.filter(sessions__permanence__in=list(permanences)).distinct()


def today() -> datetime.date:
    return timezone.localdate()
