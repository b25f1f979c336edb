"""Outreach events on a patient's record (registered in OutreachConfig.ready())."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone

from centre.roles import Role
from outreach.models import (
    CollectiveAction,
    Referral,
    ReferralStatus,
    ReferralTarget,
    RightsSession,
)
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


# Reception books the referrals to the centre (its queue shows them): it sees those on the
# record too; referrals to partners (social services…) stay with mediation and direction.
CENTRE_REFERRAL_ROLES = TIMELINE_ROLES | {Role.ACCUEIL.value}


def referral_events(patient: Patient) -> Iterable[TimelineEvent]:
    """The patient's referrals and what became of them, in one query."""
    rows = (
        Referral.objects.filter(person__patient=patient)
        .select_related("consultation_type", "appointment")
        .order_by("-created_at", "-pk")
    )
    now = timezone.now()
    for referral in rows:
        to_centre = referral.target == ReferralTarget.CENTRE
        wanted = referral.consultation_type.label if referral.consultation_type else ""
        target = wanted or referral.partner_name or referral.get_target_display()
        status = referral.get_status_display()
        if referral.is_overdue(now):
            status += " — en retard"
        elif referral.status == ReferralStatus.BOOKED and referral.appointment is not None:
            local = timezone.localtime(referral.appointment.start)
            status += f" — rendez-vous le {local:%d/%m/%Y à %H:%M}"
        elif referral.outcome:
            status += f" — {referral.outcome}"
        yield TimelineEvent(
            at=referral.created_at,
            kind="outreach_referral",
            label=f"Orientation vers {referral.get_target_display()} : {target}",
            status=status,
            url=reverse("outreach_person", args=[referral.person_id]),
            roles=CENTRE_REFERRAL_ROLES if to_centre else TIMELINE_ROLES,
        )


def collective_action_events(patient: Patient) -> Iterable[TimelineEvent]:
    """Collective actions the patient attended (named attendance), in one query."""
    rows = (
        CollectiveAction.objects.filter(attendees=patient)
        .select_related("place")
        .order_by("-held_on", "-pk")
    )
    for action in rows:
        at = timezone.make_aware(
            datetime.datetime.combine(action.held_on, action.start_time or datetime.time(0, 0))
        )
        yield TimelineEvent(
            at=at,
            kind="collective_action",
            label=f"{action.get_kind_display()} — {action.title} ({action.place.name})",
            status="présent·e",
            url=reverse("outreach_collective_actions"),
            roles=TIMELINE_ROLES,
        )
