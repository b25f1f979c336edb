"""API of indicators and report runs (`/api/v1/indicators/`, `/api/v1/reports/`)."""

from __future__ import annotations

import calendar
import datetime
from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListCreateAPIView, RetrieveAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from centre.models import Site, User
from centre.perms import HasRole, acting_user
from centre.reports import figures
from centre.reports.indicators import Period, compute, registry
from centre.reports.models import ReportRun
from centre.reports.services import downloads, runs
from centre.reports.services.runs import MAX_PERIOD_DAYS
from centre.reports.templates import TEMPLATES
from centre.roles import Role

# Billing staff see the billing indicators only; the director sees them all.
BILLING_APPS = frozenset({"billing"})


def _parse_period(params: Any) -> Period:
    errors: dict[str, str] = {}
    shortcut = (params.get("period") or "").strip()
    start = end = None
    if shortcut:
        try:
            if len(shortcut) == 4:
                year = int(shortcut)
                start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
            else:
                year, month = (int(x) for x in shortcut.split("-"))
                last = calendar.monthrange(year, month)[1]
                start, end = datetime.date(year, month, 1), datetime.date(year, month, last)
        except ValueError:
            errors["period"] = "Période attendue sous la forme AAAA ou AAAA-MM."
    else:
        for name in ("from", "to"):
            raw = (params.get(name) or "").strip()
            try:
                value = datetime.date.fromisoformat(raw)
            except ValueError:
                errors[name] = "Date attendue au format AAAA-MM-JJ."
                continue
            if name == "from":
                start = value
            else:
                end = value
    if errors:
        raise ValidationError(errors)
    assert start is not None and end is not None
    if end < start:
        raise ValidationError({"to": "La fin de la période doit être après son début."})
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise ValidationError({"to": "La période ne peut dépasser deux ans."})
    return Period(start, end)


def _parse_site(params: Any) -> Site | None:
    raw = (params.get("site") or "").strip()
    if not raw:
        return None
    site = Site.objects.filter(pk=int(raw) if raw.isdigit() else -1).first()
    if site is None:
        raise ValidationError({"site": "Site inconnu."})
    return site


class IndicatorList(APIView):
    """Indicators for a period (`from` and `to`, or `period=AAAA` / `AAAA-MM`) and a site (all
    sites if absent). Exact values, as on the dashboard."""

    permission_classes = [HasRole.of(Role.DIRECTION, Role.FACTURATION)]

    @extend_schema(
        summary="Indicateurs d'une période",
        parameters=[
            OpenApiParameter("from", str, description="AAAA-MM-JJ"),
            OpenApiParameter("to", str, description="AAAA-MM-JJ (inclus)"),
            OpenApiParameter("period", str, description="AAAA ou AAAA-MM"),
            OpenApiParameter("site", int),
        ],
        responses={200: dict[str, Any]},
    )
    def get(self, request: Request) -> Response:
        period = _parse_period(request.query_params)
        site = _parse_site(request.query_params)
        user = request.user
        assert isinstance(user, User)
        keys = list(registry())
        if not (user.is_superuser or user.has_role(Role.DIRECTION)):
            keys = [k for k, i in registry().items() if i.app in BILLING_APPS]
        results = compute(keys, period, [site] if site else None)
        return Response(
            {
                "from": period.start.isoformat(),
                "to": period.end.isoformat(),
                "site": site.pk if site else None,
                "indicators": [figures.figure(r, threshold=None) for r in results],
            }
        )


class ReportRunInput(serializers.Serializer[dict[str, Any]]):
    template = serializers.ChoiceField(choices=[(k, t.title) for k, t in TEMPLATES.items()])
    from_ = serializers.DateField()
    to = serializers.DateField()
    site = serializers.PrimaryKeyRelatedField(
        queryset=Site.objects.filter(is_active=True), required=False, allow_null=True
    )

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")  # "from" is a Python keyword
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["to"] < attrs["from"]:
            raise ValidationError({"to": "La fin de la période doit être après son début."})
        return attrs


class ReportRunOutput(serializers.ModelSerializer[ReportRun]):
    files = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = ReportRun
        fields = (
            "id",
            "url",
            "template",
            "period_start",
            "period_end",
            "site",
            "status",
            "progress",
            "error",
            "suppression_threshold",
            "created_at",
            "started_at",
            "finished_at",
            "files",
        )

    def get_url(self, run: ReportRun) -> str:
        return reverse(
            "api:report-detail", kwargs={"pk": run.pk}, request=self.context.get("request")
        )

    def get_files(self, run: ReportRun) -> dict[str, str]:
        """The files' API addresses (they take the same token or session as the API)."""
        request = self.context.get("request")
        return {
            fmt: reverse("api:report-file", kwargs={"pk": run.pk, "fmt": fmt}, request=request)
            for fmt in run.files()
        }


class ReportRunListCreate(ListCreateAPIView[ReportRun]):
    """Report runs: list, and create (the files are produced in the background: poll the run
    until `status` is `done`, then follow the `files` links)."""

    permission_classes = [HasRole.of(Role.DIRECTION)]
    serializer_class = ReportRunOutput
    queryset = ReportRun.objects.select_related("site").order_by("-created_at", "-id")

    @extend_schema(
        request=ReportRunInput,
        responses={
            201: ReportRunOutput,
            400: OpenApiResponse(description="Demande refusée : messages en français par champ"),
            403: OpenApiResponse(description="Réservé à la direction"),
        },
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = ReportRunInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        run = runs.report_request(
            by=acting_user(request),
            template=values["template"],
            period=Period(values["from"], values["to"]),
            site=values.get("site"),
        )
        run.refresh_from_db()
        output = ReportRunOutput(run, context=self.get_serializer_context())
        return Response(output.data, status=status.HTTP_201_CREATED)


class ReportRunDetail(RetrieveAPIView[ReportRun]):
    permission_classes = [HasRole.of(Role.DIRECTION)]
    serializer_class = ReportRunOutput
    queryset = ReportRun.objects.select_related("site")


class ReportRunFile(APIView):
    """A finished report's file (PDF, CSV or XLSX) with an API token or a session; the
    download is journaled as the page's is (`report.download`, same service)."""

    permission_classes = [HasRole.of(Role.DIRECTION)]

    @extend_schema(
        summary="Fichier d'un rapport terminé",
        parameters=[
            OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=sorted(downloads.FORMATS))
        ],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, downloads.FORMATS["xlsx"]): OpenApiTypes.BINARY,
            400: OpenApiResponse(description="Format inconnu."),
            404: OpenApiResponse(description="Rapport inconnu, ou fichier absent ou purgé."),
        },
    )
    def get(self, request: Request, pk: int, fmt: str) -> HttpResponse:
        run = get_object_or_404(ReportRun, pk=pk)
        path = downloads.report_download(by=acting_user(request), run=run, fmt=fmt)
        response = HttpResponse(path.read_bytes(), content_type=downloads.FORMATS[fmt])
        response["Content-Disposition"] = content_disposition_header(True, path.name)
        response["Cache-Control"] = "private, no-store"
        return response
