"""Outreach indicators: pure functions of (period, sites) returning numbers with a French label
and definition, for the reports issue to compose. Each runs one or two SQL aggregates.

What funders ask for (docs/outreach.md, « Indicateurs » and « Vocabulaire et sources »):
sessions and distinct people by place and month; share in QPV; topics; rights opened by kind
and time to opening; referrals and how many became a consultation; interpreting by
language; collective actions and participants.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Aggregate,
    Count,
    Exists,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncMonth

from centre.models import Site
from centre.reports.indicators import SHARE, Span, duration, events, persons
from outreach.models import (
    CollectiveAction,
    CollectiveKind,
    Decision,
    FileStatus,
    Interpreting,
    Referral,
    ReferralStatus,
    ReferralTarget,
    RightKind,
    RightsFile,
    RightsSession,
    Topic,
    TriState,
)
from outreach.participation.indicators import INDICATORS as PARTICIPATION_INDICATORS

# Appointment statuses meaning the consultation took place (appointments.models.Status):
# named here as values so that the indicator reads without importing the booking code.
CONSULTATION_HELD = ("arrived", "seen")


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date  # inclusive

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("La fin de la période doit être après son début.")


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    definition: str
    value: int | Decimal | None
    unit: str = ""
    breakdown: dict[str, int | Decimal] = field(default_factory=dict)


def _percent(part: int, whole: int) -> Decimal | None:
    """Share in percent, one decimal place, half up (written once here)."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _by_site(qs: QuerySet[Any], sites: Iterable[Site] | None, path: str = "site") -> QuerySet[Any]:
    if sites is None:
        return qs
    return qs.filter(**{f"{path}__in": [s.pk for s in sites]})


def _sessions(period: Period, sites: Iterable[Site] | None) -> QuerySet[RightsSession]:
    return _by_site(RightsSession.objects.in_period(period.start, period.end), sites)


class Unnest(Func):
    function = "unnest"


class Median(Aggregate):
    function = "percentile_cont"
    template = "percentile_cont(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def sessions(period: Period, sites: Iterable[Site] | None = None) -> Indicator:
    rows = (
        _sessions(period, sites)
        .values("place__name")
        .annotate(n=Count("pk"))
        .order_by("place__name")
    )
    breakdown: dict[str, int | Decimal] = {(r["place__name"] or OFF_SITE): r["n"] for r in rows}
    return Indicator(
        "sessions",
        "Entretiens d'accès aux droits",
        "Nombre d'entretiens individuels (une personne, une rencontre) tenus dans la période, "
        "par lieu.",
        sum(int(v) for v in breakdown.values()),
        "entretiens",
        breakdown,
    )


def sessions_by_month(period: Period, sites: Iterable[Site] | None = None) -> Indicator:
    rows = (
        _sessions(period, sites)
        .annotate(month=TruncMonth("held_on"))
        .values("month")
        .annotate(n=Count("pk"), people=Count("person", distinct=True))
        .order_by("month")
    )
    breakdown: dict[str, int | Decimal] = {f"{r['month']:%Y-%m}": r["n"] for r in rows}
    return Indicator(
        "sessions_by_month",
        "Entretiens par mois",
        "Nombre d'entretiens tenus chaque mois de la période.",
        sum(int(v) for v in breakdown.values()),
        "entretiens",
        breakdown,
    )


def distinct_people(period: Period, sites: Iterable[Site] | None = None) -> Indicator:
    agg = _sessions(period, sites).aggregate(
        people=Count("person", distinct=True),
        first=Count("person", distinct=True, filter=Q(first_contact=True)),
    )
    return Indicator(
        "distinct_people",
        "Personnes rencontrées",
        "Personnes distinctes vues au moins une fois en entretien dans la période (une personne "
        "rencontrée anonymement puis rattachée à un dossier patient compte une fois) ; dont "
        "premier contact dans la période.",
        agg["people"],
        "personnes",
        {"premier contact": agg["first"]},
    )


def qpv_share(period: Period, sites: Iterable[Site] | None = None) -> Indicator:
    agg = _sessions(period, sites).aggregate(
        yes=Count("person", distinct=True, filter=Q(person__in_qpv=TriState.YES)),
        no=Count("person", distinct=True, filter=Q(person__in_qpv=TriState.NO)),
        unknown=Count("person", distinct=True, filter=Q(person__in_qpv=TriState.UNKNOWN)),
    )
    return Indicator(
        "qpv_share",
        "Part des personnes habitant en QPV",
        "Parmi les personnes rencontrées dont le lieu de vie est connu, part de celles qui "
        "habitent un quartier prioritaire de la politique de la ville (en %).",
        _percent(agg["yes"], agg["yes"] + agg["no"]),
        "%",
        {"en QPV": agg["yes"], "hors QPV": agg["no"], "non renseigné": agg["unknown"]},
    )


def topics(period: Period, sites: Iterable[Site] | None = None) -> Indicator:
    rows = (
        _sessions(period, sites)
        .annotate(topic=Unnest("topics"))
        .values("topic")
        .annotate(n=Count("pk"))
        .order_by("-n", "topic")
    )
    labels: dict[str, str] = {str(k): str(v) for k, v in Topic.choices}
    breakdown: dict[str, int | Decimal] = {
        labels.get(r["topic"], str(r["topic"])): r["n"] for r in rows
    }
    return Indicator(
        "topics",
        "Sujets abordés",
        "Nombre d'entretiens ayant abordé chaque sujet (un entretien peut en aborder plusieurs).",
        sum(int(v) for v in breakdown.values()),
        "mentions",
        breakdown,
    )


def _decided_files(period: Period, sites: Iterable[Site] | None) -> QuerySet[RightsFile]:
    qs = RightsFile.objects.filter(
        status=FileStatus.DECIDED,
        decision__in=(Decision.GRANTED, Decision.PARTIAL),
        decided_on__gte=period.start,
        decided_on__lte=period.end,
    )
    if sites is not None:
        # A file belongs to the sites where its sessions were held.
        qs = qs.filter(
            Exists(
                RightsSession.objects.filter(file=OuterRef("pk"), site__in=[s.pk for s in sites])
            )
        )
    return qs


def rights_opened(period: Period, sites: Iterable[Site] | None = None) -> Indicator:
    rows = _decided_files(period, sites).values("kind").annotate(n=Count("pk")).order_by("kind")
    labels = dict(RightKind.choices)
    breakdown: dict[str, int | Decimal] = {labels.get(r["kind"], r["kind"]): r["n"] for r in rows}
    return Indicator(
        "rights_opened",
        "Droits ouverts",
        "Dossiers dont la décision (accord total ou partiel) est datée dans la période, par droit.",
        sum(int(v) for v in breakdown.values()),
        "dossiers",
        breakdown,
    )


def median_days_to_opening(period: Period, sites: Iterable[Site] | None = None) -> Indicator:
    days = RawSQL('("outreach_rightsfile"."decided_on" - "outreach_rightsfile"."filed_on")', [])
    rows = (
        _decided_files(period, sites)
        .values("kind")
        .annotate(median=Median(days), n=Count("pk"))
        .order_by("kind")
    )
    overall = _decided_files(period, sites).aggregate(median=Median(days))["median"]
    labels = dict(RightKind.choices)

    def rounded(value: float | None) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP)

    breakdown: dict[str, int | Decimal] = {}
    for r in rows:
        value = rounded(r["median"])
        if value is not None:
            breakdown[labels.get(r["kind"], r["kind"])] = value
    return Indicator(
        "median_days_to_opening",
        "Délai médian d'ouverture des droits",
        "Médiane, en jours, du délai entre le dépôt du dossier auprès de l'organisme et la "
        "décision favorable, pour les droits ouverts dans la période.",
        rounded(overall),
        "jours",
        breakdown,
    )


def referrals(period: Period, sites: Iterable[Site] | None = None) -> Indicator:
    qs = _by_site(
        Referral.objects.filter(
            created_at__date__gte=period.start, created_at__date__lte=period.end
        ),
        sites,
    )
    rows = qs.values("target").annotate(n=Count("pk")).order_by("target")
    labels = dict(ReferralTarget.choices)
    breakdown: dict[str, int | Decimal] = {
        labels.get(r["target"], r["target"]): r["n"] for r in rows
    }
    return Indicator(
        "referrals",
        "Orientations",
        "Orientations demandées dans la période, par destination (centre de santé ou partenaire).",
        sum(int(v) for v in breakdown.values()),
        "orientations",
        breakdown,
    )


def referrals_to_consultation(period: Period, sites: Iterable[Site] | None = None) -> Indicator:
    qs = _by_site(
        Referral.objects.filter(
            target=ReferralTarget.CENTRE,
            created_at__date__gte=period.start,
            created_at__date__lte=period.end,
        ),
        sites,
    )
    agg = qs.aggregate(
        total=Count("pk"),
        booked=Count("pk", filter=Q(status=ReferralStatus.BOOKED)),
        held=Count("pk", filter=Q(appointment__status__in=CONSULTATION_HELD)),
    )
    return Indicator(
        "referrals_to_consultation",
        "Orientations vers le centre devenues consultation",
        "Parmi les orientations vers le centre demandées dans la période : combien ont été "
        "programmées, et combien ont donné lieu à une consultation (patient·e arrivé·e ou vu·e).",
        agg["held"],
        "consultations",
        {"orientations vers le centre": agg["total"], "programmées": agg["booked"]},
    )


def interpreting(period: Period, sites: Iterable[Site] | None = None) -> Indicator:
    rows = (
        _sessions(period, sites)
        .exclude(interpreting=Interpreting.NONE)
        .values("interpreter_language")
        .annotate(n=Count("pk"))
        .order_by("-n", "interpreter_language")
    )
    breakdown: dict[str, int | Decimal] = {r["interpreter_language"] or "?": r["n"] for r in rows}
    pro = (
        _sessions(period, sites)
        .filter(interpreting__in=(Interpreting.PRO_ON_SITE, Interpreting.PRO_PHONE))
        .count()
    )
    return Indicator(
        "interpreting",
        "Entretiens avec interprétariat",
        "Entretiens tenus avec un·e interprète (professionnel·le ou bénévole/proche), par "
        f"langue ; dont {pro} avec un·e interprète professionnel·le.",
        sum(int(v) for v in breakdown.values()),
        "entretiens",
        breakdown,
    )


def collective_actions(period: Period, sites: Iterable[Site] | None = None) -> Indicator:
    qs = _by_site(
        CollectiveAction.objects.filter(held_on__gte=period.start, held_on__lte=period.end),
        sites,
    )
    rows = qs.values("kind").annotate(n=Count("pk")).order_by("kind")
    labels = dict(CollectiveKind.choices)
    breakdown: dict[str, int | Decimal] = {labels.get(r["kind"], r["kind"]): r["n"] for r in rows}
    return Indicator(
        "collective_actions",
        "Actions collectives",
        "Actions collectives tenues dans la période (ateliers, dépistages, vaccination, "
        "Cafés Santé…), par type.",
        sum(int(v) for v in breakdown.values()),
        "actions",
        breakdown,
    )


def collective_participants(period: Period, sites: Iterable[Site] | None = None) -> Indicator:
    qs = _by_site(
        CollectiveAction.objects.filter(held_on__gte=period.start, held_on__lte=period.end),
        sites,
    )
    # Two aggregates: summing participants across the attendance join would count each
    # action once per named attendee.
    agg = qs.aggregate(total=Sum("participants_count"))
    agg["named"] = CollectiveAction.attendees.through.objects.filter(
        collectiveaction__in=qs.values("pk")
    ).count()
    return Indicator(
        "collective_participants",
        "Participant·e·s aux actions collectives",
        "Somme des participant·e·s déclaré·e·s aux actions collectives de la période (une "
        "personne venue à deux actions compte deux fois) ; dont patient·e·s nommé·e·s.",
        agg["total"] or 0,
        "participations",
        {"patient·e·s nommé·e·s": agg["named"]},
    )


ALL: tuple[Callable[[Period, Iterable[Site] | None], Indicator], ...] = (
    sessions,
    sessions_by_month,
    distinct_people,
    qpv_share,
    topics,
    rights_opened,
    median_days_to_opening,
    referrals,
    referrals_to_consultation,
    interpreting,
    collective_actions,
    collective_participants,
)


# --- the rows each figure counts (the dashboard's links; tests check both agree) -------------

OFF_SITE = "Hors permanence (téléphone, domicile, centre)"


def _choice(choices: Iterable[tuple[Any, Any]], label: str) -> str:
    return next((str(v) for v, text in choices if str(text) == label), label)


def sessions_rows(period: Period, sites: Iterable[Site] | None, category: str | None) -> Any:
    qs = _sessions(period, sites)
    if category is None:
        return qs
    if category == OFF_SITE:
        return qs.filter(place__isnull=True)
    return qs.filter(place__name=category)


def sessions_by_month_rows(
    period: Period, sites: Iterable[Site] | None, category: str | None
) -> Any:
    qs = _sessions(period, sites)
    if category is None:
        return qs
    year, month = (int(x) for x in category.split("-"))
    return qs.filter(held_on__year=year, held_on__month=month)


def distinct_people_rows(period: Period, sites: Iterable[Site] | None, category: str | None) -> Any:
    from outreach.models import Person

    sessions = _sessions(period, sites)
    if category == "premier contact":
        sessions = sessions.filter(first_contact=True)
    elif category is not None:
        return None
    return Person.objects.filter(pk__in=sessions.values("person"))


def rights_opened_rows(period: Period, sites: Iterable[Site] | None, category: str | None) -> Any:
    qs = _decided_files(period, sites)
    return qs if category is None else qs.filter(kind=_choice(RightKind.choices, category))


def topics_rows(period: Period, sites: Iterable[Site] | None, category: str | None) -> Any:
    # The headline counts mentions (a session may raise several topics): not one list.
    if category is None:
        return None
    return _sessions(period, sites).filter(topics__contains=[_choice(Topic.choices, category)])


def interpreting_rows(period: Period, sites: Iterable[Site] | None, category: str | None) -> Any:
    qs = _sessions(period, sites).exclude(interpreting=Interpreting.NONE)
    if category is None:
        return qs
    return qs.filter(interpreter_language="" if category == "?" else category)


def referrals_to_consultation_rows(
    period: Period, sites: Iterable[Site] | None, category: str | None
) -> Any:
    qs = _by_site(
        Referral.objects.filter(
            target=ReferralTarget.CENTRE,
            created_at__date__gte=period.start,
            created_at__date__lte=period.end,
        ),
        sites,
    )
    filters: dict[str | None, Q] = {
        None: Q(appointment__status__in=CONSULTATION_HELD),
        "orientations vers le centre": Q(),
        "programmées": Q(status=ReferralStatus.BOOKED),
    }
    return qs.filter(filters[category]) if category in filters else None


def _actions(period: Period, sites: Iterable[Site] | None) -> QuerySet[CollectiveAction]:
    return _by_site(
        CollectiveAction.objects.filter(held_on__gte=period.start, held_on__lte=period.end),
        sites,
    )


def collective_actions_rows(
    period: Period, sites: Iterable[Site] | None, category: str | None
) -> Any:
    qs = _actions(period, sites)
    return qs if category is None else qs.filter(kind=_choice(CollectiveKind.choices, category))


def collective_participants_rows(
    period: Period, sites: Iterable[Site] | None, category: str | None
) -> Any:
    # The headline sums the participants declared on each action: the actions, with theirs.
    return _actions(period, sites) if category is None else None


MET = "personnes rencontrées en entretien d'accès aux droits"
SESSIONS = events("entretiens")

# The type of each indicator of ALL (centre/reports/indicators.py: unit, population, period
# semantics, units of the categories, partition).
TYPES: dict[str, dict[str, Any]] = {
    "sessions": {"unit": SESSIONS, "population": MET, "partition": True, "rows": sessions_rows},
    "sessions_by_month": {
        "unit": SESSIONS,
        "population": MET,
        "span": Span.PER_MONTH,
        "partition": True,
        "rows": sessions_by_month_rows,
    },
    "distinct_people": {
        "unit": persons("personnes"),
        "population": MET,
        "rows": distinct_people_rows,
    },
    "qpv_share": {
        "unit": SHARE,
        "population": MET,
        "parts": persons("personnes"),
        "partition": True,
    },
    "topics": {
        "unit": events("mentions"),
        "population": MET,
        "partition": True,
        "rows": topics_rows,
    },
    "rights_opened": {
        "unit": events("dossiers"),
        "population": "dossiers de droits des personnes rencontrées",
        "partition": True,
        "rows": rights_opened_rows,
    },
    "median_days_to_opening": {
        "unit": duration("jours"),
        "population": "dossiers de droits ouverts dans la période",
    },
    "referrals": {
        "unit": events("orientations"),
        "population": "orientations demandées",
        "partition": True,
    },
    "referrals_to_consultation": {
        "unit": events("consultations"),
        "population": "orientations vers le centre demandées dans la période",
        "parts": events("orientations"),
        "rows": referrals_to_consultation_rows,
    },
    "interpreting": {
        "unit": SESSIONS,
        "population": MET,
        "partition": True,
        "rows": interpreting_rows,
    },
    "collective_actions": {
        "unit": events("actions", secret=False),
        "population": "actions collectives (pas des personnes : jamais masqué)",
        "partition": True,
        "rows": collective_actions_rows,
    },
    "collective_participants": {
        "unit": persons("participations"),
        "population": "participant·e·s aux actions collectives",
        "part_units": {"patient·e·s nommé·e·s": persons("patient·e·s")},
        "rows": collective_participants_rows,
    },
}

# The participation indicators (surveys, users' committee) use the registry's own form.
INDICATORS = PARTICIPATION_INDICATORS


def compute_all(period: Period, sites: Iterable[Site] | None = None) -> list[Indicator]:
    site_list = list(sites) if sites is not None else None
    return [indicator(period, site_list) for indicator in ALL]
