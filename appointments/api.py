"""REST API of appointments (/api/v1/...). One view per operation, explicit input and output
serializers; writes go through `appointments.services`."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from appointments import perms, selectors
from appointments.models import Appointment, Colour, ConsultationType, Status
from appointments.services import booking, consultation_types, statuses
from appointments.slots import Rule
from centre.api import query_bool, refuse_unknown_fields
from centre.api_pagination import Pagination
from centre.models import Profession, Site, StaffProfile, User
from centre.perms import HasRole, acting_user
from centre.refusals import Forbidden, NotFound, Refusal
from patients.models import Patient

MAX_SLOT_DAYS = 62

ErrorOutput = inline_serializer(
    name="AppointmentError",
    fields={
        "detail": serializers.CharField(),
        "kind": serializers.CharField(required=False),
        "field": serializers.CharField(required=False),
    },
)
# A 400: DRF's per-field messages; a booking refused by its rules adds the rules broken.
RuleRefusalOutput = inline_serializer(
    name="AppointmentRefusal",
    fields={
        "start": serializers.ListField(child=serializers.CharField(), required=False),
        "non_field_errors": serializers.ListField(child=serializers.CharField(), required=False),
        "rules": serializers.ListField(
            child=serializers.ChoiceField(choices=[r.value for r in Rule]), required=False
        ),
    },
)


class ConsultationTypeOutput(serializers.ModelSerializer[ConsultationType]):
    class Meta:
        model = ConsultationType
        fields = (
            "id",
            "label",
            "profession",
            "duration_minutes",
            "colour",
            "bookable_by_mediators",
            "needs_interpreter_slot",
            "audience_sex",
            "audience_min_age",
            "audience_max_age",
            "is_active",
        )


AUDIENCE_CHOICES = (("", "Tout le monde"), ("F", "Femmes"), ("M", "Hommes"))

DURATION_HELP = (
    "Durée par défaut en minutes : de 5 à 240, multiple de 5. Ne vaut que pour les rendez-vous "
    "pris ensuite (ceux déjà pris gardent leur début et leur fin)."
)


@extend_schema_field(
    {
        "type": "integer",
        "minimum": consultation_types.MIN_DURATION,
        "maximum": consultation_types.MAX_DURATION,
        "multipleOf": consultation_types.DURATION_STEP,
    }
)
class DurationField(serializers.IntegerField):
    """A duration as the schema documents the service's rule; the service checks it (and says
    why in French), so the rule and its message live in one place."""


class ConsultationTypeInput(serializers.Serializer[Any]):
    """A new type (`consultation_types.consultation_type_create`): the rules and their French
    messages are the service's, as on the page."""

    # DRF's metaclass takes declared fields off the class: this `label` does not shadow
    # Field.label at run time, only for mypy.
    label = serializers.CharField(allow_blank=True, max_length=200)  # type: ignore[assignment]
    profession = serializers.ChoiceField(choices=Profession.choices)
    duration_minutes = DurationField(help_text=DURATION_HELP)
    colour = serializers.ChoiceField(choices=Colour.choices, required=False, default=Colour.BLUE)
    bookable_by_mediators = serializers.BooleanField(required=False, default=False)
    needs_interpreter_slot = serializers.BooleanField(required=False, default=False)
    audience_sex = serializers.ChoiceField(
        choices=AUDIENCE_CHOICES,
        required=False,
        default="",
        allow_blank=True,
        help_text="À qui le motif est destiné : une orientation de la médiation qui ne "
        "correspond pas est signalée, jamais refusée.",
    )
    audience_min_age = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=120
    )
    audience_max_age = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=120
    )


class ConsultationTypePatch(serializers.Serializer[Any]):
    """A correction: only the fields sent change. `is_active: false` deactivates the type (no
    longer offered for new bookings; appointments already made keep it)."""

    label = serializers.CharField(allow_blank=True, max_length=200, required=False)  # type: ignore[assignment]
    profession = serializers.ChoiceField(choices=Profession.choices, required=False)
    duration_minutes = DurationField(required=False, help_text=DURATION_HELP)
    colour = serializers.ChoiceField(choices=Colour.choices, required=False)
    bookable_by_mediators = serializers.BooleanField(required=False)
    needs_interpreter_slot = serializers.BooleanField(required=False)
    audience_sex = serializers.ChoiceField(
        choices=AUDIENCE_CHOICES, required=False, allow_blank=True
    )
    audience_min_age = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=120
    )
    audience_max_age = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=120
    )
    is_active = serializers.BooleanField(required=False)


def _type_permissions(request: Request) -> list[Any]:
    # Everybody who books or orients reads the types; reception and direction manage them.
    roles = perms.READ_TYPES if request.method in ("GET", "HEAD", "OPTIONS") else perms.MANAGE_TYPES
    return [HasRole.of(*roles)()]


def _types_for(user: User, *, include_inactive: bool) -> QuerySet[ConsultationType]:
    if include_inactive and perms.can_manage_types(user):
        return ConsultationType.objects.all()
    return perms.consultation_types_for(user)


class ConsultationTypeList(ListAPIView[ConsultationType]):
    """Consultation types (motifs). Mediators see only those they may book (referrals)."""

    serializer_class = ConsultationTypeOutput
    pagination_class = None

    def get_permissions(self) -> list[Any]:
        return _type_permissions(self.request)

    def get_queryset(self) -> QuerySet[ConsultationType]:
        include = query_bool(self.request, "include_inactive")
        return _types_for(acting_user(self.request), include_inactive=include).order_by(
            "profession", "label"
        )

    @extend_schema(
        summary="Motifs de consultation",
        description=(
            "Les motifs proposés (actifs). La médiation ne voit que ceux qu'elle peut réserver. "
            "`include_inactive=true` ajoute les motifs désactivés pour l'accueil et la "
            "direction (ignoré pour les autres rôles)."
        ),
        parameters=[OpenApiParameter("include_inactive", OpenApiTypes.BOOL)],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Créer un motif de consultation",
        description=(
            "Mêmes règles qu'à l'écran « Motifs de consultation » : libellé unique (sans tenir "
            "compte des majuscules), durée de 5 à 240 minutes par pas de 5, profession et "
            "couleur de la liste ; messages en français par champ. Réservé à l'accueil et à "
            "la direction ; journalisé (`consultation_type.create`)."
        ),
        request=ConsultationTypeInput,
        responses={201: ConsultationTypeOutput, 400: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request) -> Response:
        data = ConsultationTypeInput(data=request.data)
        data.is_valid(raise_exception=True)
        ctype = consultation_types.consultation_type_create(
            **data.validated_data, by=acting_user(request)
        )
        return Response(ConsultationTypeOutput(ctype).data, status=status.HTTP_201_CREATED)


class ConsultationTypeDetail(APIView):
    def get_permissions(self) -> list[Any]:
        return _type_permissions(self.request)

    @extend_schema(
        summary="Un motif de consultation",
        description="Un motif désactivé n'est visible que de l'accueil et de la direction.",
        responses={200: ConsultationTypeOutput, 404: OpenApiResponse(description="Inconnu")},
    )
    def get(self, request: Request, pk: int) -> Response:
        ctype = get_object_or_404(_types_for(acting_user(request), include_inactive=True), pk=pk)
        return Response(ConsultationTypeOutput(ctype).data)

    @extend_schema(
        summary="Corriger, désactiver ou réactiver un motif de consultation",
        description=(
            "Seuls les champs envoyés changent ; un champ inconnu est un 400. Mêmes règles "
            "qu'à la création ; la profession d'un motif qui a déjà servi ne change plus. "
            "`is_active: false` désactive le motif : il n'est plus proposé à la prise de "
            "rendez-vous, les rendez-vous déjà pris le gardent. Une nouvelle durée ne vaut que "
            "pour les rendez-vous pris ensuite. Réservé à l'accueil et à la direction ; "
            "journalisé (`consultation_type.update`, champs modifiés avant et après)."
        ),
        request=ConsultationTypePatch,
        responses={
            200: ConsultationTypeOutput,
            400: OpenApiTypes.OBJECT,
            404: OpenApiResponse(description="Inconnu"),
        },
    )
    def patch(self, request: Request, pk: int) -> Response:
        ctype = get_object_or_404(ConsultationType, pk=pk)
        refuse_unknown_fields(
            request, ConsultationTypePatch().fields, consultation_types.NOT_EDITABLE
        )
        data = ConsultationTypePatch(data=request.data)
        data.is_valid(raise_exception=True)
        ctype = consultation_types.consultation_type_update(
            consultation_type=ctype, changes=data.validated_data, by=acting_user(request)
        )
        return Response(ConsultationTypeOutput(ctype).data)


class SlotOutput(serializers.Serializer[Any]):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    practitioner = serializers.IntegerField(source="practitioner_id")
    site = serializers.IntegerField(source="site_id")


class SlotQueryInput(serializers.Serializer[Any]):
    type = serializers.PrimaryKeyRelatedField(
        queryset=ConsultationType.objects.filter(is_active=True),
        error_messages={"does_not_exist": "Motif inconnu.", "required": "Le motif est requis."},
    )
    # `from` is a Python keyword: declared below under its real name.
    to = serializers.DateField(required=False)
    practitioner = serializers.PrimaryKeyRelatedField(
        queryset=StaffProfile.objects.exclude(profession=""), required=False
    )
    site = serializers.PrimaryKeyRelatedField(
        queryset=Site.objects.filter(is_active=True), required=False
    )

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False)
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        first = attrs.get("from") or datetime.date.today()
        last = attrs.get("to") or first + datetime.timedelta(days=13)
        if last < first:
            raise serializers.ValidationError({"to": "La fin doit être après le début."})
        if (last - first).days > MAX_SLOT_DAYS:
            raise serializers.ValidationError(
                {"to": f"Cherchez sur {MAX_SLOT_DAYS} jours au plus."}
            )
        attrs["from"], attrs["to"] = first, last
        return attrs


class SlotList(APIView):
    permission_classes = [HasRole.of(*perms.READ_TYPES)]

    @extend_schema(
        summary="Créneaux libres d'un motif",
        parameters=[
            OpenApiParameter("type", OpenApiTypes.INT, required=True, description="Motif"),
            OpenApiParameter("from", OpenApiTypes.DATE, description="Premier jour (inclus)"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Dernier jour (inclus)"),
            OpenApiParameter("practitioner", OpenApiTypes.INT),
            OpenApiParameter("site", OpenApiTypes.INT),
        ],
        responses={200: SlotOutput(many=True), 400: OpenApiResponse(description="Paramètres")},
    )
    def get(self, request: Request) -> Response:
        # A date parameter sent empty is not « no date »: say so rather than guess.
        empty = [n for n in ("from", "to") if request.query_params.get(n, None) == ""]
        if empty:
            raise serializers.ValidationError(
                {n: ["Date vide : indiquez une date (AAAA-MM-JJ) ou retirez-la."] for n in empty}
            )
        query = SlotQueryInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        if (
            not perms.consultation_types_for(acting_user(request))
            .filter(pk=data["type"].pk)
            .exists()
        ):
            raise serializers.ValidationError({"type": ["Ce motif ne vous est pas ouvert."]})
        slots = selectors.find_slots(
            selectors.SlotQuery(
                consultation_type=data["type"],
                first_day=data["from"],
                last_day=data["to"],
                practitioner_ids=[data["practitioner"].pk] if data.get("practitioner") else None,
                site_id=data["site"].pk if data.get("site") else None,
                limit=500,
            )
        )
        return Response(SlotOutput(slots, many=True).data)


class AppointmentOutput(serializers.ModelSerializer[Appointment]):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()

    class Meta:
        model = Appointment
        fields = (
            "id",
            "patient",
            "practitioner",
            "consultation_type",
            "site",
            "start",
            "end",
            "status",
            "interpreter_language",
            "is_walk_in",
            "forced_reason",
            "forced_rules",
            "arrived_at",
            "called_at",
            "created_at",
        )


class AppointmentInput(serializers.Serializer[Any]):
    patient = serializers.PrimaryKeyRelatedField(queryset=Patient.objects.active())
    practitioner = serializers.PrimaryKeyRelatedField(
        queryset=StaffProfile.objects.exclude(profession="")
    )
    consultation_type = serializers.PrimaryKeyRelatedField(
        queryset=ConsultationType.objects.filter(is_active=True)
    )
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.filter(is_active=True))
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(required=False)
    interpreter_language = serializers.CharField(required=False, allow_blank=True, max_length=40)
    force_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text=(
            "Motif du forçage : prendre le rendez-vous hors des règles (hors des plages "
            "d'ouverture, pendant une absence, un jour férié du site). Réservé à l'accueil et "
            "à la direction (403 pour les autres rôles) ; journalisé et affiché sur l'agenda."
        ),
    )


class AppointmentListCreate(APIView):
    """List appointments (filters: day, site, practitioner, patient, status) and book."""

    # Declared so that the OpenAPI schema documents the paginated envelope of the list.
    pagination_class = Pagination

    def get_permissions(self) -> list[Any]:
        roles = perms.BOOK if self.request.method == "POST" else perms.READ_APPOINTMENTS
        return [HasRole.of(*roles)()]

    @extend_schema(
        summary="Rendez-vous (filtrés)",
        parameters=[
            OpenApiParameter("day", OpenApiTypes.DATE),
            OpenApiParameter("site", OpenApiTypes.INT),
            OpenApiParameter("practitioner", OpenApiTypes.INT),
            OpenApiParameter("patient", OpenApiTypes.INT),
            OpenApiParameter("status", OpenApiTypes.STR, enum=Status.values),
        ],
        description=(
            "Journalisé (`appointment.list`, les rendez-vous de la page), comme le jour de "
            "l'agenda."
        ),
        responses={200: AppointmentOutput(many=True), 400: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        qs = perms.appointments_for(acting_user(request)).order_by("start", "id")
        params = request.query_params
        errors: dict[str, list[str]] = {}
        day = params.get("day")
        if day:
            try:
                qs = qs.on_day(datetime.date.fromisoformat(day))
            except ValueError:
                errors["day"] = ["Date attendue au format AAAA-MM-JJ."]
        for name in ("site", "practitioner", "patient"):
            value = params.get(name)
            if value:
                if not value.isdigit():
                    errors[name] = ["Identifiant numérique attendu."]
                else:
                    qs = qs.filter(**{f"{name}_id": int(value)})
        state = params.get("status")
        if state:
            if state not in Status.values:
                errors["status"] = [f"Statut inconnu : {state}."]
            qs = qs.filter(status=state)
        if errors:
            raise serializers.ValidationError(errors)
        paginator = self._paginator()
        page = paginator.paginate_queryset(qs, request, view=self)
        # The page's appointments name patients: journaled like the agenda's day.
        selectors.appointments_shown(by=acting_user(request), appointments=page or [])
        return paginator.get_paginated_response(AppointmentOutput(page, many=True).data)

    def _paginator(self) -> Any:
        return self.pagination_class()

    @extend_schema(
        summary="Prendre un rendez-vous",
        description=(
            "Le rendez-vous doit tenir dans une plage d'ouverture du·de la soignant·e sur ce "
            "site, hors de ses absences et hors des jours fériés du calendrier du site "
            "(`holiday_subdivision` : Alsace-Moselle, départements d'outre-mer). Sinon 400 "
            "avec le message et `rules` (`hors_plage`, `absence`, `jour_ferie`) ; l'accueil et "
            "la direction peuvent forcer en donnant `force_reason` (journalisé, affiché sur "
            "l'agenda), les autres rôles reçoivent 403 s'ils le tentent."
        ),
        request=AppointmentInput,
        responses={
            201: AppointmentOutput,
            400: OpenApiResponse(
                RuleRefusalOutput,
                description="Données invalides ou hors des règles (messages par champ)",
            ),
            403: OpenApiResponse(ErrorOutput, description="Forçage non autorisé pour ce rôle"),
            409: OpenApiResponse(ErrorOutput, description="Créneau déjà pris"),
        },
    )
    def post(self, request: Request) -> Response:
        data_in = AppointmentInput(data=request.data)
        data_in.is_valid(raise_exception=True)
        data = data_in.validated_data
        appointment = booking.appointment_book(
            patient=data["patient"],
            practitioner=data["practitioner"],
            consultation_type=data["consultation_type"],
            site=data["site"],
            start=data["start"],
            end=data.get("end"),
            interpreter_language=data.get("interpreter_language", ""),
            force_reason=data.get("force_reason", ""),
            by=acting_user(request),
        )
        return Response(AppointmentOutput(appointment).data, status=status.HTTP_201_CREATED)


class AppointmentDetail(APIView):
    permission_classes = [HasRole.of(*perms.READ_APPOINTMENTS)]

    @extend_schema(
        summary="Un rendez-vous",
        description="Journalisé (`appointment.read`), comme la page du rendez-vous.",
        responses={200: AppointmentOutput, 404: OpenApiResponse(description="Inconnu")},
    )
    def get(self, request: Request, pk: int) -> Response:
        appointment = selectors.appointment_detail(by=acting_user(request), pk=pk)
        return Response(AppointmentOutput(appointment).data)


class CancelInput(serializers.Serializer[Any]):
    by_patient = serializers.BooleanField(
        help_text="Vrai : annulé par le·la patient·e (excusé) ; faux : par le centre."
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)


def _transition_view(action: str, summary: str, *, with_cancel: bool = False) -> type[APIView]:
    roles = perms.MARK if action in ("arrive", "seen", "call-in") else perms.BOOK

    class TransitionView(APIView):
        permission_classes = [HasRole.of(*roles)]

        @extend_schema(
            summary=summary,
            request=CancelInput if with_cancel else None,
            responses={
                200: AppointmentOutput,
                # The cancellation also answers DRF's per-field messages for a bad body.
                400: OpenApiResponse(
                    OpenApiTypes.OBJECT, description="Données invalides (messages par champ)"
                ),
                403: OpenApiResponse(ErrorOutput, description="Pas votre rendez-vous"),
                404: OpenApiResponse(description="Rendez-vous inconnu"),
                409: OpenApiResponse(
                    ErrorOutput,
                    description="L'état du rendez-vous ne le permet pas (déjà arrivé·e, pas "
                    "encore commencé, annulé…)",
                ),
            },
        )
        def post(self, request: Request, pk: int) -> Response:
            user = acting_user(request)
            appointment = get_object_or_404(
                perms.appointments_for(user).select_related("practitioner"), pk=pk
            )
            if not perms.can_mark(
                user, appointment, action={"call-in": "call"}.get(action, action)
            ):
                raise Forbidden("Vous ne pouvez pas changer ce rendez-vous.")
            if with_cancel:
                body = CancelInput(data=request.data)
                body.is_valid(raise_exception=True)
                done = statuses.appointment_cancel(
                    appointment=appointment,
                    by=user,
                    by_patient=body.validated_data["by_patient"],
                    reason=body.validated_data.get("reason", ""),
                )
            else:
                service = {
                    "arrive": statuses.appointment_mark_arrived,
                    "seen": statuses.appointment_mark_seen,
                    "no-show": statuses.appointment_mark_no_show,
                    "call-in": statuses.appointment_call_in,
                }[action]
                done = service(appointment=appointment, by=user)
            return Response(AppointmentOutput(done).data)

    TransitionView.__name__ = f"Appointment{action.title().replace('-', '')}"
    return TransitionView


AppointmentArrive = _transition_view("arrive", "Noter l'arrivée")
AppointmentSeen = _transition_view("seen", "Noter la consultation comme faite")
AppointmentNoShow = _transition_view("no-show", "Noter une absence non excusée")
AppointmentCancel = _transition_view("cancel", "Annuler", with_cancel=True)
AppointmentCallIn = _transition_view("call-in", "Appeler en consultation (salle d'attente)")


class WaitingRoomOutput(serializers.Serializer[Any]):
    waiting = AppointmentOutput(many=True)
    in_consultation = AppointmentOutput(many=True)
    seen = AppointmentOutput(many=True)


class WaitingRoomView(APIView):
    """Today's waiting room, as the page shows it (same selector, same journal entry)."""

    permission_classes = [HasRole.of(*perms.READ_AGENDA)]

    @extend_schema(
        summary="Salle d'attente du jour",
        description=(
            "Arrivé·e·s non appelé·e·s (ordre d'arrivée), en consultation, vu·e·s aujourd'hui. "
            "L'accueil et la direction voient un site (`site`, sinon le premier) ; un·e "
            "soignant·e ses propres patient·e·s. Journalisé (`appointment.list`)."
        ),
        parameters=[OpenApiParameter("site", int, required=False)],
        responses={
            200: WaitingRoomOutput,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Site mal écrit"),
            403: OpenApiResponse(ErrorOutput, description="Pas de profession de soin"),
            404: OpenApiResponse(ErrorOutput, description="Site inconnu"),
        },
    )
    def get(self, request: Request) -> Response:
        user = acting_user(request)
        raw = request.query_params.get("site")
        if raw is not None and not raw.isdigit():
            raise Refusal("Un identifiant de site est attendu.", field="site")
        own = None if perms.sees_all(user) else selectors.practitioner_of(user)
        if not perms.sees_all(user) and own is None:
            raise Forbidden("Votre profil n'indique pas de profession de soin.")
        site = None
        raw = request.query_params.get("site", "")
        # Checked for every role (a practitioner's own room ignores the site, but a malformed
        # parameter is refused all the same, an empty one included).
        if "site" in request.query_params and not raw.isdigit():
            raise Refusal("Un identifiant de site est attendu.", field="site")
        if own is None:
            site = (
                Site.objects.filter(pk=int(raw), is_active=True).first()
                if raw
                else Site.objects.filter(is_active=True).order_by("pk").first()
            )
            if raw and site is None:
                raise NotFound("Site inconnu.", field="site")
        room = selectors.waiting_room(
            by=user, day=timezone.localdate(), site=site, practitioner=own
        )
        return Response(WaitingRoomOutput(room).data)


__all__ = [
    "AppointmentArrive",
    "AppointmentCallIn",
    "AppointmentCancel",
    "AppointmentDetail",
    "AppointmentListCreate",
    "AppointmentNoShow",
    "AppointmentSeen",
    "ConsultationTypeDetail",
    "ConsultationTypeList",
    "SlotList",
    "WaitingRoomView",
]
