"""Outreach API (`/api/v1/outreach/…`): one view per resource, explicit input and output
serializers, writes through services. Filters: `from`/`to` (dates), `place`, `mediator`,
`topic`.

Detail views (GET, PATCH) in centre/api_urls.py: `SessionDetail` at `outreach/sessions/<pk>/`
(`outreach-session-detail`), `PlaceDetail` at `outreach/places/<pk>/`
(`outreach-place-detail`), `CollectiveActionDetail` at `outreach/collective-actions/<pk>/`
(`outreach-collective-action-detail`). A PATCH changes only the fields sent; a field that
cannot be corrected is a 400. `PermanenceCancel` (POST) at `outreach/permanences/<pk>/cancel/`
(`outreach-permanence-cancel`) cancels one permanence or it and the following ones of its
series."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from appointments.models import ConsultationType
from centre import refusals
from centre.api import refuse_unknown_fields
from centre.api_fields import LocalTimeField
from centre.models import Site, User
from centre.perms import acting_user
from outreach import perms, selectors
from outreach.models import (
    CURRENT_TOPICS,
    AgeBand,
    CancelScope,
    Channel,
    CollectiveAction,
    CollectiveKind,
    Interpreting,
    Outcome,
    Permanence,
    Person,
    Place,
    PlaceKind,
    Referral,
    ReferralStatus,
    ReferralTarget,
    RightsFile,
    RightsSession,
    Sex,
    Topic,
    TriState,
    Urgency,
)
from outreach.services import collective_actions, permanences, places, referrals, sessions
from outreach.services.base import NOT_EDITABLE
from patients.models import Patient


class ReadWrite(BasePermission):
    """Reads for `read` roles, writes for `write` roles (superusers pass)."""

    read: tuple[str, ...] = ()
    write: tuple[str, ...] = ()
    message = "Votre rôle ne donne pas accès à cette ressource."

    @classmethod
    def of(cls, *, read: tuple[str, ...], write: tuple[str, ...] = ()) -> type[ReadWrite]:
        return type(
            "ReadWrite",
            (cls,),
            {"read": tuple(str(r) for r in read), "write": tuple(str(r) for r in write)},
        )

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if user.is_superuser:
            return True
        allowed = self.read if request.method in SAFE_METHODS else self.write
        return bool(allowed) and user.has_role(*allowed)


FILTERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="Depuis cette date (incluse)."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Jusqu'à cette date (incluse)."),
    OpenApiParameter("place", OpenApiTypes.INT, description="Identifiant du lieu."),
    OpenApiParameter("mediator", OpenApiTypes.INT, description="Identifiant du compte."),
]
TOPIC_FILTER = OpenApiParameter(
    "topic", OpenApiTypes.STR, enum=[t for t, _ in CURRENT_TOPICS], description="Sujet abordé."
)


def _date_param(request: Request, name: str) -> datetime.date | None:
    # Absent means no bound; present but empty is not a date (the schema says so).
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError as error:
        raise ValidationError({name: ["Date attendue au format AAAA-MM-JJ."]}) from error


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not raw.isdigit():
        raise ValidationError({name: ["Identifiant numérique attendu."]})
    return int(raw)


def _filter(
    qs: QuerySet[Any],
    request: Request,
    *,
    date_field: str,
    place_field: str = "place",
    mediator_field: str = "mediator",
) -> QuerySet[Any]:
    start, end = _date_param(request, "from"), _date_param(request, "to")
    if start and end and end < start:
        raise ValidationError({"to": ["La fin de la période doit être après son début."]})
    if start:
        qs = qs.filter(**{f"{date_field}__gte": start})
    if end:
        qs = qs.filter(**{f"{date_field}__lte": end})
    place = _int_param(request, "place")
    if place is not None:
        qs = qs.filter(**{place_field: place})
    mediator = _int_param(request, "mediator")
    if mediator is not None:
        qs = qs.filter(**{mediator_field: mediator})
    return qs


def _journaled_page(
    view: generics.ListAPIView[Any],
    request: Request,
    journal: Callable[..., list[Any]],
) -> Response:
    """A list answered one page at a time, the page's rows journaled by the selector the
    pages use too (`journal(by=, rows=)`), so that both doors leave the same entry."""
    page = view.paginate_queryset(view.filter_queryset(view.get_queryset()))
    assert page is not None  # DEFAULT_PAGINATION_CLASS is set
    rows = journal(by=acting_user(request), rows=page)
    return view.get_paginated_response(view.get_serializer(rows, many=True).data)


# --- Places -------------------------------------------------------------------------------


class PlaceOutput(serializers.ModelSerializer[Place]):
    class Meta:
        model = Place
        fields = (
            "id",
            "name",
            "kind",
            "address",
            "neighbourhood",
            "in_qpv",
            "site",
            "partner_contact",
            "is_active",
        )


class PlaceInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=PlaceKind.choices)
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.filter(is_active=True))
    address = serializers.CharField(max_length=250, required=False, default="", allow_blank=True)
    neighbourhood = serializers.CharField(
        max_length=100, required=False, default="", allow_blank=True
    )
    in_qpv = serializers.BooleanField(required=False, default=False)
    partner_contact = serializers.CharField(
        max_length=250, required=False, default="", allow_blank=True
    )


def _refuse_unknown(request: Request, allowed: Any) -> None:
    refuse_unknown_fields(request, allowed, NOT_EDITABLE)


# What the outreach endpoints answer besides their success, as the handler writes it
# (`centre.api.exception_handler`): a 400 lists French messages per field, a refusal of
# another kind names its detail, kind and field; DRF's own 403 (role) and 404 (unknown id,
# page out of range) carry `detail` only.
FIELD_ERRORS = OpenApiResponse(
    response={
        "type": "object",
        # A field's messages; a nested input (`anonymous`) or a list (`topics`) answers
        # its own messages per sub-field or per index.
        "additionalProperties": {
            "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}]
        },
    },
    description=(
        "Refusé : messages en français par champ (`non_field_errors` pour l'ensemble ; par "
        "sous-champ ou par rang pour une entrée imbriquée ou une liste)."
    ),
)
RefusalOutput = inline_serializer(
    name="OutreachRefusal",
    fields={
        "detail": serializers.CharField(),
        "kind": serializers.CharField(required=False),
        "field": serializers.CharField(required=False),
    },
)
FORBIDDEN = OpenApiResponse(
    RefusalOutput,
    description="Rôle sans accès, ou correction par une autre personne que l'auteur·rice.",
)
NOT_FOUND = OpenApiResponse(RefusalOutput, description="Identifiant ou page inconnus.")
LIST_RESPONSES = {403: FORBIDDEN, 404: NOT_FOUND}
FILTERED_LIST_RESPONSES = {400: FIELD_ERRORS, **LIST_RESPONSES}
CREATE_RESPONSES = {400: FIELD_ERRORS, 403: FORBIDDEN}
DETAIL_RESPONSES = {403: FORBIDDEN, 404: NOT_FOUND}
PATCH_RESPONSES = {400: FIELD_ERRORS, 403: FORBIDDEN, 404: NOT_FOUND}


@extend_schema_view(
    get=extend_schema(
        summary="Lieux de permanence et d'action",
        responses={200: PlaceOutput(many=True), **LIST_RESPONSES},
    ),
    post=extend_schema(
        summary="Ajouter un lieu",
        request=PlaceInput,
        responses={201: PlaceOutput, **CREATE_RESPONSES},
    ),
)
class PlaceListCreate(generics.ListAPIView[Place]):
    serializer_class = PlaceOutput
    permission_classes = [ReadWrite.of(read=perms.READ, write=perms.WRITE)]
    queryset = Place.objects.order_by("name")

    def post(self, request: Request) -> Response:
        data = PlaceInput(data=request.data)
        data.is_valid(raise_exception=True)
        place = places.place_create(by=acting_user(request), **data.validated_data)
        return Response(PlaceOutput(place).data, status=status.HTTP_201_CREATED)


class PlacePatch(serializers.Serializer[Any]):
    """A correction of a place: only the fields sent change (`places.PLACE_EDITABLE_FIELDS`).
    `is_active: false` marks a place no longer used (never deleted)."""

    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=PlaceKind.choices, required=False)
    # Any site: the place may keep a site that has closed since; the service refuses a move
    # to a closed one.
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all(), required=False)
    address = serializers.CharField(max_length=250, required=False, allow_blank=True)
    neighbourhood = serializers.CharField(max_length=100, required=False, allow_blank=True)
    in_qpv = serializers.BooleanField(required=False)
    partner_contact = serializers.CharField(max_length=250, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


@extend_schema_view(
    get=extend_schema(summary="Un lieu", responses={200: PlaceOutput, **DETAIL_RESPONSES}),
    patch=extend_schema(
        summary="Corriger un lieu ou le marquer comme plus utilisé",
        description=(
            "Seuls les champs envoyés changent ; un champ non corrigeable est un 400. Mêmes "
            "règles qu'à l'ajout (nom unique, type connu, site actif), messages en français "
            "par champ. `is_active: false` marque le lieu comme plus utilisé (refusé tant "
            "que des permanences y sont programmées) ; un lieu n'est jamais supprimé. Un "
            "nouveau site vaut pour les saisies à venir. Réservé à la médiation ; la "
            "correction est journalisée (champs modifiés, avant et après)."
        ),
        request=PlacePatch,
        responses={200: PlaceOutput, **PATCH_RESPONSES},
    ),
)
class PlaceDetail(generics.GenericAPIView[Place]):
    serializer_class = PlaceOutput
    permission_classes = [ReadWrite.of(read=perms.READ, write=perms.WRITE)]
    queryset = Place.objects.all()

    def get(self, request: Request, pk: int) -> Response:
        return Response(PlaceOutput(self.get_object()).data)

    def patch(self, request: Request, pk: int) -> Response:
        place = self.get_object()
        _refuse_unknown(request, PlacePatch().fields)
        data = PlacePatch(data=request.data)
        data.is_valid(raise_exception=True)
        place = places.place_update(
            by=acting_user(request), place=place, changes=data.validated_data
        )
        return Response(PlaceOutput(place).data)


# --- Permanences --------------------------------------------------------------------------


class PermanenceOutput(serializers.ModelSerializer[Permanence]):
    place_name = serializers.CharField(source="place.name")

    class Meta:
        model = Permanence
        fields = (
            "id",
            "place",
            "place_name",
            "mediator",
            "start",
            "end",
            "series",
            "is_cancelled",
            "cancellation_reason",
        )


class PermanenceInput(serializers.Serializer[Any]):
    place = serializers.PrimaryKeyRelatedField(queryset=Place.objects.all())
    mediator = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    first_day = serializers.DateField()
    start_time = LocalTimeField()
    end_time = LocalTimeField()
    every_weeks = serializers.ChoiceField(choices=[0, 1, 2], default=0)
    until = serializers.DateField(required=False, allow_null=True, default=None)
    public_note = serializers.CharField(
        max_length=200, required=False, default="", allow_blank=True
    )


@extend_schema_view(
    get=extend_schema(
        summary="Permanences (filtres : période, lieu, médiateur·rice)",
        parameters=FILTERS,
        responses={200: PermanenceOutput(many=True), **FILTERED_LIST_RESPONSES},
    ),
    post=extend_schema(
        summary="Programmer une permanence ponctuelle ou récurrente",
        request=PermanenceInput,
        responses={201: PermanenceOutput(many=True), **CREATE_RESPONSES},
    ),
)
class PermanenceListCreate(generics.ListAPIView[Permanence]):
    serializer_class = PermanenceOutput
    permission_classes = [ReadWrite.of(read=perms.READ, write=perms.WRITE)]

    def get_queryset(self) -> QuerySet[Permanence]:
        qs = Permanence.objects.select_related("place").order_by("start")
        return _filter(qs, self.request, date_field="start__date")

    def post(self, request: Request) -> Response:
        data = PermanenceInput(data=request.data)
        data.is_valid(raise_exception=True)
        created = permanences.permanence_schedule(by=acting_user(request), **data.validated_data)
        return Response(PermanenceOutput(created, many=True).data, status=status.HTTP_201_CREATED)


class PermanenceCancelInput(serializers.Serializer[Any]):
    scope = serializers.ChoiceField(
        choices=CancelScope.choices,
        help_text="`one` : cette permanence ; `following` : celle-ci et les suivantes de sa "
        "série (les déjà annulées restent telles quelles).",
    )
    reason = serializers.CharField(
        max_length=permanences.CANCEL_REASON_MAX,
        required=False,
        default="",
        allow_blank=True,
        help_text="Motif public, affiché sur le calendrier et le programme imprimé.",
    )


@extend_schema(
    summary="Annuler une permanence (ou celle-ci et les suivantes de sa série)",
    description=(
        "Tout·e médiateur·rice peut annuler une permanence, même celle d'un·e collègue. "
        "Refusé (400, message en français) : permanence déjà annulée, terminée, ou avec des "
        "entretiens saisis (pour `following`, sur l'une des permanences visées : rien n'est "
        "annulé). Une annulation de série se fait en une transaction ; chaque permanence "
        "annulée est journalisée. Répond avec les permanences annulées."
    ),
    request=PermanenceCancelInput,
    responses={200: PermanenceOutput(many=True), **PATCH_RESPONSES},
)
class PermanenceCancel(generics.GenericAPIView[Permanence]):
    serializer_class = PermanenceOutput
    permission_classes = [ReadWrite.of(read=(), write=perms.WRITE)]
    queryset = Permanence.objects.all()

    def post(self, request: Request, pk: int) -> Response:
        permanence = self.get_object()
        data = PermanenceCancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        cancelled = permanences.permanence_cancel(
            by=acting_user(request), permanence=permanence, **data.validated_data
        )
        return Response(PermanenceOutput(cancelled, many=True).data)


# --- Sessions -----------------------------------------------------------------------------


class SessionReferralOutput(serializers.ModelSerializer[Referral]):
    class Meta:
        model = Referral
        fields = ("id", "target", "urgency", "consultation_type", "due_at", "fit_warning")


class SessionOutput(serializers.ModelSerializer[RightsSession]):
    patient = serializers.IntegerField(source="person.patient_id", allow_null=True)
    referrals = SessionReferralOutput(
        many=True,
        read_only=True,
        help_text="Orientations faites pendant l'entretien ; `fit_warning` dit pourquoi le motif "
        "demandé ne correspond peut-être pas à la personne (signalé, jamais refusé).",
    )

    class Meta:
        model = RightsSession
        fields = ("id", "patient", *sessions.SESSION_FIELDS, "notes", "referrals")


class ReferralInput(serializers.Serializer[Any]):
    """An orientation made during the session (`referrals.ReferralRequest`): the rules and
    their French messages are the service's, as on the page."""

    target = serializers.ChoiceField(choices=ReferralTarget.choices)
    reason = serializers.CharField(allow_blank=True, max_length=250)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    consultation_type = serializers.PrimaryKeyRelatedField(
        queryset=ConsultationType.objects.all(), required=False, allow_null=True, default=None
    )
    partner_name = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=120
    )
    site = serializers.PrimaryKeyRelatedField(
        queryset=Site.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        default=None,
        help_text="Site du centre où la personne est orientée (par défaut : celui du lieu).",
    )


class AnonymousInput(serializers.Serializer[Any]):
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, default="")
    age_band = serializers.ChoiceField(choices=AgeBand.choices, required=False, default="")
    in_qpv = serializers.ChoiceField(
        choices=TriState.choices, required=False, default=TriState.UNKNOWN
    )
    neighbourhood = serializers.CharField(required=False, default="", allow_blank=True)
    language = serializers.CharField(required=False, default="fr")
    alias = serializers.CharField(required=False, default="", allow_blank=True)


class SessionInput(serializers.Serializer[Any]):
    person = serializers.PrimaryKeyRelatedField(
        queryset=Person.objects.all(), required=False, allow_null=True, default=None
    )
    patient = serializers.PrimaryKeyRelatedField(
        queryset=Patient.objects.all(), required=False, allow_null=True, default=None
    )
    anonymous = AnonymousInput(required=False, allow_null=True, default=None)
    referral = ReferralInput(required=False, allow_null=True, default=None)
    held_on = serializers.DateField()
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.PERMANENCE)
    permanence = serializers.PrimaryKeyRelatedField(
        queryset=Permanence.objects.all(), required=False, allow_null=True, default=None
    )
    topics = serializers.ListField(child=serializers.CharField(), allow_empty=True)
    actions = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    started_at = LocalTimeField(required=False, allow_null=True, default=None)
    duration_minutes = serializers.IntegerField(required=False, default=20)
    situation = serializers.CharField(required=False, default="", allow_blank=True)
    interpreting = serializers.ChoiceField(choices=Interpreting.choices, default="aucun")
    interpreter_language = serializers.CharField(required=False, default="", allow_blank=True)
    outcome = serializers.ChoiceField(choices=Outcome.choices, default="en_cours")
    followup_on = serializers.DateField(required=False, allow_null=True, default=None)
    consent_on = serializers.DateField(required=False, allow_null=True, default=None)
    consent_scope = serializers.CharField(required=False, default="", allow_blank=True)
    notes = serializers.CharField(required=False, default="", allow_blank=True)


@extend_schema_view(
    get=extend_schema(
        summary="Entretiens d'accès aux droits (filtres : période, lieu, médiateur·rice, sujet)",
        description=(
            "Réservé à la médiation et à la direction. Chaque page renvoyée est journalisée "
            "(`outreach.session.list`, identifiants des entretiens montrés), comme les listes "
            "d'entretiens des pages."
        ),
        parameters=[*FILTERS, TOPIC_FILTER],
        responses={200: SessionOutput(many=True), **FILTERED_LIST_RESPONSES},
    ),
    post=extend_schema(
        summary="Enregistrer un entretien (personne connue, patient·e, ou anonyme)",
        request=SessionInput,
        responses={201: SessionOutput, **CREATE_RESPONSES},
    ),
)
class SessionListCreate(generics.ListAPIView[RightsSession]):
    serializer_class = SessionOutput
    permission_classes = [ReadWrite.of(read=perms.READ, write=perms.WRITE)]

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return _journaled_page(self, request, selectors.sessions_shown)

    def get_queryset(self) -> QuerySet[RightsSession]:
        qs = selectors.sessions_for(by=acting_user(self.request))
        qs = _filter(qs, self.request, date_field="held_on")
        topic = self.request.query_params.get("topic")
        if topic:
            if topic not in Topic.values:
                raise ValidationError({"topic": [f"Sujet inconnu : {topic}."]})
            qs = qs.filter(topics__contains=[topic])
        return qs

    def post(self, request: Request) -> Response:
        data = SessionInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        anonymous = sessions.AnonymousPerson(**v["anonymous"]) if v["anonymous"] else None
        session_input = sessions.SessionInput(
            held_on=v["held_on"],
            channel=v["channel"],
            permanence=v["permanence"],
            topics=v["topics"],
            actions=v["actions"],
            started_at=v["started_at"],
            duration_minutes=v["duration_minutes"],
            situation=v["situation"],
            interpreting=v["interpreting"],
            interpreter_language=v["interpreter_language"],
            outcome=v["outcome"],
            followup_on=v["followup_on"],
            consent_on=v["consent_on"],
            consent_scope=v["consent_scope"],
            notes=v["notes"],
        )
        session = sessions.session_log(
            by=acting_user(request),
            data=session_input,
            person=v["person"],
            patient=v["patient"],
            anonymous=anonymous,
            referral=referrals.ReferralRequest(**v["referral"]) if v["referral"] else None,
        )
        return Response(SessionOutput(session).data, status=status.HTTP_201_CREATED)


class SessionPatch(serializers.Serializer[Any]):
    """A correction: only the fields sent change (`sessions.SESSION_EDITABLE_FIELDS`)."""

    started_at = LocalTimeField(required=False, allow_null=True)
    duration_minutes = serializers.IntegerField(required=False)
    first_contact = serializers.BooleanField(required=False)
    situation = serializers.CharField(required=False, allow_blank=True)
    topics = serializers.ListField(child=serializers.CharField(), allow_empty=True, required=False)
    actions = serializers.ListField(child=serializers.CharField(), required=False)
    interpreting = serializers.ChoiceField(choices=Interpreting.choices, required=False)
    interpreter_language = serializers.CharField(required=False, allow_blank=True)
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False)
    followup_on = serializers.DateField(required=False, allow_null=True)
    file = serializers.PrimaryKeyRelatedField(
        queryset=RightsFile.objects.all(), required=False, allow_null=True
    )
    consent_on = serializers.DateField(required=False, allow_null=True)
    consent_scope = serializers.CharField(required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)


@extend_schema_view(
    get=extend_schema(
        summary="Un entretien d'accès aux droits",
        description=(
            "Réservé à la médiation et à la direction ; la lecture est journalisée "
            "(`outreach.session.read`), comme la page de l'entretien."
        ),
        responses={200: SessionOutput, **DETAIL_RESPONSES},
    ),
    patch=extend_schema(
        summary="Corriger un entretien (la ou le médiateur·rice qui l'a saisi)",
        description=(
            "Seuls les champs envoyés changent ; la personne, la date, la permanence et les "
            "orientations ne se corrigent pas (400). Mêmes règles qu'à la saisie, messages en "
            "français par champ. Réservé à la ou au médiateur·rice qui a saisi l'entretien "
            "(403 pour les autres). La correction est journalisée (champs modifiés, avant et "
            "après ; le texte des notes n'est pas journalisé)."
        ),
        request=SessionPatch,
        responses={200: SessionOutput, **PATCH_RESPONSES},
    ),
)
class SessionDetail(generics.GenericAPIView[RightsSession]):
    serializer_class = SessionOutput
    permission_classes = [ReadWrite.of(read=perms.READ, write=perms.WRITE)]
    queryset = RightsSession.objects.select_related("person")

    def get(self, request: Request, pk: int) -> Response:
        session = selectors.session_detail(by=acting_user(request), pk=pk)
        return Response(SessionOutput(session).data)

    def patch(self, request: Request, pk: int) -> Response:
        # Only its author corrects a session: `sessions.session_update` refuses anybody else
        # (403) before looking at the fields sent.
        session = self.get_object()
        _refuse_unknown(request, SessionPatch().fields)
        data = SessionPatch(data=request.data)
        data.is_valid(raise_exception=True)
        session = sessions.session_update(
            by=acting_user(request), session=session, changes=data.validated_data
        )
        return Response(SessionOutput(session).data)


# --- Referrals and collective actions -----------------------------------------------------


class ReferralOutput(serializers.ModelSerializer[Referral]):
    patient = serializers.IntegerField(source="person.patient_id", allow_null=True)
    overdue = serializers.BooleanField(
        read_only=True, help_text="En attente après l'échéance de son urgence (`due_at`)."
    )

    class Meta:
        model = Referral
        fields = (
            "id",
            "person",
            "patient",
            "target",
            "partner_name",
            "site",
            "reason",
            "urgency",
            "consultation_type",
            "status",
            "outcome",
            "appointment",
            "created_at",
            "created_by",
            "decided_at",
            "due_at",
            "overdue",
            "fit_warning",
        )


@extend_schema(
    summary="Orientations (l'accueil ne voit que celles vers le centre)",
    parameters=[
        *FILTERS[:2],
        OpenApiParameter(
            "status", OpenApiTypes.STR, enum=ReferralStatus.values, description="État."
        ),
    ],
    description=(
        "Chaque page renvoyée est journalisée (`outreach.referral.list`, identifiants des "
        "orientations montrées), comme la file de l'accueil."
    ),
    responses={200: ReferralOutput(many=True), **FILTERED_LIST_RESPONSES},
)
class ReferralList(generics.ListAPIView[Referral]):
    serializer_class = ReferralOutput
    permission_classes = [ReadWrite.of(read=perms.QUEUE_READ)]

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return _journaled_page(self, request, selectors.referrals_shown)

    def get_queryset(self) -> QuerySet[Referral]:
        qs = selectors.referrals_for(by=acting_user(self.request))
        qs = _filter(
            qs,
            self.request,
            date_field="created_at__date",
            place_field="session__place",
            mediator_field="created_by",
        )
        wanted = self.request.query_params.get("status")
        if wanted is not None:
            if wanted not in ReferralStatus.values:
                raise ValidationError({"status": ["État inconnu."]})
            qs = qs.filter(status=wanted)
        return qs


class CollectiveActionOutput(serializers.ModelSerializer[CollectiveAction]):
    class Meta:
        model = CollectiveAction
        fields = (
            "id",
            *collective_actions.COLLECTIVE_FIELDS,
            "notes",
            "organiser",
            "attendees",
            "attendee_persons",
        )
        read_only_fields = ("attendees", "attendee_persons")


# The choices are documented as one enum (`CollectiveKindEnum`, named in the settings so
# that the input and output serializers share it); the service checks them again.
KIND_HELP = "Type d'action : " + ", ".join(
    f"`{v}` ({label})" for v, label in CollectiveKind.choices
)


class CollectiveActionInput(serializers.Serializer[Any]):
    """A new collective action (`collective_actions.collective_action_create`), without
    named patients (the entry form has none either). Its organiser is the account that sends it."""

    kind = serializers.ChoiceField(choices=CollectiveKind.choices, help_text=KIND_HELP)
    title = serializers.CharField(max_length=200, allow_blank=True)
    # Any place: the service refuses a place no longer used with its own message.
    place = serializers.PrimaryKeyRelatedField(queryset=Place.objects.all())
    held_on = serializers.DateField()
    start_time = LocalTimeField(required=False, allow_null=True, default=None)
    end_time = LocalTimeField(required=False, allow_null=True, default=None)
    partners = serializers.CharField(max_length=250, required=False, default="", allow_blank=True)
    # The column is a 32-bit integer; no action gathers a hundred thousand people.
    participants_count = serializers.IntegerField(max_value=100_000)
    themes = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    cls_action = serializers.CharField(max_length=30, required=False, default="", allow_blank=True)
    notes = serializers.CharField(required=False, default="", allow_blank=True)


class CollectiveActionPatch(serializers.Serializer[Any]):
    """A correction: only the fields sent change
    (`collective_actions.COLLECTIVE_EDITABLE_FIELDS`)."""

    kind = serializers.ChoiceField(
        choices=CollectiveKind.choices, required=False, help_text=KIND_HELP
    )
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    place = serializers.PrimaryKeyRelatedField(queryset=Place.objects.all(), required=False)
    held_on = serializers.DateField(required=False)
    start_time = LocalTimeField(required=False, allow_null=True)
    end_time = LocalTimeField(required=False, allow_null=True)
    partners = serializers.CharField(max_length=250, required=False, allow_blank=True)
    participants_count = serializers.IntegerField(max_value=100_000, required=False)
    themes = serializers.ListField(child=serializers.CharField(), required=False)
    cls_action = serializers.CharField(max_length=30, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)


@extend_schema_view(
    get=extend_schema(
        summary="Actions collectives (filtres : période, lieu, organisateur·rice)",
        parameters=FILTERS,
        responses={200: CollectiveActionOutput(many=True), **FILTERED_LIST_RESPONSES},
    ),
    post=extend_schema(
        summary="Enregistrer une action collective",
        description=(
            "Mêmes règles que la saisie à l'écran (type et thèmes connus, fin après le début, "
            "lieu encore utilisé), messages en français par champ. L'organisateur·rice est le "
            "compte qui envoie la requête. Réservé à la médiation."
        ),
        request=CollectiveActionInput,
        responses={201: CollectiveActionOutput, **CREATE_RESPONSES},
    ),
)
class CollectiveActionList(generics.ListAPIView[CollectiveAction]):
    serializer_class = CollectiveActionOutput
    permission_classes = [ReadWrite.of(read=perms.READ, write=perms.WRITE)]

    def get_queryset(self) -> QuerySet[CollectiveAction]:
        qs = CollectiveAction.objects.order_by("-held_on", "-pk")
        return _filter(qs, self.request, date_field="held_on", mediator_field="organiser")

    def post(self, request: Request) -> Response:
        data = CollectiveActionInput(data=request.data)
        data.is_valid(raise_exception=True)
        action = collective_actions.collective_action_create(
            by=acting_user(request), **data.validated_data
        )
        return Response(CollectiveActionOutput(action).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        summary="Une action collective",
        responses={200: CollectiveActionOutput, **DETAIL_RESPONSES},
    ),
    patch=extend_schema(
        summary="Corriger une action collective (son organisateur·rice)",
        description=(
            "Seuls les champs envoyés changent ; l'organisateur·rice, le site (il suit le "
            "lieu) et les patient·e·s nommé·e·s ne se corrigent pas (400). Mêmes règles "
            "qu'à la saisie, messages en français par champ. Réservé à la ou au "
            "médiateur·rice qui a saisi l'action (403 pour les autres). La correction est "
            "journalisée (champs modifiés, avant et après ; le texte du bilan n'y figure pas)."
        ),
        request=CollectiveActionPatch,
        responses={200: CollectiveActionOutput, **PATCH_RESPONSES},
    ),
)
class CollectiveActionDetail(generics.GenericAPIView[CollectiveAction]):
    serializer_class = CollectiveActionOutput
    permission_classes = [ReadWrite.of(read=perms.READ, write=perms.WRITE)]
    queryset = CollectiveAction.objects.all()

    def get(self, request: Request, pk: int) -> Response:
        return Response(CollectiveActionOutput(self.get_object()).data)

    def patch(self, request: Request, pk: int) -> Response:
        # Only its organiser corrects an action: `collective_action_update` refuses anybody
        # else (403) before looking at the fields sent.
        action = self.get_object()
        _refuse_unknown(request, CollectiveActionPatch().fields)
        data = CollectiveActionPatch(data=request.data)
        data.is_valid(raise_exception=True)
        action = collective_actions.collective_action_update(
            by=acting_user(request), action=action, changes=data.validated_data
        )
        return Response(CollectiveActionOutput(action).data)


class AttendeeInput(serializers.Serializer[Any]):
    """One person named as present: a patient of the centre or a person met by the mediation
    (exactly one of them)."""

    patient = serializers.PrimaryKeyRelatedField(
        queryset=Patient.objects.all(), required=False, allow_null=True, default=None
    )
    person = serializers.PrimaryKeyRelatedField(
        queryset=Person.objects.all(), required=False, allow_null=True, default=None
    )


@extend_schema(
    summary="Nommer une personne présente à une action collective (son organisateur·rice)",
    description=(
        "Ajoute (`…/attendees/`) ou retire (`…/attendees/remove/`) une personne nommée : "
        "`patient` ou `person`. Jamais plus de personnes nommées que de participant·e·s "
        "déclaré·e·s (400) ; déjà inscrite : 409. Journalisé avec les identifiants "
        "seulement (`outreach.collective_action.attendee_add|attendee_remove`)."
    ),
    request=AttendeeInput,
    responses={
        200: CollectiveActionOutput,
        **PATCH_RESPONSES,
        409: OpenApiResponse(RefusalOutput, description="Personne déjà inscrite."),
    },
)
class CollectiveActionAttendees(APIView):
    permission_classes = [ReadWrite.of(read=perms.READ, write=perms.WRITE)]
    remove = False

    def post(self, request: Request, pk: int) -> Response:
        action = CollectiveAction.objects.filter(pk=pk).first()
        if action is None:
            raise refusals.NotFound("Action collective introuvable.")
        data = AttendeeInput(data=request.data)
        data.is_valid(raise_exception=True)
        verb = (
            collective_actions.collective_action_attendee_remove
            if self.remove
            else collective_actions.collective_action_attendee_add
        )
        action = verb(by=acting_user(request), action=action, **data.validated_data)
        return Response(CollectiveActionOutput(action).data)
