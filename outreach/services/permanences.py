"""Permanences: schedule one or a series, cancel one or it and the following ones."""

from __future__ import annotations

import datetime
import uuid

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from centre import audit
from centre.models import User
from outreach import perms
from outreach.models import (
    CancelScope,
    Permanence,
    Place,
    RightsSession,
    TransitionError,
)
from outreach.services.base import OutreachError, fail_if

PARIS_MAX_RECURRENCE_WEEKS = 53


def _aware(day: datetime.date, time: datetime.time) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, time))


PLAN_BACK = datetime.timedelta(days=366)
PLAN_AHEAD = datetime.timedelta(days=2 * 366)


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
    perms.require(by, perms.WRITE)
    errors: dict[str, str] = {}
    if end_time <= start_time:
        errors["end_time"] = "L'heure de fin doit être après l'heure de début."
    # A planning tool: a permanence entered late (to log its sessions) or planned ahead, not a
    # date typed wrong by a century.
    today = timezone.localdate()
    if not today - PLAN_BACK <= first_day <= today + PLAN_AHEAD:
        errors["first_day"] = (
            "Une permanence se planifie au plus un an en arrière et deux ans à l'avance."
        )
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
    fail_if(errors)
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
            fail_if({"place": "Ce lieu n'est plus actif."})
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
    perms.require(by, perms.WRITE)
    now = now or timezone.now()
    reason = reason.strip()
    errors: dict[str, str] = {}
    if scope not in CancelScope.values:
        errors["scope"] = (
            "Choisissez « seulement celle-ci » ou « celle-ci et les suivantes de la série »."
        )
    if len(reason) > CANCEL_REASON_MAX:
        errors["reason"] = f"Le motif ne peut dépasser {CANCEL_REASON_MAX} caractères."
    fail_if(errors)
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
