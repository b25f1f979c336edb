"""Factories for participation tests: a survey with one question of each kind, committee
meetings and requests."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import factory
from django.utils import timezone

from centre.models import User
from outreach.participation.models import (
    Choice,
    CommitteeMeeting,
    Question,
    QuestionKind,
    Survey,
    SurveyStatus,
    UserRequest,
    new_public_token,
)
from tests.outreach.factories import StaffUserFactory


class SurveyFactory(factory.django.DjangoModelFactory[Survey]):
    class Meta:
        model = Survey

    title = factory.Sequence(lambda n: f"Enquête n° {n}")
    created_by = factory.SubFactory(StaffUserFactory)

    class Params:
        open = factory.Trait(status=SurveyStatus.OPEN, opened_at=factory.LazyFunction(timezone.now))
        public = factory.Trait(public_token=factory.LazyFunction(new_public_token))


@dataclass
class KindsSurvey:
    """A survey with one question of each kind (as the issue asks)."""

    survey: Survey
    neighbourhood: Question  # single choice, required
    barriers: Question  # multiple choice
    satisfaction: Question  # scale 1–5, required
    visits: Question  # number 0–60
    wish: Question  # short text

    def choice(self, question: Question, label: str) -> Choice:
        return question.choices.get(label=label)

    def paper(
        self,
        neighbourhood: str,
        barriers: list[str],
        satisfaction: int,
        visits: int | None = None,
        wish: str = "",
    ) -> dict[int, object]:
        """Raw answers as a volunteer types them (ids of choices, numbers, text)."""
        return {
            self.neighbourhood.pk: self.choice(self.neighbourhood, neighbourhood).pk,
            self.barriers.pk: [self.choice(self.barriers, b).pk for b in barriers],
            self.satisfaction.pk: satisfaction,
            self.visits.pk: visits if visits is not None else "",
            self.wish.pk: wish,
        }


def _question(
    survey: Survey,
    position: int,
    kind: str,
    text: str,
    *,
    required: bool = False,
    low: int | None = None,
    high: int | None = None,
    choices: tuple[str, ...] = (),
    translations: dict[str, str] | None = None,
) -> Question:
    question = Question.objects.create(
        survey=survey,
        position=position,
        kind=kind,
        text=text,
        required=required,
        min_value=low,
        max_value=high,
        translations=translations or {},
    )
    for index, label in enumerate(choices, start=1):
        Choice.objects.create(
            question=question, position=index, label=label, translations={"en": f"{label} (en)"}
        )
    return question


def kinds_survey(*, open: bool = True, public: bool = False, by: User | None = None) -> KindsSurvey:
    survey = SurveyFactory(
        open=open,
        public=public,
        languages=["en"],
        **({"created_by": by} if by else {}),
    )
    return KindsSurvey(
        survey=survey,
        neighbourhood=_question(
            survey,
            1,
            QuestionKind.SINGLE,
            "Quartier",
            required=True,
            choices=("Trois-Cités", "Couronneries", "Autre"),
            translations={"en": "Neighbourhood"},
        ),
        barriers=_question(
            survey,
            2,
            QuestionKind.MULTIPLE,
            "Freins aux soins",
            choices=("Coût", "Délais", "Langue"),
        ),
        satisfaction=_question(
            survey, 3, QuestionKind.SCALE, "Satisfaction", required=True, low=1, high=5
        ),
        visits=_question(survey, 4, QuestionKind.NUMBER, "Consultations", low=0, high=60),
        wish=_question(survey, 5, QuestionKind.TEXT, "Souhaits"),
    )


class MeetingFactory(factory.django.DjangoModelFactory[CommitteeMeeting]):
    class Meta:
        model = CommitteeMeeting

    held_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=7))
    place = "Maison de quartier"
    participants = 12
    created_by = factory.SubFactory(StaffUserFactory)


class RequestFactory(factory.django.DjangoModelFactory[UserRequest]):
    class Meta:
        model = UserRequest

    raised_on = factory.LazyFunction(timezone.localdate)
    summary = factory.Sequence(lambda n: f"Demande n° {n}")
    created_by = factory.SubFactory(StaffUserFactory)
