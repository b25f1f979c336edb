"""Reads of participation data for pages and the API."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from centre.models import User
from outreach.participation.models import (
    AnswerSheet,
    CommitteeDecision,
    CommitteeMeeting,
    DecisionStatus,
    Question,
    Survey,
    SurveyStatus,
    UserRequest,
)


def surveys() -> QuerySet[Survey]:
    return Survey.objects.annotate(
        n_questions=Count("questions", distinct=True), n_sheets=Count("sheets", distinct=True)
    ).order_by("-created_at", "-pk")


def open_surveys() -> QuerySet[Survey]:
    return Survey.objects.filter(status=SurveyStatus.OPEN).order_by("title")


def questions_with_choices(survey: Survey) -> list[Question]:
    return list(survey.questions.prefetch_related("choices").order_by("position"))


def meetings() -> QuerySet[CommitteeMeeting]:
    return CommitteeMeeting.objects.annotate(
        n_decisions=Count("decisions", distinct=True),
        n_open=Count(
            "decisions",
            filter=Q(decisions__status__in=(DecisionStatus.TODO, DecisionStatus.IN_PROGRESS)),
            distinct=True,
        ),
    ).order_by("-held_on", "-pk")


def meeting_with_decisions(pk: int) -> CommitteeMeeting:
    return CommitteeMeeting.objects.prefetch_related(
        Prefetch("decisions", queryset=CommitteeDecision.objects.order_by("pk")),
        Prefetch("requests", queryset=UserRequest.objects.order_by("-raised_on", "-pk")),
    ).get(pk=pk)


def next_meeting() -> CommitteeMeeting | None:
    return (
        CommitteeMeeting.objects.filter(held_on__gte=timezone.localdate())
        .order_by("held_on", "pk")
        .first()
    )


def open_requests() -> QuerySet[UserRequest]:
    return UserRequest.objects.open().select_related("meeting").order_by("raised_on", "pk")


def requests() -> QuerySet[UserRequest]:
    return UserRequest.objects.select_related("meeting").order_by("-raised_on", "-pk")


def sheets_entered_by(user: User, survey_ids: list[int]) -> dict[int, int]:
    """Answer sheets typed by `user`, per survey."""
    rows = (
        AnswerSheet.objects.filter(entered_by=user, survey_id__in=survey_ids)
        .values("survey_id")
        .annotate(n=Count("pk"))
        .order_by("survey_id")
    )
    return {row["survey_id"]: row["n"] for row in rows}
