"""`/api/v1/patients/`: search (`?q=`), create, retrieve, update, with coverage nested.

Coverage history is never rewritten through the API: `coverages` items sent on create or
update are *added* (a new right of a kind held one at a time closes the current one, as in
the UI); items that carry an `id` are ignored. A médecin traitant declaration is a
`coverages` item of kind `medecin_traitant` with who (`doctor_name`), where
(`doctor_in_centre`) and since when (`start`, possibly in the past): it closes the current
declaration the day before. Billing reads it to decide the care pathway. The current
declaration is returned as `medecin_traitant` (null if none). `has_medecin_traitant: true`
(older clients) opens a declaration from today, saying neither who nor where, if none is
valid; `false` closes the current one.

The views only parse and render: the reads go through `patients.selectors` (journaled as
the pages journal them), the writes through `patients.services`, whose refusals become
400/403/404/409 in `centre.api.exception_handler`. NIRs (`nir`, `coverages[].insured_nir`)
are left out for the roles that do not see them (`patients.perms.SEE_NIR`).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from centre.perms import HasRole, acting_user
from patients import perms, selectors
from patients.identifiers import NIR_INPUT_MAX_LENGTH
from patients.models import Coverage, CoverageKind, Patient, Sex
from patients.services import coverage, identity

API_COVERAGE_KINDS = list(CoverageKind.values)
NIR_FIELDS = ("nir",)
IDENTITY_READ_ONLY = (
    "identity_status",
    "identity_document",
    "identity_document_checked_on",
    "ins_matricule",
    "ins_oid",
)


def _nir_input(help_text: str) -> serializers.CharField:
    # Accepted as typed (`2 87 06 75 123 456 78`): the services compact and check it.
    return serializers.CharField(
        required=False, allow_blank=True, max_length=NIR_INPUT_MAX_LENGTH, help_text=help_text
    )


class CoverageSerializer(serializers.ModelSerializer[Coverage]):
    kind = serializers.ChoiceField(choices=API_COVERAGE_KINDS)
    insured_nir = _nir_input("NIR de l'assuré·e ouvrant droit ; espaces, points ou tirets admis.")

    class Meta:
        model = Coverage
        fields = ("id", *coverage.COVERAGE_FIELDS)
        read_only_fields = ("id",)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            return coverage.clean_coverage(attrs)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None


class PatientSerializer(serializers.ModelSerializer[Patient]):
    sex = serializers.ChoiceField(choices=Sex.choices)
    nir = _nir_input("15 caractères, clé comprise ; espaces, points ou tirets admis.")
    coverages = CoverageSerializer(many=True, required=False)
    has_medecin_traitant = serializers.BooleanField(required=False)
    medecin_traitant = serializers.SerializerMethodField(
        help_text="La déclaration de médecin traitant en cours : doctor_name, "
        "doctor_in_centre, start (null si aucune)."
    )
    # Plain strings, "" when absent (a choices enum without "" would not describe them).
    identity_document = serializers.CharField(
        read_only=True, help_text="Type de la pièce vérifiée (cni, passeport…) ; vide sinon."
    )
    ins_oid = serializers.CharField(
        read_only=True,
        help_text="OID de l'INS (1.2.250.1.213.1.4.8 NIR, .4.9 NIA ; .10/.11 tests) ; vide "
        "sans INS.",
    )

    class Meta:
        model = Patient
        fields: tuple[str, ...] = (
            "id",
            "last_name",
            "birth_name",
            "first_name",
            "sex",
            "birth_date",
            # Identitovigilance (docs/identitovigilance.md): strict traits, writable;
            # status and INS, read-only (changed by services.identity_status) and, like the
            # NIR, shown only to the roles that see it.
            "birth_first_names",
            "first_birth_first_name",
            "birth_place",
            *IDENTITY_READ_ONLY,
            "nir",
            "phone",
            "email",
            "language",
            "interpreter_needed",
            "in_qpv",
            "coverages",
            "has_medecin_traitant",
            "medecin_traitant",
        )
        read_only_fields = ("id", *IDENTITY_READ_ONLY)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and not perms.can_see_nir(request.user):
            # Neither shown nor accepted: a role that does not see NIRs does not type them.
            self.fields.pop("nir")
            for name in IDENTITY_READ_ONLY:
                self.fields.pop(name)
            nested = self.fields["coverages"]
            assert isinstance(nested, serializers.ListSerializer)
            assert isinstance(nested.child, serializers.Serializer)
            nested.child.fields.pop("insured_nir")

    def to_representation(self, instance: Patient) -> dict[str, Any]:
        # `all_coverages` and `valid_coverages` are set by the selectors.
        rows: list[Coverage] = list(getattr(instance, "all_coverages", None) or [])
        valid: list[Coverage] = list(getattr(instance, "valid_coverages", None) or [])
        data = super().to_representation(instance)
        data["coverages"] = self.fields["coverages"].to_representation(
            [c for c in rows if c.kind != CoverageKind.MEDECIN_TRAITANT]
        )
        doctors = [c for c in valid if c.kind == CoverageKind.MEDECIN_TRAITANT]
        data["has_medecin_traitant"] = bool(doctors)
        data["medecin_traitant"] = (
            {
                "doctor_name": doctors[0].doctor_name,
                "doctor_in_centre": doctors[0].doctor_in_centre,
                "start": doctors[0].start.isoformat(),
            }
            if doctors
            else None
        )
        return data

    def get_medecin_traitant(self, instance: Patient) -> dict[str, Any] | None:
        return None  # filled by to_representation from the prefetched rights

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


class PatientCreateSerializer(PatientSerializer):
    confirm_not_duplicate = serializers.BooleanField(
        required=False,
        default=False,
        write_only=True,
        help_text=(
            "Vrai quand l'appelant a vérifié que les dossiers proposés par un refus 409 sont "
            "d'autres personnes : l'enregistrement est alors fait et la confirmation "
            "journalisée (`patient.duplicates_dismissed`, avec les id écartés)."
        ),
    )

    class Meta(PatientSerializer.Meta):
        fields = (*PatientSerializer.Meta.fields, "confirm_not_duplicate")


CANDIDATE = inline_serializer(
    "PatientDuplicateCandidate",
    fields={
        "id": serializers.IntegerField(),
        "display_name": serializers.CharField(),
        "birth_date": serializers.DateField(),
        "nir": serializers.CharField(
            required=False, help_text="Seulement pour les rôles qui voient le NIR."
        ),
    },
)
DUPLICATE_CONFLICT = inline_serializer(
    "PatientDuplicateConflict",
    fields={
        "detail": serializers.CharField(),
        "kind": serializers.ChoiceField(choices=["conflict"]),
        "field": serializers.CharField(allow_blank=True),
        "candidates": serializers.ListField(child=CANDIDATE),
    },
)
REFUSAL = inline_serializer(
    "PatientRefusal",
    fields={
        "detail": serializers.CharField(),
        "kind": serializers.CharField(required=False),
        "field": serializers.CharField(required=False, allow_blank=True),
    },
)
FIELD_ERRORS = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Données invalides : messages en français par champ (les droits par indice, "
    '`{"coverages": {"0": {"organism_name": [...]}}}`). Rien n\'est enregistré.',
)


@extend_schema_view(
    get=extend_schema(
        operation_id="v1_patients_list",
        summary="Rechercher des patient·e·s (lecture journalisée)",
        description="Chaque page montrée est journalisée (`patient.search`, avec les id "
        "montrés), comme la recherche des pages. Un NIR tapé dans `q` ne trouve personne pour "
        "les rôles qui ne voient pas le NIR.",
        parameters=[
            OpenApiParameter(
                "q",
                OpenApiTypes.STR,
                description="Nom, « nom prénom année », jj/mm/aaaa, téléphone ou partie du NIR.",
            )
        ],
        responses={
            200: PatientSerializer(many=True),  # paginated (documented as such)
            403: REFUSAL,
            404: OpenApiResponse(REFUSAL, description="Page hors de la liste."),
        },
    ),
    post=extend_schema(
        summary="Enregistrer un·e patient·e (droits compris)",
        description="Même règle de doublons que l'écran d'inscription : si des dossiers "
        "ressemblent à la personne (même NIR, ou même date de naissance et noms proches), "
        "la réponse est 409 avec les `candidates` et rien n'est enregistré, sauf si "
        "`confirm_not_duplicate` est vrai.",
        request=PatientCreateSerializer,
        responses={
            201: PatientSerializer,
            400: FIELD_ERRORS,
            403: REFUSAL,
            409: OpenApiResponse(
                DUPLICATE_CONFLICT,
                description="Doublons probables : vérifiez les dossiers proposés, puis "
                "renvoyez avec `confirm_not_duplicate: true` s'il s'agit d'une autre personne.",
            ),
        },
    ),
)
class PatientListCreate(GenericAPIView[Patient]):
    serializer_class = PatientSerializer
    queryset = Patient.objects.none()

    def get_permissions(self) -> list[Any]:
        roles = perms.CREATE if self.request.method == "POST" else perms.VIEW
        return [HasRole.of(*roles)()]

    def get(self, request: Request) -> Response:
        paginator = self.paginator
        assert paginator is not None
        page_param: str = getattr(paginator, "page_query_param", "page")
        page_size: int = getattr(paginator, "page_size", None) or 50
        raw = request.query_params.get(page_param, "1")
        try:
            number = int(raw)
        except ValueError:
            number = 0
        if number < 1:
            raise NotFound("Page non valide.")
        found = selectors.patients_search(
            by=acting_user(request),
            query=request.query_params.get("q", "").strip(),
            page=number,
            page_size=page_size,
            everyone_when_empty=True,
            with_count=True,
        )
        if number > 1 and not found.patients:
            raise NotFound("Page non valide.")
        url = request.build_absolute_uri()
        previous = None
        if number > 1:
            previous = (
                remove_query_param(url, page_param)
                if number == 2
                else replace_query_param(url, page_param, number - 1)
            )
        return Response(
            {
                "count": found.count,
                "next": replace_query_param(url, page_param, number + 1)
                if found.has_next
                else None,
                "previous": previous,
                "results": self.get_serializer(found.patients, many=True).data,
            }
        )

    def post(self, request: Request) -> Response:
        serializer = PatientCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        by = acting_user(request)
        patient = identity.patient_register(
            by=by,
            values={k: v for k, v in data.items() if k in identity.IDENTITY_FIELDS},
            coverages=data.get("coverages", []),
            has_medecin_traitant=data.get("has_medecin_traitant"),
            confirm_not_duplicate=data.get("confirm_not_duplicate", False),
        )
        # The record just written, as the caller will read it (not a read of someone else's
        # data: not journaled as one).
        saved = selectors.patient_with_rights(patient.pk)
        return Response(self.get_serializer(saved).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        summary="Un dossier patient (lecture journalisée)",
        description="Journalisé `patient.view`, comme la fiche.",
        responses={200: PatientSerializer, 403: REFUSAL, 404: REFUSAL},
    ),
    put=extend_schema(
        summary="Modifier un dossier (les droits envoyés sont ajoutés)",
        responses={
            200: PatientSerializer,
            400: FIELD_ERRORS,
            403: REFUSAL,
            404: REFUSAL,
        },
    ),
    patch=extend_schema(
        summary="Modifier une partie d'un dossier",
        responses={
            200: PatientSerializer,
            400: FIELD_ERRORS,
            403: REFUSAL,
            404: REFUSAL,
        },
    ),
)
class PatientDetail(GenericAPIView[Patient]):
    serializer_class = PatientSerializer
    queryset = Patient.objects.none()

    def get_permissions(self) -> list[Any]:
        roles = perms.VIEW if self.request.method == "GET" else perms.EDIT_IDENTITY
        return [HasRole.of(*roles)()]

    def get(self, request: Request, pk: int) -> Response:
        patient = selectors.patient_detail(by=acting_user(request), patient_id=pk)
        return Response(self.get_serializer(patient).data)

    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=False)

    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=True)

    def _update(self, request: Request, pk: int, *, partial: bool) -> Response:
        patient = selectors.patient_with_rights(pk)
        identity.ensure_changeable(patient)
        serializer = self.get_serializer(patient, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        identity.patient_update_with_rights(
            by=acting_user(request),
            patient=patient,
            values={k: v for k, v in data.items() if k in identity.IDENTITY_FIELDS},
            coverages=data.get("coverages", []),
            has_medecin_traitant=data.get("has_medecin_traitant"),
        )
        return Response(self.get_serializer(selectors.patient_with_rights(pk)).data)
