"""Billing API (/api/v1/): one view per operation, explicit input and output serializers.

Each view parses, calls one service or selector and serializes. Refusals are raised by the
services (BillingError 400/409, BillingForbidden 403, BillingNotFound 404) and answered by
`centre.api.exception_handler`; lists journal the page they return through the same selector
as the pages (`JournaledList`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Max, Prefetch, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import perms, selectors, worklists
from billing.errors import BillingError
from billing.models import (
    Act,
    Batch,
    Claim,
    ClaimStatus,
    Invoice,
    InvoiceLine,
    ReturnFile,
    Tariff,
)
from billing.payers import payer_name
from billing.pricing import Pathway, PayerType
from billing.services import batches, fse, invoices, reconciliation, returns, tariffs
from centre.perms import HasRole, acting_user
from patients.models import Patient


class BillingRefusal(serializers.Serializer[Any]):
    """A refusal (403, 404, 409): `detail` always; `kind` and `field` when a service refused
    (DRF's own permission and 404 answers carry `detail` only)."""

    detail = serializers.CharField()
    kind = serializers.CharField(required=False, help_text="forbidden, not_found ou conflict")
    field = serializers.CharField(required=False)


INVALID = OpenApiResponse(
    OpenApiTypes.OBJECT, description="Données invalides : messages en français, par champ"
)
FORBIDDEN = OpenApiResponse(BillingRefusal, description="Réservé à d'autres rôles")
NOT_FOUND = OpenApiResponse(BillingRefusal, description="Introuvable (ou hors de vos droits)")
PAGE_NOT_FOUND = OpenApiResponse(BillingRefusal, description="Page de la liste inexistante")
CONFLICT = OpenApiResponse(
    BillingRefusal, description="Refusé dans l'état actuel (déjà remplacée, demande payée…)"
)


class JournaledList(ListAPIView[Any]):
    """A list whose returned page is journaled through `shown` (the pages' selector)."""

    def shown(self, rows: Sequence[Any]) -> list[Any]:  # pragma: no cover - overridden
        raise NotImplementedError

    def paginate_queryset(self, queryset: Any) -> list[Any] | None:
        page = super().paginate_queryset(queryset)
        return None if page is None else self.shown(page)


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

    @extend_schema(responses={200: ActOutput(many=True), 403: FORBIDDEN})
    def get(self, request: Request) -> Response:
        return super().get(request)

    def get_queryset(self) -> QuerySet[Act]:
        return Act.objects.prefetch_related(
            Prefetch("tariffs", queryset=Tariff.objects.order_by("-valid_from"))
        ).order_by("code")


class TariffDetailOutput(serializers.ModelSerializer[Tariff]):
    act = serializers.CharField(source="act.code")

    class Meta:
        model = Tariff
        fields = ("id", "act", "unit_price", "amo_rate", "valid_from", "source", "to_verify")


class TariffCreateInput(serializers.Serializer[Any]):
    act = serializers.CharField(max_length=12, help_text="Code de l'acte (G, VG, AMI…)")
    unit_price = serializers.DecimalField(max_digits=8, decimal_places=2)
    amo_rate = serializers.DecimalField(max_digits=5, decimal_places=4)
    valid_from = serializers.DateField()
    source = serializers.CharField()  # type: ignore[assignment]  # the field, not Field.source
    to_verify = serializers.BooleanField(default=False)


class TariffCorrectInput(serializers.Serializer[Any]):
    unit_price = serializers.DecimalField(max_digits=8, decimal_places=2, required=False)
    amo_rate = serializers.DecimalField(max_digits=5, decimal_places=4, required=False)
    source = serializers.CharField()  # type: ignore[assignment]  # the field, not Field.source
    to_verify = serializers.BooleanField()


class TariffCreate(APIView):
    """The director adds a dated tariff (journaled `billing.tariff.add`), as the page does."""

    parser_classes = [JSONParser]
    permission_classes = [HasRole.of(*perms.FEE_SCHEDULE_WRITE)]

    @extend_schema(
        request=TariffCreateInput,
        responses={201: TariffDetailOutput, 400: INVALID, 403: FORBIDDEN},
    )
    def post(self, request: Request) -> Response:
        data = TariffCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        act = Act.objects.filter(code=v["act"].strip().upper()).first()
        if act is None:
            raise BillingError(f"Acte « {v['act']} » inconnu de la nomenclature.", field="act")
        tariff = tariffs.tariff_add(
            act=act,
            unit_price=v["unit_price"],
            amo_rate=v["amo_rate"],
            valid_from=v["valid_from"],
            source=v["source"],
            to_verify=v["to_verify"],
            by=acting_user(request),
        )
        return Response(TariffDetailOutput(tariff).data, status=201)


class TariffCorrect(APIView):
    """The director checks a tariff against its text (journaled `billing.tariff.correct`):
    source and « à vérifier » always; amount and rate only while no invoice used it (409)."""

    parser_classes = [JSONParser]
    permission_classes = [HasRole.of(*perms.FEE_SCHEDULE_WRITE)]

    @extend_schema(
        request=TariffCorrectInput,
        responses={
            200: TariffDetailOutput,
            400: INVALID,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    def patch(self, request: Request, tariff_id: int) -> Response:
        data = TariffCorrectInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        tariff = tariffs.tariff_correct(
            tariff=get_object_or_404(Tariff, pk=tariff_id),
            unit_price=v.get("unit_price"),
            amo_rate=v.get("amo_rate"),
            source=v["source"],
            to_verify=v["to_verify"],
            by=acting_user(request),
        )
        return Response(TariffDetailOutput(tariff).data)


class InvoiceLineOutput(serializers.ModelSerializer[InvoiceLine]):
    class Meta:
        model = InvoiceLine
        fields = ("code", "label", "unit_price", "coefficient", "amount", "amo_rate", "amo")


class InvoiceOutput(serializers.ModelSerializer[Invoice]):
    lines = InvoiceLineOutput(many=True)
    patient_balance = serializers.DecimalField(max_digits=12, decimal_places=2)
    # Plain strings (not enums) so the schema has no enum-name collisions with other apps.
    pathway = serializers.CharField(help_text=" ; ".join(f"{k} : {v}" for k, v in Pathway.CHOICES))
    insurance_nature = serializers.CharField(help_text="maladie, maternite ou at")
    exemption = serializers.CharField(help_text="vide, ou le motif d'exonération du TM")

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
            "pathway",
            "pathway_reason",
            "insurance_nature",
            "exemption",
            "work_accident_number",
            "work_accident_date",
            "version",
            "replaces",
            "superseded_at",
            "version_reason",
            "fse_mode",
            "fse_number",
            "fse_signed_at",
        )


class ActInput(serializers.Serializer[Any]):
    code = serializers.CharField(max_length=12)
    coefficient = serializers.DecimalField(
        max_digits=6, decimal_places=2, required=False, allow_null=True
    )


class CareInput(serializers.Serializer[Any]):
    """What the close of a consultation and its preview both say about the care: the acts,
    and what decides the coverage (ALD, pathway, work accident, prenatal exam)."""

    acts = serializers.ListField(child=ActInput(), min_length=1)  # minItems in the schema
    related_to_ald = serializers.BooleanField(default=False)
    pathway_exempt = serializers.BooleanField(default=False)
    # A plain string (checked by the service, 400 on `pathway`): no enum-name collisions.
    pathway = serializers.CharField(
        max_length=16,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Indicateur de parcours ("
        + ", ".join(code for code, _ in Pathway.CHOICES)
        + ") ; absent : lu dans la couverture du jour des soins.",
    )
    related_to_work_accident = serializers.BooleanField(default=False)
    work_accident_number = serializers.CharField(max_length=50, required=False, default="")
    prenatal_exam = serializers.BooleanField(
        default=False, help_text="Un des sept examens prénataux obligatoires (100 %)."
    )


class InvoiceCreateInput(CareInput):
    appointment = serializers.IntegerField()
    vitale_card = serializers.BooleanField(
        default=True, help_text="La carte Vitale est lue (sinon : feuille en mode dégradé)"
    )


def _acts(data: list[dict[str, Any]]) -> list[invoices.ActChoice]:
    return [invoices.ActChoice(a["code"], a.get("coefficient")) for a in data]


class InvoiceList(JournaledList):
    """Invoices the caller may see (practitioners: their own), the page journaled; POST closes
    one of the caller's consultations (practitioners)."""

    # Its body holds a list of acts, which only JSON can carry.
    parser_classes = [JSONParser]

    serializer_class = InvoiceOutput
    permission_classes = [HasRole.of(*perms.INVOICE_READ)]

    def get_queryset(self) -> QuerySet[Invoice]:
        return (
            selectors.visible_invoices(acting_user(self.request))
            .prefetch_related("lines")
            .order_by("-date_of_care", "-id")
        )

    def shown(self, rows: Sequence[Any]) -> list[Any]:
        return selectors.invoices_shown(by=acting_user(self.request), invoices=rows)

    @extend_schema(responses={200: InvoiceOutput(many=True), 403: FORBIDDEN, 404: PAGE_NOT_FOUND})
    def get(self, request: Request) -> Response:
        return super().get(request)

    @extend_schema(
        request=InvoiceCreateInput,
        responses={
            201: InvoiceOutput,
            400: INVALID,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    def post(self, request: Request) -> Response:
        data = InvoiceCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = invoices.invoice_close_consultation(
            by=acting_user(request),
            appointment_id=data.validated_data["appointment"],
            acts=_acts(data.validated_data["acts"]),
            related_to_ald=data.validated_data["related_to_ald"],
            pathway_exempt=data.validated_data["pathway_exempt"],
            pathway=data.validated_data.get("pathway"),
            related_to_work_accident=data.validated_data["related_to_work_accident"],
            work_accident_number=data.validated_data["work_accident_number"],
            prenatal_exam=data.validated_data["prenatal_exam"],
        )
        # The care sheet is secured at the close, as from the page (billing.fse).
        fse.fse_secure(
            invoice_id=invoice.pk,
            by=acting_user(request),
            card_present=data.validated_data.get("vitale_card", True),
        )
        invoice.refresh_from_db()
        return Response(InvoiceOutput(invoice).data, status=201)


class InvoiceDetail(APIView):
    """One invoice the caller may see, journaled like the page (`billing.invoice.read`)."""

    permission_classes = [HasRole.of(*perms.INVOICE_READ)]

    @extend_schema(responses={200: InvoiceOutput, 403: FORBIDDEN, 404: NOT_FOUND})
    def get(self, request: Request, invoice_id: int) -> Response:
        invoice = selectors.invoice_read(by=acting_user(request), invoice_id=invoice_id)
        return Response(InvoiceOutput(invoice).data)


class CorrectInput(serializers.Serializer[Any]):
    acts = serializers.ListField(child=ActInput(), min_length=1)  # minItems in the schema
    reason = serializers.CharField(max_length=200)


class ConvertInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


WRITE_RESPONSES: dict[int, Any] = {
    201: InvoiceOutput,
    400: INVALID,
    403: FORBIDDEN,
    404: NOT_FOUND,
    409: CONFLICT,
}


class InvoiceCorrect(APIView):
    """Correct the acts of an invoice: a new version replaces it (its open claims are
    cancelled, new ones are ready for the next batch). 201 with the new version; 400 for an
    unknown act or a missing reason; 409 if it cannot be replaced now (already replaced, a
    claim paid or being examined…)."""

    # Its body holds a list of acts, which only JSON can carry.
    parser_classes = [JSONParser]

    permission_classes = [HasRole.of(*perms.BILLING_WRITE)]

    @extend_schema(request=CorrectInput, responses=WRITE_RESPONSES)
    def post(self, request: Request, invoice_id: int) -> Response:
        invoice = get_object_or_404(Invoice, pk=invoice_id)
        data = CorrectInput(data=request.data)
        data.is_valid(raise_exception=True)
        new = invoices.invoice_correct(
            invoice=invoice,
            acts=_acts(data.validated_data["acts"]),
            reason=data.validated_data["reason"],
            by=acting_user(request),
        )
        return Response(InvoiceOutput(new).data, status=201)


class PendingConversions(JournaledList):
    """PASS de ville: invoices billed to the "rights pending" payer whose patient now has
    rights (AMO or AME) on the date of care (the page journaled)."""

    serializer_class = InvoiceOutput
    permission_classes = [HasRole.of(*perms.BILLING_READ)]

    def get_queryset(self) -> QuerySet[Invoice]:
        return selectors.pending_convertible().prefetch_related("lines")

    def shown(self, rows: Sequence[Any]) -> list[Any]:
        return selectors.invoices_shown(by=acting_user(self.request), invoices=rows)

    @extend_schema(responses={200: InvoiceOutput(many=True), 403: FORBIDDEN, 404: PAGE_NOT_FOUND})
    def get(self, request: Request) -> Response:
        return super().get(request)


class InvoiceConvertPending(APIView):
    """Convert one such invoice into claims to the caisse (201 with the new version; 409 if
    it is not with the "rights pending" payer, or there are still no rights on the date of
    care)."""

    permission_classes = [HasRole.of(*perms.BILLING_WRITE)]

    @extend_schema(request=ConvertInput, responses=WRITE_RESPONSES)
    def post(self, request: Request, invoice_id: int) -> Response:
        invoice = get_object_or_404(Invoice, pk=invoice_id)
        data = ConvertInput(data=request.data)
        data.is_valid(raise_exception=True)
        new = invoices.invoice_convert_pending(
            invoice=invoice,
            reason=data.validated_data.get("reason", ""),
            by=acting_user(request),
        )
        return Response(InvoiceOutput(new).data, status=201)


class PreviewInput(CareInput):
    patient = serializers.PrimaryKeyRelatedField(queryset=Patient.objects.all())
    date = serializers.DateField()


class PreviewOutput(serializers.Serializer[Any]):
    total = serializers.CharField()
    amo = serializers.CharField()
    amc = serializers.CharField()
    patient_due = serializers.CharField()
    recoverable_by_amo = serializers.CharField()
    pathway = serializers.CharField()
    pathway_reason = serializers.CharField()
    insurance_nature = serializers.CharField()
    exemption = serializers.CharField()
    notes = serializers.ListField(child=serializers.CharField())


class InvoicePreview(APIView):
    """What an invoice would be, without saving anything (amounts as decimal strings). It
    reads the patient's coverage: journaled like the page's preview."""

    # Its body holds a list of acts, which only JSON can carry.
    parser_classes = [JSONParser]

    permission_classes = [HasRole.of(*perms.FEE_SCHEDULE_READ)]

    @extend_schema(
        request=PreviewInput, responses={200: PreviewOutput, 400: INVALID, 403: FORBIDDEN}
    )
    def post(self, request: Request) -> Response:
        data = PreviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        split = invoices.invoice_preview(
            by=acting_user(request),
            patient=v["patient"],
            on=v["date"],
            acts=_acts(v["acts"]),
            related_to_ald=v["related_to_ald"],
            pathway_exempt=v["pathway_exempt"],
            pathway=v.get("pathway"),
            related_to_work_accident=v["related_to_work_accident"],
            work_accident_number=v["work_accident_number"],
            prenatal_exam=v["prenatal_exam"],
        )
        return Response(
            {
                "total": str(split.total),
                "amo": str(split.amo),
                "amc": str(split.amc),
                "patient_due": str(split.patient_due),
                "recoverable_by_amo": str(split.recoverable_by_amo),
                "pathway": split.pathway,
                "pathway_reason": split.pathway_reason,
                "insurance_nature": split.insurance_nature,
                "exemption": split.exemption,
                "notes": list(split.notes),
            }
        )


class ClaimOutput(serializers.ModelSerializer[Claim]):
    invoice_number = serializers.CharField(source="invoice.number")
    payer_type = serializers.CharField(help_text="AMO, C2S, AMC ou ATT (droits en attente)")
    payer_name = serializers.SerializerMethodField()
    status = serializers.CharField()

    def get_payer_name(self, claim: Claim) -> str:
        return payer_name(claim.payer_type, claim.payer_code, claim.payer_label)

    class Meta:
        model = Claim
        fields = (
            "id",
            "reference",
            "invoice",
            "invoice_number",
            "payer_type",
            "payer_code",
            "payer_name",
            "amount",
            "status",
            "batch",
            "acknowledged_on",
            "paid_amount",
            "paid_on",
            "reject_code",
            "reject_label",
        )


class ClaimFilter(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=ClaimStatus.choices, required=False)
    payer_type = serializers.ChoiceField(choices=PayerType.CHOICES, required=False)


class ClaimList(JournaledList):
    """Claims, filterable by `status` and `payer_type` (the page journaled, like the page of
    rejects to work)."""

    serializer_class = ClaimOutput
    permission_classes = [HasRole.of(*perms.BILLING_READ)]

    def get_queryset(self) -> QuerySet[Claim]:
        params = ClaimFilter(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.claims_filtered(
            status=params.validated_data.get("status", ""),
            payer_type=params.validated_data.get("payer_type", ""),
        )

    def shown(self, rows: Sequence[Any]) -> list[Any]:
        return selectors.claims_shown(by=acting_user(self.request), claims=rows)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=[value for value, _ in ClaimStatus.choices]),
            OpenApiParameter("payer_type", str, enum=[value for value, _ in PayerType.CHOICES]),
        ],
        responses={200: ClaimOutput(many=True), 400: INVALID, 403: FORBIDDEN, 404: PAGE_NOT_FOUND},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class BatchOutput(serializers.ModelSerializer[Batch]):
    payer_type = serializers.CharField(help_text="AMO, C2S, AMC ou ATT (droits en attente)")
    payer_name = serializers.SerializerMethodField()
    status = serializers.CharField(
        help_text="built (fichier prêt), sent, acknowledged (ARL positif), refused (ARL "
        "négatif), paid"
    )
    without_arl = serializers.SerializerMethodField(
        help_text="Envoyé, sans ARL après BILLING_ARL_WAIT_DAYS jours : peut être renvoyé"
    )

    def get_payer_name(self, batch: Batch) -> str:
        return payer_name(batch.payer_type, batch.payer_code, getattr(batch, "payer_label", ""))

    class Meta:
        model = Batch
        fields = (
            "id",
            "payer_type",
            "payer_code",
            "payer_name",
            "number",
            "status",
            "format_version",
            "claims_count",
            "total_amount",
            "created_at",
            "built_at",
            "sent_at",
            "last_sent_at",
            "send_count",
            "without_arl",
            "acknowledged_on",
            "ack_code",
            "ack_label",
            "paid_on",
        )

    def get_without_arl(self, batch: Batch) -> bool:
        from billing.services.batches import awaiting_arl_since

        return bool(
            batch.status == "sent"
            and batch.last_sent_at
            and batch.last_sent_at < awaiting_arl_since()
        )


class BuildOutput(serializers.Serializer[Any]):
    run = serializers.CharField()
    claims = serializers.IntegerField()


class PayerPreviewOutput(serializers.Serializer[Any]):
    payer_type = serializers.CharField()
    payer_code = serializers.CharField()
    name = serializers.CharField()
    claims = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class BuildPreviewOutput(serializers.Serializer[Any]):
    payers = PayerPreviewOutput(many=True)
    claims = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    fingerprint = serializers.CharField()


class BatchPreview(APIView):
    """Dry run of the build: lots per payer, claims and amounts ready now; nothing written."""

    permission_classes = [HasRole.of(*perms.BILLING_READ)]

    @extend_schema(responses={200: BuildPreviewOutput, 403: FORBIDDEN})
    def get(self, request: Request) -> Response:
        return Response(BuildPreviewOutput(batches.batches_preview(by=acting_user(request))).data)


class BatchList(ListAPIView[Batch]):
    """Batches (lots: payer, number, counts; no patient data); POST enqueues the build of the
    claims ready now (facturation)."""

    serializer_class = BatchOutput
    permission_classes = [HasRole.of(*perms.BILLING_READ)]
    queryset = Batch.objects.annotate(payer_label=Max("claims__payer_label")).order_by(
        "-created_at", "-id"
    )

    @extend_schema(responses={200: BatchOutput(many=True), 403: FORBIDDEN, 404: PAGE_NOT_FOUND})
    def get(self, request: Request) -> Response:
        return super().get(request)

    @extend_schema(
        request=None,
        parameters=[
            OpenApiParameter(
                "dry_run", bool, description="true : l'aperçu seulement (200), rien n'est construit"
            )
        ],
        responses={202: BuildOutput, 200: BuildPreviewOutput, 403: FORBIDDEN},
    )
    def post(self, request: Request) -> Response:
        if request.query_params.get("dry_run", "").lower() in ("1", "true", "yes"):
            perms.require(acting_user(request), perms.BILLING_WRITE)
            preview = batches.batches_preview(by=acting_user(request))
            return Response(BuildPreviewOutput(preview).data)
        build = batches.batches_build_request(by=acting_user(request))
        return Response({"run": build.run, "claims": build.claims}, status=status.HTTP_202_ACCEPTED)


class BatchSend(APIView):
    """Send a lot whose file is ready (or send again a lot flagged « sans ARL »); 409 in any
    other state."""

    permission_classes = [HasRole.of(*perms.BILLING_WRITE)]

    @extend_schema(
        request=None,
        responses={200: BatchOutput, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request: Request, batch_id: int) -> Response:
        batch = batches.batch_send(batch_id=batch_id, by=acting_user(request))
        return Response(BatchOutput(batch).data)


class BatchDownload(APIView):
    """The transmission file of a batch (NIRs of every claim): journaled like the page's
    download (`billing.batch.download`)."""

    permission_classes = [HasRole.of(*perms.BILLING_WRITE)]

    @extend_schema(
        responses={(200, "text/plain"): bytes, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request: Request, batch_id: int) -> HttpResponse:
        file = selectors.batch_file(by=acting_user(request), batch_id=batch_id)
        response = HttpResponse(file.content, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
        return response


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


class ReturnRefused(serializers.Serializer[Any]):
    """A refused file: the message on `file`, with the line (0: the whole file) and reason
    (only `file` when the upload itself is missing, `detail` for a malformed request)."""

    file = serializers.ListField(child=serializers.CharField(), required=False)
    line = serializers.IntegerField(required=False)
    reason = serializers.CharField(required=False)


class ReturnList(JournaledList):
    """Imported return files; POST (multipart `file`) validates the file as a whole (400 with
    the line and the reason if refused: nothing imported) and answers 202 with the file
    « pending »; a Celery task then reconciles it (`status` becomes `imported`, or `failed`
    with `error`). The same content again answers 200 with the existing file."""

    serializer_class = ReturnOutput
    permission_classes = [HasRole.of(*perms.BILLING_WRITE)]
    parser_classes = [MultiPartParser]
    queryset = ReturnFile.objects.order_by("-imported_at", "-id")

    def shown(self, rows: Sequence[Any]) -> list[Any]:
        return selectors.returns_shown(by=acting_user(self.request), files=rows)

    @extend_schema(responses={200: ReturnOutput(many=True), 403: FORBIDDEN, 404: PAGE_NOT_FOUND})
    def get(self, request: Request) -> Response:
        return super().get(request)

    @extend_schema(
        request=ReturnInput,
        responses={
            202: ReturnOutput,
            200: ReturnOutput,
            400: OpenApiResponse(
                ReturnRefused, description="Fichier refusé : la ligne et le motif"
            ),
            403: FORBIDDEN,
        },
    )
    def post(self, request: Request) -> Response:
        data = ReturnInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        rf, created = returns.return_upload(
            upload=upload, filename=upload.name, by=acting_user(request)
        )
        return Response(ReturnOutput(rf).data, status=202 if created else 200)


# --- worklists and « à rapprocher » -----------------------------------------------------------


class WorklistRowOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="obj.pk")
    reference = serializers.CharField()
    date = serializers.DateField(allow_null=True)
    patient = serializers.CharField()
    payer = serializers.CharField(help_text="Le payeur par son nom (« CPAM de la Vienne »)")
    cause = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    status = serializers.CharField()
    fix_url = serializers.SerializerMethodField(help_text="L'écran qui corrige la cause")

    def get_fix_url(self, row: Any) -> str:
        return row.fix.url if row.fix else ""


class WorklistOutput(serializers.Serializer[Any]):
    count = serializers.IntegerField(help_text="Lignes filtrées, toutes pages")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    page = serializers.IntegerField(source="number")
    pages = serializers.IntegerField()
    results = WorklistRowOutput(many=True, source="rows")


WORKLIST_PARAMETERS = [
    OpenApiParameter("payer", str, description="type:code, par exemple AMO:861"),
    OpenApiParameter("cause", str),
    OpenApiParameter("age", str, enum=["0-30", "31-60", "61-90", "90+"]),
    OpenApiParameter("site", int),
    OpenApiParameter("sort", str, enum=["age", "-age", "montant", "-montant", "payeur"]),
    OpenApiParameter("page", int),
]


class Worklist(APIView):
    """A worklist (`a-verifier`, `rejets`, `impayes`, `a-rapprocher`), filtered and sorted, 50
    rows a page; `count` and `amount` are those of every filtered row. Journaled like the
    page (the rows returned)."""

    permission_classes = [HasRole.of(*perms.BILLING_READ)]

    @extend_schema(
        parameters=WORKLIST_PARAMETERS,
        responses={200: WorklistOutput, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request: Request, name: str) -> Response:
        spec = worklists.spec_of(name)
        params = worklists.parse_params(spec, request.query_params)
        page = worklists.worklist_page(by=acting_user(request), name=name, params=params)
        return Response(WorklistOutput(page).data)


class WorklistExport(APIView):
    """Every filtered row of a worklist as CSV (`;`, UTF-8), journaled like the page's export."""

    permission_classes = [HasRole.of(*perms.BILLING_READ)]

    @extend_schema(
        parameters=WORKLIST_PARAMETERS[:-1],
        responses={(200, "text/csv"): bytes, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request: Request, name: str) -> HttpResponse:
        spec = worklists.spec_of(name)
        params = worklists.parse_params(spec, request.query_params)
        export = worklists.worklist_export(by=acting_user(request), name=name, params=params)
        response = HttpResponse(export.content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        return response


class ResolveInput(serializers.Serializer[Any]):
    resolution = serializers.CharField(max_length=300)


class ItemOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    status = serializers.CharField()
    resolution = serializers.CharField()
    resolved_at = serializers.DateTimeField()


class ItemResolve(APIView):
    """Mark a line « à rapprocher » as settled, saying how; 409 if it already was."""

    permission_classes = [HasRole.of(*perms.BILLING_WRITE)]

    @extend_schema(
        request=ResolveInput,
        responses={200: ItemOutput, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request: Request, item_id: int) -> Response:
        data = ResolveInput(data=request.data)
        data.is_valid(raise_exception=True)
        item = reconciliation.item_resolve(
            item_id=item_id, resolution=data.validated_data["resolution"], by=acting_user(request)
        )
        return Response(ItemOutput(item).data)
