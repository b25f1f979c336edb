"""Participation indicators for the annual report and the participatory-health programme:
surveys run, answer sheets collected, users' committee meetings and their participants, ideas
and requests raised and what became of them. Each runs one SQL aggregate.

Included in `outreach/indicators.py` (INDICATORS), which the report registry reads. Surveys
and the committee belong to the whole centre: the site filter does not apply to them.
"""

from __future__ import annotations

from django.db.models import Count, Q, Sum

from centre.models import Site
from centre.reports.indicators import Breakdown, Indicator, Period, events, persons
from outreach.participation.models import (
    AnswerSheet,
    CommitteeMeeting,
    RequestStatus,
    SheetChannel,
    UserRequest,
)


def surveys(period: Period, sites: list[Site] | None) -> Breakdown:
    agg = AnswerSheet.objects.filter(
        created_at__date__gte=period.start, created_at__date__lte=period.end
    ).aggregate(n=Count("survey", distinct=True))
    return Breakdown(agg["n"])


def answer_sheets(period: Period, sites: list[Site] | None) -> Breakdown:
    agg = AnswerSheet.objects.filter(
        created_at__date__gte=period.start, created_at__date__lte=period.end
    ).aggregate(
        total=Count("pk"),
        paper=Count("pk", filter=Q(channel=SheetChannel.PAPER)),
        online=Count("pk", filter=Q(channel=SheetChannel.ONLINE)),
    )
    return Breakdown(
        agg["total"],
        {SheetChannel.PAPER.label: agg["paper"], SheetChannel.ONLINE.label: agg["online"]},
    )


def committee_meetings(period: Period, sites: list[Site] | None) -> Breakdown:
    agg = CommitteeMeeting.objects.filter(
        held_on__gte=period.start, held_on__lte=period.end
    ).aggregate(n=Count("pk"), people=Sum("participants"))
    return Breakdown(agg["n"], {"participations": agg["people"] or 0})


def user_requests(period: Period, sites: list[Site] | None) -> Breakdown:
    rows = (
        UserRequest.objects.filter(raised_on__gte=period.start, raised_on__lte=period.end)
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {r["status"]: r["n"] for r in rows}
    return Breakdown(sum(counts.values()), {s.label: counts.get(s.value, 0) for s in RequestStatus})


INDICATORS = (
    Indicator(
        "outreach.participation_surveys",
        "Enquêtes auprès des habitant·e·s",
        "Enquêtes ayant reçu au moins un questionnaire pendant la période.",
        events("enquêtes", secret=False),
        surveys,
        population="enquêtes du centre",
    ),
    Indicator(
        "outreach.participation_answer_sheets",
        "Questionnaires recueillis",
        "Questionnaires saisis pendant la période (papier saisi par les bénévoles et l'équipe, "
        "ou rempli en ligne par les habitant·e·s).",
        persons("questionnaires"),
        answer_sheets,
        population="habitant·e·s ayant répondu",
        partition=True,
    ),
    Indicator(
        "outreach.participation_committee_meetings",
        "Réunions du comité d'usagers",
        "Réunions du comité d'usagers tenues pendant la période ; participations = somme des "
        "participant·e·s déclaré·e·s.",
        events("réunions", secret=False),
        committee_meetings,
        population="comité d'usagers",
        part_units={"participations": persons("participations")},
    ),
    Indicator(
        "outreach.participation_user_requests",
        "Idées et demandes des usager·e·s",
        "Idées et demandes reçues pendant la période, par état à ce jour (reçue, à l'étude, "
        "réalisée, refusée avec motif).",
        events("demandes"),
        user_requests,
        population="idées et demandes des usager·e·s",
        partition=True,
    ),
)
