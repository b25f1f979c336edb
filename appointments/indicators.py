"""Appointment indicators (consultations, patients seen, rights and no-shows) for the reports:
each runs one or two SQL aggregates over the appointments of the period and sites.

Collected by `centre.reports.indicators.registry()` under the keys ``appointments.*``.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from appointments.models import (
    HELD_STATUSES,
    Appointment,
    AppointmentQuerySet,
    Status,
    days_bounds,
)
from centre.models import Profession, Site
from centre.reports.indicators import (
    SHARE,
    Breakdown,
    Indicator,
    Period,
    Span,
    events,
    percent,
    persons,
    site_ids,
)
from patients.models import Coverage, CoverageKind, Patient

# A consultation took place when the patient arrived or was seen. The period and the statuses
# are the QuerySet's (`on_days`, `held`): the consultations list filters with the same methods,
# so its counts are these indicators' (tests/appointments/test_consultations.py).
HELD = HELD_STATUSES


def _bounds(period: Period) -> tuple[datetime.datetime, datetime.datetime]:
    """Days of the period in the centre's time zone, as an aware half-open range."""
    return days_bounds(period.start, period.end)


def _appointments(period: Period, sites: list[Site] | None) -> AppointmentQuerySet:
    qs = Appointment.objects.on_days(period.start, period.end)
    ids = site_ids(sites)
    return qs if ids is None else qs.filter(site__in=ids)


def _held(period: Period, sites: list[Site] | None) -> AppointmentQuerySet:
    return _appointments(period, sites).held()


def consultations(period: Period, sites: list[Site] | None) -> Breakdown:
    rows = (
        _held(period, sites)
        .values("consultation_type__profession")
        .annotate(n=Count("pk"))
        .order_by("consultation_type__profession")
    )
    labels = dict(Profession.choices)
    parts: dict[str, int | Decimal] = {
        labels.get(r["consultation_type__profession"], r["consultation_type__profession"]): r["n"]
        for r in rows
    }
    return Breakdown(sum(int(v) for v in parts.values()), parts)


def consultations_by_week(period: Period, sites: list[Site] | None) -> Breakdown:
    tz = timezone.get_default_timezone()
    rows = (
        _held(period, sites)
        .annotate(week=TruncWeek("start", tzinfo=tz))
        .values("week")
        .annotate(n=Count("pk"))
        .order_by("week")
    )
    parts: dict[str, int | Decimal] = {f"{r['week']:%Y-%m-%d}": r["n"] for r in rows}
    return Breakdown(sum(int(v) for v in parts.values()), parts)


def _seen_patients(period: Period, sites: list[Site] | None) -> QuerySet[Patient]:
    return Patient.objects.filter(Exists(_held(period, sites).filter(patient=OuterRef("pk"))))


def patients_seen(period: Period, sites: list[Site] | None) -> Breakdown:
    start, _ = _bounds(period)
    before = Appointment.objects.filter(patient=OuterRef("pk"), status__in=HELD, start__lt=start)
    agg = _seen_patients(period, sites).aggregate(
        total=Count("pk"), new=Count("pk", filter=~Q(Exists(before)))
    )
    return Breakdown(agg["total"], {"nouveaux patients": agg["new"]})


def _right(kind: str, period: Period) -> Exists:
    # A right counts when it was valid on at least one day of the period.
    return Exists(
        Coverage.objects.filter(patient=OuterRef("pk"), kind=kind, start__lte=period.end).filter(
            Q(end__isnull=True) | Q(end__gte=period.start)
        )
    )


def coverage_mix(period: Period, sites: list[Site] | None) -> Breakdown:
    amo, ame = _right(CoverageKind.AMO, period), _right(CoverageKind.AME, period)
    agg = _seen_patients(period, sites).aggregate(
        total=Count("pk"),
        c2s=Count("pk", filter=Q(_right(CoverageKind.C2S, period))),
        ame=Count("pk", filter=Q(ame)),
        none=Count("pk", filter=~Q(amo) & ~Q(ame)),
    )
    total = agg["total"]
    return Breakdown(
        total,
        {
            "C2S": agg["c2s"],
            "AME": agg["ame"],
            "sans droits": agg["none"],
            "part C2S (%)": percent(agg["c2s"], total) or Decimal(0),
            "part AME (%)": percent(agg["ame"], total) or Decimal(0),
            "part sans droits (%)": percent(agg["none"], total) or Decimal(0),
        },
    )


def medecin_traitant(period: Period, sites: list[Site] | None) -> Breakdown:
    mt = Coverage.objects.filter(
        patient=OuterRef("pk"), kind=CoverageKind.MEDECIN_TRAITANT, start__lte=period.end
    ).filter(Q(end__isnull=True) | Q(end__gte=period.start))
    agg = _seen_patients(period, sites).aggregate(
        total=Count("pk"),
        any_mt=Count("pk", filter=Q(Exists(mt))),
        in_centre=Count("pk", filter=Q(Exists(mt.filter(doctor_in_centre=True)))),
    )
    return Breakdown(
        agg["in_centre"],
        {
            "patients vus": agg["total"],
            "avec un médecin traitant déclaré": agg["any_mt"],
            "part médecin traitant au centre (%)": percent(agg["in_centre"], agg["total"])
            or Decimal(0),
        },
    )


def qpv_share(period: Period, sites: list[Site] | None) -> Breakdown:
    agg = _seen_patients(period, sites).aggregate(
        yes=Count("pk", filter=Q(in_qpv=True)),
        no=Count("pk", filter=Q(in_qpv=False)),
        unknown=Count("pk", filter=Q(in_qpv__isnull=True)),
    )
    return Breakdown(
        percent(agg["yes"], agg["yes"] + agg["no"]),
        {"en QPV": agg["yes"], "hors QPV": agg["no"], "non renseigné": agg["unknown"]},
    )


def no_show_rate(period: Period, sites: list[Site] | None) -> Breakdown:
    agg = _appointments(period, sites).aggregate(
        held=Count("pk", filter=Q(status__in=HELD)),
        no_show=Count("pk", filter=Q(status=Status.NO_SHOW)),
        excused=Count("pk", filter=Q(status=Status.EXCUSED)),
    )
    return Breakdown(
        percent(agg["no_show"], agg["held"] + agg["no_show"]),
        {
            "honorés": agg["held"],
            "absences non excusées": agg["no_show"],
            "annulés par le·la patient·e": agg["excused"],
        },
    )


def interpreting(period: Period, sites: list[Site] | None) -> Breakdown:
    rows = (
        _held(period, sites)
        .exclude(interpreter_language="")
        .values("interpreter_language")
        .annotate(n=Count("pk"))
        .order_by("-n", "interpreter_language")
    )
    parts: dict[str, int | Decimal] = {r["interpreter_language"]: r["n"] for r in rows}
    return Breakdown(sum(int(v) for v in parts.values()), parts)


def walk_ins(period: Period, sites: list[Site] | None) -> int:
    return _held(period, sites).filter(is_walk_in=True).count()


# --- the rows each figure counts (the dashboard's links; tests check both agree) -------------


def _label_to_value(choices: list[tuple[str, str]], label: str) -> str:
    return next((value for value, text in choices if text == label), label)


def consultations_rows(period: Period, sites: list[Site] | None, category: str | None) -> Any:
    qs = _held(period, sites)
    if category is None:
        return qs
    return qs.filter(consultation_type__profession=_label_to_value(Profession.choices, category))


def consultations_by_week_rows(
    period: Period, sites: list[Site] | None, category: str | None
) -> Any:
    if category is None:
        return _held(period, sites)
    monday = datetime.date.fromisoformat(category)
    week = Period(max(monday, period.start), min(monday + datetime.timedelta(days=6), period.end))
    return _held(week, sites)


def walk_ins_rows(period: Period, sites: list[Site] | None, category: str | None) -> Any:
    return _held(period, sites).filter(is_walk_in=True) if category is None else None


def interpreting_rows(period: Period, sites: list[Site] | None, category: str | None) -> Any:
    qs = _held(period, sites).exclude(interpreter_language="")
    return qs if category is None else qs.filter(interpreter_language=category)


def patients_seen_rows(period: Period, sites: list[Site] | None, category: str | None) -> Any:
    seen = _seen_patients(period, sites)
    if category is None:
        return seen
    if category == "nouveaux patients":
        start, _ = _bounds(period)
        before = Appointment.objects.filter(
            patient=OuterRef("pk"), status__in=HELD, start__lt=start
        )
        return seen.filter(~Q(Exists(before)))
    return None


def coverage_mix_rows(period: Period, sites: list[Site] | None, category: str | None) -> Any:
    seen = _seen_patients(period, sites)
    amo, ame = _right(CoverageKind.AMO, period), _right(CoverageKind.AME, period)
    filters: dict[str | None, Q] = {
        None: Q(),
        "C2S": Q(_right(CoverageKind.C2S, period)),
        "AME": Q(ame),
        "sans droits": ~Q(amo) & ~Q(ame),
    }
    return seen.filter(filters[category]) if category in filters else None


def medecin_traitant_rows(period: Period, sites: list[Site] | None, category: str | None) -> Any:
    seen = _seen_patients(period, sites)
    mt = Coverage.objects.filter(
        patient=OuterRef("pk"), kind=CoverageKind.MEDECIN_TRAITANT, start__lte=period.end
    ).filter(Q(end__isnull=True) | Q(end__gte=period.start))
    filters: dict[str | None, Q] = {
        None: Q(Exists(mt.filter(doctor_in_centre=True))),
        "patients vus": Q(),
        "avec un médecin traitant déclaré": Q(Exists(mt)),
    }
    return seen.filter(filters[category]) if category in filters else None


def qpv_rows(period: Period, sites: list[Site] | None, category: str | None) -> Any:
    # The headline share links to the people it counts: those living in a QPV.
    filters: dict[str | None, Q] = {
        None: Q(in_qpv=True),
        "en QPV": Q(in_qpv=True),
        "hors QPV": Q(in_qpv=False),
        "non renseigné": Q(in_qpv__isnull=True),
    }
    seen = _seen_patients(period, sites)
    return seen.filter(filters[category]) if category in filters else None


def no_show_rows(period: Period, sites: list[Site] | None, category: str | None) -> Any:
    # The headline rate links to what it counts: the no-shows.
    statuses: dict[str | None, tuple[str, ...]] = {
        None: (Status.NO_SHOW,),
        "honorés": tuple(HELD),
        "absences non excusées": (Status.NO_SHOW,),
        "annulés par le·la patient·e": (Status.EXCUSED,),
    }
    if category not in statuses:
        return None
    return _appointments(period, sites).filter(status__in=statuses[category])


SEEN = "patient·e·s vu·e·s : personnes distinctes ayant eu au moins une consultation réalisée"
HELD_POP = "consultations réalisées (patient·e arrivé·e ou vu·e)"
PATIENTS = persons("patient·e·s")
CONSULTATIONS = events("consultations")

INDICATORS = (
    Indicator(
        "appointments.consultations",
        "Consultations réalisées",
        "Rendez-vous de la période où la personne est arrivée ou a été vue, par profession "
        "du motif de consultation (sans rendez-vous compris).",
        CONSULTATIONS,
        consultations,
        rows=consultations_rows,
        population=HELD_POP,
        partition=True,
    ),
    Indicator(
        "appointments.consultations_by_week",
        "Consultations par semaine",
        "Consultations réalisées, en moyenne par semaine de la période (consultations ÷ jours "
        "de la période × 7), et leur nombre chaque semaine (date du lundi ; les semaines dont "
        "une partie seulement est dans la période sont signalées « partielle »).",
        CONSULTATIONS,
        consultations_by_week,
        rows=consultations_by_week_rows,
        population=HELD_POP,
        span=Span.PER_WEEK,
        partition=True,
    ),
    Indicator(
        "appointments.patients_seen",
        "Patient·e·s vu·e·s",
        "Personnes distinctes ayant eu au moins une consultation réalisée dans la période ; "
        "dont nouveaux patients : aucune consultation réalisée avant la période.",
        PATIENTS,
        patients_seen,
        rows=patients_seen_rows,
        population=SEEN,
    ),
    Indicator(
        "appointments.coverage_mix",
        "Droits des patient·e·s vu·e·s",
        "Parmi les patient·e·s vu·e·s : celles et ceux ayant la C2S, l'AME, ou ni assurance "
        "maladie obligatoire ni AME (« sans droits »), droits valides au moins un jour de la "
        "période ; parts en % des patient·e·s vu·e·s.",
        PATIENTS,
        coverage_mix,
        rows=coverage_mix_rows,
        population=SEEN,
        part_units={
            "part C2S (%)": SHARE,
            "part AME (%)": SHARE,
            "part sans droits (%)": SHARE,
        },
    ),
    Indicator(
        "appointments.medecin_traitant",
        "Patient·e·s ayant leur médecin traitant au centre",
        "Parmi les patient·e·s vu·e·s, celles et ceux dont la déclaration de médecin traitant "
        "valide dans la période désigne un médecin du centre.",
        PATIENTS,
        medecin_traitant,
        rows=medecin_traitant_rows,
        population=SEEN,
        part_units={"part médecin traitant au centre (%)": SHARE},
    ),
    Indicator(
        "appointments.qpv_share",
        "Part des patient·e·s vu·e·s habitant en QPV",
        "Parmi les patient·e·s vu·e·s dont l'adresse est qualifiée, part de celles et ceux qui "
        "habitent un quartier prioritaire de la politique de la ville (en %) ; effectifs en "
        "QPV, hors QPV et non renseignés.",
        SHARE,
        qpv_share,
        rows=qpv_rows,
        population=SEEN,
        parts=PATIENTS,
        partition=True,
    ),
    Indicator(
        "appointments.no_show_rate",
        "Taux de rendez-vous non honorés",
        "Absences non excusées ÷ (consultations réalisées + absences non excusées), en %. "
        "Les annulations (par le centre ou la personne) ne comptent pas.",
        SHARE,
        no_show_rate,
        rows=no_show_rows,
        population="rendez-vous de la période",
        parts=events("rendez-vous"),
    ),
    Indicator(
        "appointments.interpreting",
        "Consultations avec interprète",
        "Consultations réalisées avec un·e interprète, par langue.",
        CONSULTATIONS,
        interpreting,
        rows=interpreting_rows,
        population=HELD_POP,
        partition=True,
    ),
    Indicator(
        "appointments.walk_ins",
        "Consultations sans rendez-vous",
        "Consultations réalisées prises sans rendez-vous.",
        CONSULTATIONS,
        walk_ins,
        rows=walk_ins_rows,
        population=HELD_POP,
    ),
)
