from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import exception_handler as drf_exception_handler

from centre.models import Site, User
from centre.perms import HasRole
from centre.refusals import Refusal
from centre.roles import STAFF_ROLES


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """The one translation of refusals for the API (settings: EXCEPTION_HANDLER).

    A service's `Refusal` answers its kind's status (400, 403, 404, 409) with its French
    message; a Django `ValidationError` raised by a service (model validation, identity
    checks) is a 400 field by field. Everything else is DRF's own handling (French messages
    through LANGUAGE_CODE)."""
    if isinstance(exc, Refusal):
        return Response(exc.as_json(), status=exc.http_status)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            body = {
                (k if k != "__all__" else "non_field_errors"): v
                for k, v in exc.message_dict.items()
            }
        else:
            body = {"non_field_errors": list(exc.messages)}
        return Response(body, status=400)
    if isinstance(exc, exceptions.ParseError):
        # Every 400 reads the same way, field by field: a body that is not JSON is a problem
        # of the whole request.
        return Response(
            {"non_field_errors": ["Corps de la requête illisible : du JSON est attendu."]},
            status=400,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Introuvable (ou hors de vos droits).")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)


TRUE_WORDS = frozenset({"true", "1"})
FALSE_WORDS = frozenset({"false", "0", ""})


def query_bool(request: Request, name: str) -> bool:
    """A boolean query parameter as the schema documents it (`true`/`false`, or 1/0); any
    other value is refused (400) rather than read as false."""
    raw = request.query_params.get(name, "").strip().lower()
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise ValidationError({name: ["Valeur attendue : true ou false."]})


def refuse_unknown_fields(request: Request, allowed: Iterable[str], message: str) -> None:
    """A PATCH naming a field it may not change is refused whole, field by field, with
    `message` (a 400): DRF would otherwise ignore the field and answer 200 as if it had been
    applied."""
    if isinstance(request.data, Mapping):
        refused = sorted(set(request.data) - set(allowed))
        if refused:
            raise ValidationError({name: [message] for name in refused})


class SiteOutput(serializers.ModelSerializer[Site]):
    class Meta:
        model = Site
        fields = ("id", "name", "address", "in_qpv", "holiday_subdivision", "is_active")


class MeOutput(serializers.Serializer[dict[str, Any]]):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())


@extend_schema(responses={200: dict[str, str]}, summary="Points d'entrée de l'API v1")
@api_view(["GET"])
def api_root(request: Request, format: Any = None) -> Response:
    return Response(
        {
            "me": reverse("api:me", request=request, format=format),
            "sites": reverse("api:sites", request=request, format=format),
            "indicators": reverse("api:indicators", request=request, format=format),
            "reports": reverse("api:reports", request=request, format=format),
            "patients": reverse("api:patients", request=request, format=format),
            "consultation-types": reverse("api:consultation-types", request=request, format=format),
            "slots": reverse("api:slots", request=request, format=format),
            "appointments": reverse("api:appointments", request=request, format=format),
            "outreach-places": reverse("api:outreach-places", request=request, format=format),
            "outreach-permanences": reverse(
                "api:outreach-permanences", request=request, format=format
            ),
            "outreach-sessions": reverse("api:outreach-sessions", request=request, format=format),
            "outreach-referrals": reverse("api:outreach-referrals", request=request, format=format),
            "outreach-collective-actions": reverse(
                "api:outreach-collective-actions", request=request, format=format
            ),
            "participation-surveys": reverse(
                "api:participation-surveys", request=request, format=format
            ),
            "fee-schedule": reverse("api:fee-schedule", request=request, format=format),
            "invoices": reverse("api:invoices", request=request, format=format),
            "invoice-pending-conversions": reverse(
                "api:invoice-pending-conversions", request=request, format=format
            ),
            "claims": reverse("api:claims", request=request, format=format),
            "batches": reverse("api:batches", request=request, format=format),
            "returns": reverse("api:returns", request=request, format=format),
            "schema": reverse("api_schema", request=request, format=format),
        }
    )


@extend_schema(responses=MeOutput, summary="Le compte authentifié et ses rôles")
@api_view(["GET"])
def me(request: Request) -> Response:
    user = request.user
    assert isinstance(user, User)
    data = {
        "id": user.pk,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "roles": sorted(user.roles),
    }
    return Response(MeOutput(data).data)


class SiteList(ListAPIView[Site]):
    """Sites of the centre (any member of staff)."""

    serializer_class = SiteOutput
    permission_classes = [HasRole.of(*STAFF_ROLES)]
    queryset = Site.objects.filter(is_active=True).order_by("name")
