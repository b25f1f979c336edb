"""Indicators of the centre itself: the team and the consultation hours it offers.

Collected by the registry under the keys ``centre.*``.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum

from centre.models import Profession, Site, StaffProfile
from centre.reports.indicators import (
    Breakdown,
    Indicator,
    Period,
    Span,
    duration,
    persons,
    site_ids,
)
from centre.roles import STAFF_ROLES, Role


def _staff(sites: list[Site] | None) -> Q:
    condition = Q(user__is_active=True)
    ids = site_ids(sites)
    if ids is not None:
        condition &= Q(sites__in=ids)
    return condition


def practitioners_by_profession(period: Period, sites: list[Site] | None) -> Breakdown:
    rows = (
        StaffProfile.objects.filter(_staff(sites))
        .exclude(profession="")
        .values("profession")
        .annotate(n=Count("pk", distinct=True))
        .order_by("profession")
    )
    labels = dict(Profession.choices)
    parts: dict[str, int | Decimal] = {
        labels.get(r["profession"], r["profession"]): r["n"] for r in rows
    }
    return Breakdown(sum(int(v) for v in parts.values()), parts)


def staff_by_role(period: Period, sites: list[Site] | None) -> Breakdown:
    # Volunteer inhabitants (`collecte` accounts) are not the centre's team.
    team = _staff(sites) & Q(user__groups__name__in=[r.value for r in STAFF_ROLES])
    rows = (
        StaffProfile.objects.filter(team)
        .values("user__groups__name")
        .annotate(n=Count("pk", distinct=True))
        .order_by("user__groups__name")
    )
    labels = dict(Role.choices)
    parts: dict[str, int | Decimal] = {
        labels[r["user__groups__name"]]: r["n"] for r in rows if r["user__groups__name"] in labels
    }
    total = StaffProfile.objects.filter(team).distinct().count()
    return Breakdown(total, parts)


def weekly_hours(period: Period, sites: list[Site] | None) -> Breakdown:
    """Hours of consultation per week in the opening plages valid on the period's last day."""
    from appointments.models import WeeklySchedule

    day: datetime.date = period.end
    qs = WeeklySchedule.objects.filter(valid_from__lte=day).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=day)
    )
    ids = site_ids(sites)
    if ids is not None:
        qs = qs.filter(site__in=ids)
    length = ExpressionWrapper(F("end_time") - F("start_time"), output_field=DurationField())
    rows = (
        qs.values("practitioner__profession")
        .annotate(duration=Sum(length))
        .order_by("practitioner__profession")
    )
    labels = dict(Profession.choices)

    def hours(duration: datetime.timedelta | None) -> Decimal:
        seconds = Decimal(int(duration.total_seconds())) if duration else Decimal(0)
        return (seconds / 3600).quantize(Decimal("0.1"), ROUND_HALF_UP)

    parts: dict[str, int | Decimal] = {
        labels.get(r["practitioner__profession"], r["practitioner__profession"] or "?"): hours(
            r["duration"]
        )
        for r in rows
    }
    total = sum((Decimal(v) for v in parts.values()), Decimal("0.0"))
    return Breakdown(total.quantize(Decimal("0.1")), parts)


TEAM = "équipe du centre (comptes actifs) : pas des patient·e·s, jamais masqué"

INDICATORS = (
    Indicator(
        "centre.practitioners",
        "Professionnel·le·s de santé",
        "Comptes actifs de soignant·e·s (profession renseignée) rattachés aux sites choisis, "
        "par profession, à la date du rapport.",
        persons("professionnel·le·s", secret=False),
        practitioners_by_profession,
        population=TEAM,
        span=Span.STOCK,
        partition=True,
    ),
    Indicator(
        "centre.staff_by_role",
        "Équipe par rôle",
        "Comptes actifs de l'équipe rattachés aux sites choisis, par rôle dans Passerelle "
        "(une personne peut avoir plusieurs rôles), à la date du rapport.",
        persons("comptes", secret=False),
        staff_by_role,
        population=TEAM,
        span=Span.STOCK,
    ),
    Indicator(
        "centre.weekly_hours",
        "Heures de consultation par semaine",
        "Somme des plages d'ouverture hebdomadaires des soignant·e·s en vigueur le dernier jour "
        "de la période, en heures, par profession (hors plages ponctuelles et absences).",
        duration("heures"),
        weekly_hours,
        population="plages d'ouverture hebdomadaires des soignant·e·s",
        span=Span.STOCK,
    ),
)
