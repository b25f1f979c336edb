"""Billing API (/api/v1/): one view per operation, explicit input and output serializers."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import perms, selectors, tasks
from billing.errors import BillingError
from billing.formats import ReturnFileError
from billing.models import Act, Batch, Claim, Invoice, InvoiceLine, ReturnFile, Tariff
from billing.services import invoices, returns
from centre.perms import HasRole, acting_user
from patients.models import Patient


class TariffOutput(serializers.ModelSerializer[Tariff]):
    class Meta:
        model = Tariff
        fields = ("unit_price", "amo_rate", "valid_from", "valid_to", "source", "to_verify")


class ActOutput(serializers.ModelSerializer[Act]):
    tariffs = TariffOutput(many=True)
    # Plain strings (not enums) so the schema has no enum-name collisions with other apps.
    professions = serializers.ListField(child=serializers.CharField())
    kind = serializers.CharField(help_text="medecin, auxiliaire ou aucune")

    class Meta:
        model = Act
        fields = (
            "code",
            "label",
            "professions",
            "kind",
            "is_modifier",
            "care_pathway",
            "default_coefficient",
            "tariffs",
        )


class FeeScheduleList(ListAPIView[Act]):
    """Acts of the fee schedule with their dated tariffs (newest first)."""

    serializer_class = ActOutput
    permission_classes = [HasRole.of(*perms.FEE_SCHEDULE_READ)]
    pagination_class = None

    def get_queryset(self) -> QuerySet[Act]:
        return Act.objects.prefetch_related(
            Prefetch("tariffs", queryset=Tariff.objects.order_by("-valid_from"))
        ).order_by("code")


class InvoiceLineOutput(serializers.ModelSerializer[InvoiceLine]):
    class Meta:
        model = InvoiceLine
        fields = ("code", "label", "unit_price", "coefficient", "amount", "amo_rate", "amo")


class InvoiceOutput(serializers.ModelSerializer[Invoice]):
    lines = InvoiceLineOutput(many=True)
    patient_balance = serializers.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        model = Invoice
        fields = (
            "id",
            "number",
            "patient",
            "appointment",
            "practitioner",
            "date_of_care",
            "total",
            "amo",
            "amc",
            "patient_share",
            "patient_due",
            "patient_paid",
            "patient_balance",
            "pending",
            "pf",
            "franchise",
            "issues",
            "lines",
            "version",
            "replaces",
            "superseded_at",
            "version_reason",
        )


class ActInput(serializers.Serializer[Any]):
    code = serializers.CharField(max_length=12)
    coefficient = serializers.DecimalField(
        max_digits=6, decimal_places=2, required=False, allow_null=True
    )


class InvoiceCreateInput(serializers.Serializer[Any]):
    appointment = serializers.IntegerField()
    acts = ActInput(many=True, allow_empty=False)
    related_to_ald = serializers.BooleanField(default=False)
    pathway_exempt = serializers.BooleanField(default=False)


class InvoiceList(ListAPIView[Invoice]):
    """Invoices the caller may see (practitioners: their own); POST closes a consultation."""

    serializer_class = InvoiceOutput
    permission_classes = [HasRole.of(*perms.INVOICE_READ)]

    def get_queryset(self) -> QuerySet[Invoice]:
        return selectors.visible_invoices(acting_user(self.request)).prefetch_related("lines")

    @extend_schema(request=InvoiceCreateInput, responses={201: InvoiceOutput})
    def post(self, request: Request) -> Response:
        from appointments.models import Appointment

        user = acting_user(request)
        if not user.has_role(*perms.CLOSE_CONSULTATION):
            return Response({"detail": "Réservé aux soignant·e·s."}, status=403)
        data = InvoiceCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        appointment = get_object_or_404(
            Appointment.objects.select_related("patient", "practitioner", "site"),
            pk=data.validated_data["appointment"],
            practitioner__user=user,
        )
        try:
            invoice = invoices.invoice_create(
                patient=appointment.patient,
                practitioner=appointment.practitioner,
                site=appointment.site,
                on=timezone.localtime(appointment.start).date(),
                appointment=appointment,
                acts=[
                    invoices.ActChoice(a["code"], a.get("coefficient"))
                    for a in data.validated_data["acts"]
                ],
                related_to_ald=data.validated_data["related_to_ald"],
                pathway_exempt=data.validated_data["pathway_exempt"],
                by=user,
            )
        except BillingError as error:
            return Response({error.field or "non_field_errors": [error.message]}, status=400)
        return Response(InvoiceOutput(invoice).data, status=201)


class InvoiceDetail(RetrieveAPIView[Invoice]):
    serializer_class = InvoiceOutput
    permission_classes = [HasRole.of(*perms.INVOICE_READ)]
    lookup_url_kwarg = "invoice_id"

    def get_queryset(self) -> QuerySet[Invoice]:
        return selectors.visible_invoices(acting_user(self.request)).prefetch_related("lines")


class CorrectInput(serializers.Serializer[Any]):
    acts = ActInput(many=True, allow_empty=False)
    reason = serializers.CharField(max_length=200)


class ConvertInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


def _billing_error(error: BillingError) -> Response:
    return Response({error.field or "non_field_errors": [error.message]}, status=400)


class InvoiceCorrect(APIView):
    """Correct the acts of an invoice: a new version replaces it (its open claims are
    cancelled, new ones are ready for the next batch). 201 with the new version; 400 with a
    French message if it cannot be replaced (claim paid or being examined…)."""

    permission_classes = [HasRole.of(*perms.BILLING_WRITE)]

    @extend_schema(request=CorrectInput, responses={201: InvoiceOutput})
    def post(self, request: Request, invoice_id: int) -> Response:
        invoice = get_object_or_404(Invoice.objects.current(), pk=invoice_id)
        data = CorrectInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            new = invoices.invoice_correct(
                invoice=invoice,
                acts=[
                    invoices.ActChoice(a["code"], a.get("coefficient"))
                    for a in data.validated_data["acts"]
                ],
                reason=data.validated_data["reason"],
                by=acting_user(request),
            )
        except BillingError as error:
            return _billing_error(error)
        return Response(InvoiceOutput(new).data, status=201)


class PendingConversions(ListAPIView[Invoice]):
    """PASS de ville: invoices billed to the "rights pending" payer whose patient now has
    rights (AMO or AME) on the date of care."""

    serializer_class = InvoiceOutput
    permission_classes = [HasRole.of(*perms.BILLING_READ)]

    def get_queryset(self) -> QuerySet[Invoice]:
        return selectors.pending_convertible().prefetch_related("lines")


class InvoiceConvertPending(APIView):
    """Convert one such invoice into claims to the caisse (201 with the new version; 400 if
    there are still no rights on the date of care)."""

    permission_classes = [HasRole.of(*perms.BILLING_WRITE)]

    @extend_schema(request=ConvertInput, responses={201: InvoiceOutput})
    def post(self, request: Request, invoice_id: int) -> Response:
        invoice = get_object_or_404(Invoice.objects.current(), pk=invoice_id)
        data = ConvertInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            new = invoices.invoice_convert_pending(
                invoice=invoice,
                reason=data.validated_data.get("reason", ""),
                by=acting_user(request),
            )
        except BillingError as error:
            return _billing_error(error)
        return Response(InvoiceOutput(new).data, status=201)


class PreviewInput(serializers.Serializer[Any]):
    patient = serializers.PrimaryKeyRelatedField(queryset=Patient.objects.all())
    date = serializers.DateField()
    acts = ActInput(many=True, allow_empty=False)
    related_to_ald = serializers.BooleanField(default=False)
    pathway_exempt = serializers.BooleanField(default=False)


class PreviewOutput(serializers.Serializer[Any]):
    total = serializers.CharField()
    amo = serializers.CharField()
    amc = serializers.CharField()
    patient_due = serializers.CharField()
    recoverable_by_amo = serializers.CharField()
    notes = serializers.ListField(child=serializers.CharField())


class InvoicePreview(APIView):
    """What an invoice would be, without saving anything (amounts as decimal strings)."""

    permission_classes = [HasRole.of(*perms.FEE_SCHEDULE_READ)]

    @extend_schema(request=PreviewInput, responses={200: PreviewOutput})
    def post(self, request: Request) -> Response:
        data = PreviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        try:
            split = invoices.invoice_preview(
                patient=v["patient"],
                on=v["date"],
                acts=[invoices.ActChoice(a["code"], a.get("coefficient")) for a in v["acts"]],
                related_to_ald=v["related_to_ald"],
                pathway_exempt=v["pathway_exempt"],
            )
        except BillingError as error:
            return Response({error.field or "non_field_errors": [error.message]}, status=400)
        return Response(
            {
                "total": str(split.total),
                "amo": str(split.amo),
                "amc": str(split.amc),
                "patient_due": str(split.patient_due),
                "recoverable_by_amo": str(split.recoverable_by_amo),
                "notes": list(split.notes),
            }
        )


class ClaimOutput(serializers.ModelSerializer[Claim]):
    invoice_number = serializers.CharField(source="invoice.number")
    payer_type = serializers.CharField(help_text="AMO, C2S, AMC ou ATT (droits en attente)")
    status = serializers.CharField()

    class Meta:
        model = Claim
        fields = (
            "id",
            "reference",
            "invoice",
            "invoice_number",
            "payer_type",
            "payer_code",
            "amount",
            "status",
            "batch",
            "acknowledged_on",
            "paid_amount",
            "paid_on",
            "reject_code",
            "reject_label",
        )


class ClaimList(ListAPIView[Claim]):
    """Claims, filterable by `status` and `payer_type`."""

    serializer_class = ClaimOutput
    permission_classes = [HasRole.of(*perms.BILLING_READ)]

    def get_queryset(self) -> QuerySet[Claim]:
        qs = Claim.objects.select_related("invoice").order_by("-id")
        for field in ("status", "payer_type"):
            value = self.request.query_params.get(field)
            if value:
                qs = qs.filter(**{field: value})
        return qs


class BatchOutput(serializers.ModelSerializer[Batch]):
    payer_type = serializers.CharField(help_text="AMO, C2S, AMC ou ATT (droits en attente)")
    status = serializers.CharField()

    class Meta:
        model = Batch
        fields = (
            "id",
            "payer_type",
            "payer_code",
            "number",
            "status",
            "format_version",
            "claims_count",
            "total_amount",
            "created_at",
            "acknowledged_on",
            "ack_code",
            "ack_label",
        )


class BuildOutput(serializers.Serializer[Any]):
    run = serializers.CharField()
    claims = serializers.IntegerField()


class BatchList(ListAPIView[Batch]):
    """Batches (lots); POST enqueues the build of the claims ready now."""

    serializer_class = BatchOutput
    permission_classes = [HasRole.of(*perms.BILLING_READ)]
    queryset = Batch.objects.order_by("-created_at", "-id")

    @extend_schema(request=None, responses={202: BuildOutput})
    def post(self, request: Request) -> Response:
        user = acting_user(request)
        if not user.has_role(*perms.BILLING_WRITE):
            return Response({"detail": "Réservé à la facturation."}, status=403)
        ids = list(Claim.objects.ready().values_list("id", flat=True))
        run = uuid.uuid4().hex
        if ids:
            transaction.on_commit(
                lambda: tasks.build_batches.delay(claim_ids=ids, actor_id=user.pk, run=run)
            )
        return Response({"run": run, "claims": len(ids)}, status=status.HTTP_202_ACCEPTED)


class BatchDownload(APIView):
    permission_classes = [HasRole.of(*perms.BILLING_WRITE)]

    @extend_schema(responses={(200, "text/plain"): bytes})
    def get(self, request: Request, batch_id: int) -> HttpResponse:
        batch = get_object_or_404(Batch, pk=batch_id)
        if not batch.file:
            return HttpResponse(status=404)
        with batch.file.open("rb") as fh:
            content = fh.read()
        return HttpResponse(content, content_type="text/plain; charset=utf-8")


class ReturnOutput(serializers.ModelSerializer[ReturnFile]):
    payer_type = serializers.CharField()

    class Meta:
        model = ReturnFile
        fields = (
            "id",
            "filename",
            "payer_type",
            "payer_code",
            "lines_count",
            "acks_count",
            "paid_count",
            "partial_count",
            "rejected_count",
            "paid_total",
            "imported_at",
            "status",
            "error",
        )


class ReturnInput(serializers.Serializer[Any]):
    file = serializers.FileField()


class ReturnList(ListAPIView[ReturnFile]):
    """Imported return files; POST (multipart `file`) validates the file as a whole (400 with
    the line and the reason if refused: nothing imported) and answers 202 with the file
    « pending »; a Celery task then reconciles it (`status` becomes `imported`, or `failed`
    with `error`). The same content again answers 200 with the existing file."""

    serializer_class = ReturnOutput
    permission_classes = [HasRole.of(*perms.BILLING_WRITE)]
    parser_classes = [MultiPartParser]
    queryset = ReturnFile.objects.order_by("-imported_at", "-id")

    @extend_schema(request=ReturnInput, responses={202: ReturnOutput, 200: ReturnOutput})
    def post(self, request: Request) -> Response:
        data = ReturnInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        try:
            rf, created = returns.return_upload(
                upload=upload, filename=upload.name, by=acting_user(request)
            )
        except ReturnFileError as error:
            return Response(
                {"file": [str(error)], "line": error.line, "reason": error.reason}, status=400
            )
        return Response(ReturnOutput(rf).data, status=202 if created else 200)
