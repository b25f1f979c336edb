"""Participation API (`/api/v1/participation/…`): the surveys with their questions, a
survey's results (suppressed counts, as on the page), and the entry of an answer sheet (what a
volunteer types in; 400 with French messages per question, nothing saved)."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from centre.perms import HasRole, acting_user
from outreach.participation import perms, results, selectors
from outreach.participation.models import Choice, Question, SheetChannel, Survey
from outreach.participation.services import sheets


class ChoiceOutput(serializers.ModelSerializer[Choice]):
    class Meta:
        model = Choice
        fields = ("id", "position", "label", "translations")


class QuestionOutput(serializers.ModelSerializer[Question]):
    choices = ChoiceOutput(many=True, read_only=True)

    class Meta:
        model = Question
        fields = (
            "id",
            "position",
            "kind",
            "text",
            "translations",
            "required",
            "min_value",
            "max_value",
            "choices",
        )


class SurveyOutput(serializers.ModelSerializer[Survey]):
    questions = QuestionOutput(many=True, read_only=True)

    class Meta:
        model = Survey
        fields = ("id", "title", "introduction", "languages", "status", "questions")


class SurveyList(generics.ListAPIView[Survey]):
    """Surveys with their questions and choices (direction, mediation)."""

    serializer_class = SurveyOutput
    permission_classes = [HasRole.of(*perms.BUILD)]

    def get_queryset(self) -> Any:
        return selectors.surveys().prefetch_related("questions__choices")


class ResultRowOutput(serializers.Serializer[dict[str, Any]]):
    label = serializers.CharField()  # type: ignore[assignment]  # a field named "label"
    count = serializers.CharField(help_text="Effectif, ou « < 5 » s'il est masqué.")
    percent = serializers.CharField()


class QuestionResultOutput(serializers.Serializer[dict[str, Any]]):
    question = serializers.IntegerField()
    text = serializers.CharField()
    kind = serializers.CharField()
    answered = serializers.CharField()
    mean = serializers.CharField(allow_blank=True)
    rows = ResultRowOutput(many=True)
    texts = serializers.ListField(child=serializers.CharField())


class ResultsOutput(serializers.Serializer[dict[str, Any]]):
    survey = serializers.IntegerField()
    sheets = serializers.CharField()
    threshold = serializers.IntegerField()
    questions = QuestionResultOutput(many=True)


class SurveyResults(APIView):
    permission_classes = [HasRole.of(*perms.BUILD)]

    @extend_schema(
        responses={
            200: ResultsOutput,
            403: OpenApiResponse(description="Rôle sans accès aux résultats"),
            404: OpenApiResponse(description="Enquête inconnue"),
        },
        summary="Résultats d'une enquête (effectifs masqués)",
    )
    def get(self, request: Request, pk: int) -> Response:
        survey = get_object_or_404(Survey, pk=pk)
        outcome = results.compute(survey, threshold=results.threshold())
        data = {
            "survey": survey.pk,
            "sheets": str(outcome.sheets_shown),
            "threshold": outcome.threshold,
            "questions": [
                {
                    "question": r.question.pk,
                    "text": r.question.text,
                    "kind": r.question.kind,
                    "answered": str(r.answered_shown),
                    "mean": r.mean_shown,
                    "rows": [
                        {"label": row.label, "count": str(row.shown), "percent": row.percent_shown}
                        for row in r.rows
                    ],
                    "texts": r.texts,
                }
                for r in outcome.questions
            ],
        }
        return Response(ResultsOutput(data).data)


class SheetInput(serializers.Serializer[dict[str, Any]]):
    answers = serializers.DictField(
        child=serializers.JSONField(),
        help_text="Par identifiant de question : l'identifiant du choix, une liste "
        "d'identifiants (choix multiple), un nombre ou un texte.",
    )
    wants_contact = serializers.BooleanField(default=False)
    contact_name = serializers.CharField(required=False, allow_blank=True, default="")
    contact = serializers.CharField(required=False, allow_blank=True, default="")


class SheetCreate(APIView):
    """Enter one paper answer sheet (collecte, mediation, direction)."""

    permission_classes = [HasRole.of(*perms.ENTRY)]

    @extend_schema(
        request=SheetInput,
        responses={
            201: dict[str, int],
            400: OpenApiResponse(
                description="Questionnaire refusé : messages en français par question "
                "(`q<id>`) ou pour tout le questionnaire (`non_field_errors`) ; rien n'est "
                "enregistré"
            ),
            403: OpenApiResponse(description="Rôle sans droit de saisie"),
            404: OpenApiResponse(description="Enquête inconnue"),
        },
        summary="Saisir un questionnaire",
    )
    def post(self, request: Request, pk: int) -> Response:
        survey = get_object_or_404(Survey, pk=pk)
        data = SheetInput(data=request.data)
        data.is_valid(raise_exception=True)
        answers = data.validated_data["answers"]
        if not all(str(key).isdigit() for key in answers):
            raise ValidationError({"answers": ["Les clés sont des identifiants de question."]})
        sheet = sheets.sheet_submit(
            by=acting_user(request),
            survey=survey,
            channel=SheetChannel.PAPER,
            answers={int(key): value for key, value in answers.items()},
            wants_contact=data.validated_data["wants_contact"],
            contact_name=data.validated_data["contact_name"],
            contact=data.validated_data["contact"],
        )
        return Response({"id": sheet.pk}, status=status.HTTP_201_CREATED)
