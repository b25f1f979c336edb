"""`/api/v1/patients/{id}/identity/…`: the identitovigilance actions of the « Vérifier
l'identité » page, through the same service (`services.identity_status`: rights, rules,
journal). Refusals become 400/403/404/409 in `centre.api.exception_handler`. The answer
carries the status and the INS, which the roles allowed here (EDIT_IDENTITY) may all see."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from centre.perms import HasRole, acting_user
from patients import perms
from patients.api import FIELD_ERRORS, REFUSAL
from patients.models import IdentityDocument, Patient
from patients.services import identity_status


class DocumentCheckInput(serializers.Serializer[Any]):
    identity_document = serializers.ChoiceField(choices=IdentityDocument.choices)
    identity_document_checked_on = serializers.DateField(required=False)


class InsSearchInput(serializers.Serializer[Any]):
    accept_traits = serializers.BooleanField(required=False, default=False)


IDENTITY_OUT = inline_serializer(
    "PatientIdentityStatus",
    fields={
        "id": serializers.IntegerField(),
        "identity_status": serializers.CharField(),
        "identity_document": serializers.CharField(),
        "identity_document_checked_on": serializers.DateField(allow_null=True),
        "ins_matricule": serializers.CharField(),
        "ins_oid": serializers.CharField(),
        "outcome": serializers.CharField(required=False),
        "differing": serializers.ListField(child=serializers.CharField(), required=False),
    },
)


def _patient(pk: int) -> Patient:
    patient = Patient.objects.filter(pk=pk).first()
    if patient is None:
        raise NotFound("Dossier introuvable.")
    return patient


def _identity(patient: Patient) -> dict[str, Any]:
    return {
        "id": patient.pk,
        "identity_status": patient.identity_status,
        "identity_document": patient.identity_document,
        "identity_document_checked_on": patient.identity_document_checked_on,
        "ins_matricule": patient.ins_matricule,
        "ins_oid": patient.ins_oid,
    }


class DocumentCheck(APIView):
    permission_classes = [HasRole.of(*perms.EDIT_IDENTITY)]

    @extend_schema(
        summary="Enregistrer la pièce d'identité vérifiée (type et date, jamais de copie)",
        request=DocumentCheckInput,
        responses={200: IDENTITY_OUT, 400: FIELD_ERRORS, 403: REFUSAL, 404: REFUSAL},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = DocumentCheckInput(data=request.data)
        data.is_valid(raise_exception=True)
        patient = identity_status.identity_document_check(
            by=acting_user(request),
            patient=_patient(pk),
            document=data.validated_data["identity_document"],
            checked_on=data.validated_data.get("identity_document_checked_on"),
        )
        return Response(_identity(patient))


class InsSearch(APIView):
    permission_classes = [HasRole.of(*perms.EDIT_IDENTITY)]

    @extend_schema(
        summary="Récupérer l'INS par le téléservice INSi (recherche par traits)",
        request=InsSearchInput,
        responses={200: IDENTITY_OUT, 400: FIELD_ERRORS, 403: REFUSAL, 404: REFUSAL, 409: REFUSAL},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = InsSearchInput(data=request.data)
        data.is_valid(raise_exception=True)
        result = identity_status.ins_search(
            by=acting_user(request),
            patient=_patient(pk),
            accept_traits=data.validated_data["accept_traits"],
        )
        return Response(
            {
                **_identity(result.patient),
                "outcome": result.outcome,
                "differing": list(result.differing),
            }
        )
