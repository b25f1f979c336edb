"""`/api/v1/patients/`: search (`?q=`), create, retrieve, update, with coverage nested.

Coverage history is never rewritten through the API: `coverages` items sent on create or
update are *added* (a new right of a kind held one at a time closes the current one, as in
the UI); items that carry an `id` are ignored. `has_medecin_traitant: true` opens a
"médecin traitant" record from today if none is valid; `false` closes the current one.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from centre import audit
from centre.models import User
from centre.perms import HasRole
from patients import perms, selectors
from patients.models import Coverage, CoverageKind, Patient, Sex
from patients.services import coverage, identity

API_COVERAGE_KINDS = [k for k in CoverageKind.values if k != CoverageKind.MEDECIN_TRAITANT]


class CoverageSerializer(serializers.ModelSerializer[Coverage]):
    kind = serializers.ChoiceField(choices=API_COVERAGE_KINDS)

    class Meta:
        model = Coverage
        fields = ("id", *coverage.COVERAGE_FIELDS)
        read_only_fields = ("id",)
        extra_kwargs = {"doctor_in_centre": {"read_only": True}, "doctor_name": {"read_only": True}}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            return coverage.clean_coverage(attrs)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None


class PatientSerializer(serializers.ModelSerializer[Patient]):
    sex = serializers.ChoiceField(choices=Sex.choices)
    coverages = CoverageSerializer(many=True, required=False)
    has_medecin_traitant = serializers.BooleanField(required=False)

    class Meta:
        model = Patient
        fields = (
            "id",
            "last_name",
            "birth_name",
            "first_name",
            "sex",
            "birth_date",
            "nir",
            "phone",
            "email",
            "language",
            "interpreter_needed",
            "in_qpv",
            "coverages",
            "has_medecin_traitant",
        )
        read_only_fields = ("id",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and not perms.can_see_nir(request.user):
            self.fields.pop("nir")

    def to_representation(self, instance: Patient) -> dict[str, Any]:
        today = timezone.localdate()
        rows: list[Coverage] = list(getattr(instance, "all_coverages", None) or [])
        data = super().to_representation(instance)
        data["coverages"] = CoverageSerializer(
            [c for c in rows if c.kind != CoverageKind.MEDECIN_TRAITANT], many=True
        ).data
        data["has_medecin_traitant"] = any(
            c.kind == CoverageKind.MEDECIN_TRAITANT and c.is_valid_on(today) for c in rows
        )
        return data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        values = {k: v for k, v in attrs.items() if k not in ("coverages", "has_medecin_traitant")}
        if self.instance is not None:
            # Checked as the service will check it: the whole identity after the change (a
            # new sex or birth date must still agree with the NIR already on record).
            for name in identity.IDENTITY_FIELDS:
                values.setdefault(name, getattr(self.instance, name))
        try:
            cleaned = identity.clean_identity(values)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        return {**attrs, **{k: v for k, v in cleaned.items() if k in attrs}}


def _with_coverages(qs: Any) -> Any:
    from django.db.models import Prefetch

    return qs.prefetch_related(
        Prefetch(
            "coverages",
            queryset=Coverage.objects.order_by("kind", "-start"),
            to_attr="all_coverages",
        )
    )


def _save_nested(
    patient: Patient, coverages: list[dict[str, Any]], has_mt: bool | None, by: User
) -> None:
    # Keyed by the item's index, like DRF's own nested-list errors.
    errors: dict[str, Any] = {}
    for index, item in enumerate(coverages):
        try:
            coverage.coverage_add(patient=patient, values=item, by=by)
        except DjangoValidationError as error:
            errors[str(index)] = error.message_dict
    if errors:
        raise serializers.ValidationError({"coverages": errors})
    if has_mt is None:
        return
    today = timezone.localdate()
    current = Coverage.objects.filter(patient=patient, kind=CoverageKind.MEDECIN_TRAITANT).valid_on(
        today
    )
    if has_mt and not current.exists():
        coverage.coverage_add(
            patient=patient,
            values={"kind": CoverageKind.MEDECIN_TRAITANT, "start": today},
            by=by,
        )
    elif not has_mt:
        for row in current:
            coverage.coverage_end(
                coverage=row, end=max(row.start, today - datetime.timedelta(days=1)), by=by
            )


@extend_schema_view(
    get=extend_schema(
        operation_id="v1_patients_list",
        summary="Rechercher des patient·e·s",
        parameters=[
            OpenApiParameter(
                "q",
                OpenApiTypes.STR,
                description="Nom, « nom prénom année », jj/mm/aaaa, téléphone ou partie du NIR.",
            )
        ],
        responses={200: PatientSerializer(many=True)},  # paginated (documented as such)
    ),
    post=extend_schema(summary="Enregistrer un·e patient·e (droits compris)"),
)
class PatientListCreate(GenericAPIView[Patient]):
    serializer_class = PatientSerializer
    queryset = Patient.objects.active()

    def get_permissions(self) -> list[Any]:
        roles = perms.CREATE if self.request.method == "POST" else perms.VIEW
        return [HasRole.of(*roles)()]

    def get(self, request: Request) -> Response:
        query = request.query_params.get("q", "").strip()
        if query:
            with transaction.atomic():
                selectors._word_similarity_threshold()
                qs = _with_coverages(selectors.search_queryset(query))
                page = self.paginate_queryset(qs)
                assert page is not None
                data = self.get_serializer(page, many=True).data
        else:
            qs = _with_coverages(Patient.objects.active().order_by("last_name", "first_name", "id"))
            page = self.paginate_queryset(qs)
            assert page is not None
            data = self.get_serializer(page, many=True).data
        return self.get_paginated_response(data)

    def post(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        coverages = data.pop("coverages", [])
        has_mt = data.pop("has_medecin_traitant", None)
        user = request.user
        assert isinstance(user, User)
        with transaction.atomic():  # patient and rights together, or nothing
            patient = identity.patient_create(values=data, by=user)
            _save_nested(patient, coverages, has_mt, user)
        patient = _with_coverages(Patient.objects.all()).get(pk=patient.pk)
        return Response(self.get_serializer(patient).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(summary="Un dossier patient (lecture journalisée)"),
    put=extend_schema(summary="Modifier un dossier (les droits envoyés sont ajoutés)"),
    patch=extend_schema(summary="Modifier une partie d'un dossier"),
)
class PatientDetail(GenericAPIView[Patient]):
    serializer_class = PatientSerializer
    queryset = Patient.objects.all()

    def get_permissions(self) -> list[Any]:
        roles = perms.VIEW if self.request.method == "GET" else perms.EDIT_IDENTITY
        return [HasRole.of(*roles)()]

    def _load(self, pk: int) -> Patient:
        return get_object_or_404(_with_coverages(Patient.objects.all()), pk=pk)

    def get(self, request: Request, pk: int) -> Response:
        patient = self._load(pk)
        audit.record_read(actor=request.user, action="patient.view_api", obj=patient)
        return Response(self.get_serializer(patient).data)

    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=False)

    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=True)

    def _update(self, request: Request, pk: int, *, partial: bool) -> Response:
        patient = self._load(pk)
        if not patient.is_active:
            raise PermissionDenied("Ce dossier a été fusionné ou anonymisé.")
        serializer = self.get_serializer(patient, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        coverages = data.pop("coverages", [])
        has_mt = data.pop("has_medecin_traitant", None)
        user = request.user
        assert isinstance(user, User)
        try:
            with transaction.atomic():
                identity.patient_update(patient=patient, values=data, by=user)
                _save_nested(patient, coverages, has_mt, user)
        except DjangoValidationError as error:  # whatever the service refuses is a 400
            detail = error.message_dict if hasattr(error, "error_dict") else error.messages
            raise serializers.ValidationError(detail) from None
        return Response(self.get_serializer(self._load(pk)).data)
