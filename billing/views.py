"""Thin views: parse, call one service or selector (which checks the permission on the object,
journals the read or the write, and raises a refusal), render. Refusals are shown with
`centre.forms.add_refusal` / `refusal_message`; a BillingNotFound / BillingForbidden raised
by a service is Django's 404 / 403 page."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Max, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from billing import money, perms, selectors, tasks, worklists
from billing.errors import BillingError
from billing.forms import (
    CloseConsultationForm,
    CorrectInvoiceForm,
    PaymentForm,
    ReturnUploadForm,
    TariffForm,
    WriteOffForm,
)
from billing.fse import FseResult
from billing.models import (
    Act,
    Batch,
    Claim,
    ClaimStatus,
    Invoice,
    ReturnFile,
    Tariff,
)
from billing.rejects import Action
from billing.services import batches as batch_services
from billing.services import claims as claim_services
from billing.services import fse as fse_services
from billing.services import invoices as invoice_services
from billing.services import payments, reconciliation, returns, tariffs
from centre.forms import add_refusal, refusal_message
from centre.perms import acting_user, role_required

DASHBOARD_TO_CHECK = 10  # the oldest; the whole list is the worklist « à vérifier »


def _fse_message(request: HttpRequest, sheet: FseResult) -> None:
    if sheet.refusals:
        messages.error(
            request,
            "Feuille de soins non sécurisée : "
            + " ".join(r.reason for r in sheet.refusals)
            + " Corrigez puis fermez de nouveau la feuille depuis la facture.",
        )
    elif sheet.mode == "degraded":
        messages.warning(
            request,
            "Feuille de soins en mode dégradé (carte Vitale absente ou composant muet) : "
            "imprimez la feuille papier et faites-la signer.",
        )
    elif sheet.mode == "card":
        messages.success(request, f"Feuille de soins sécurisée ({sheet.sheet_number}).")


@role_required(*perms.BILLING_READ)
def dashboard(request: HttpRequest) -> HttpResponse:
    worklist = selectors.clerk_worklist()
    to_check = selectors.invoices_shown(
        by=acting_user(request),
        invoices=Invoice.objects.to_check()
        .filter(claims__status=ClaimStatus.DRAFT)
        .select_related("patient")
        .distinct()
        .order_by("date_of_care")[:DASHBOARD_TO_CHECK],
    )
    return render(
        request,
        "billing/dashboard.html",
        {
            "worklist": worklist,
            "to_check": to_check,
            "can_write": acting_user(request).has_role(*perms.BILLING_WRITE),
        },
    )


@role_required(*perms.INVOICE_READ)
def invoice_detail(request: HttpRequest, invoice_id: int) -> HttpResponse:
    user = acting_user(request)
    invoice = selectors.invoice_read(by=user, invoice_id=invoice_id)
    replaced_by = (
        Invoice.objects.filter(replaces=invoice)
        .only("pk", "number", "version", "version_reason")
        .first()
        if invoice.superseded_at
        else None
    )
    return render(
        request,
        "billing/invoice_detail.html",
        {
            "invoice": invoice,
            "replaced_by": replaced_by,
            "form": PaymentForm(initial={"amount": invoice.patient_balance}),
            "can_pay": user.has_role(*perms.CASHIER) and invoice.patient_balance > 0,
            "show_claims": user.has_role(*perms.BILLING_READ),
            "can_secure": not invoice.fse_mode
            and not invoice.superseded_at
            and invoice.practitioner.user_id == user.pk,
            "can_write": user.has_role(*perms.BILLING_WRITE),
        },
    )


@require_POST
@role_required(*perms.CLOSE_CONSULTATION)
def invoice_fse(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """Secure again the care sheet the component refused at the close (once fixed)."""
    user = acting_user(request)
    invoice = selectors.invoice_read(by=user, invoice_id=invoice_id, current_only=True)
    sheet = fse_services.fse_secure(
        invoice_id=invoice.pk, by=user, card_present=request.POST.get("vitale") == "1"
    )
    _fse_message(request, sheet)
    return redirect("billing:invoice_detail", invoice_id=invoice.pk)


@require_POST
@role_required(*perms.CASHIER)
def payment_record(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice, pk=invoice_id)
    form = PaymentForm(request.POST)
    if form.is_valid():
        try:
            payment = payments.payment_record(
                invoice=invoice,
                amount=form.cleaned_data["amount"],
                method=form.cleaned_data["method"],
                reference=form.cleaned_data["reference"],
                by=acting_user(request),
            )
        except BillingError as error:
            add_refusal(form, error)
        else:
            messages.success(request, f"Paiement enregistré (reçu n° {payment.receipt_number}).")
            return redirect("billing:invoice_detail", invoice_id=invoice.pk)
    messages.error(
        request,
        "Le paiement n'a pas été enregistré : "
        + " ".join(str(e) for errors in form.errors.values() for e in errors),
    )
    return redirect("billing:invoice_detail", invoice_id=invoice.pk)


@role_required(*perms.CASHIER)
def receipt_pdf(request: HttpRequest, payment_id: int) -> HttpResponse:
    from weasyprint import HTML

    payment = selectors.receipt_read(by=acting_user(request), payment_id=payment_id)
    html = render_to_string(
        "billing/receipt.html", {"payment": payment, "invoice": payment.invoice}
    )
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="recu-{payment.receipt_number}.pdf"'
    return response


@role_required(*perms.CASHIER)
def cashier(request: HttpRequest) -> HttpResponse:
    """Encaissements: what patients still have to pay at the desk."""
    invoices = selectors.invoices_shown(
        by=acting_user(request),
        invoices=Invoice.objects.with_patient_balance()
        .select_related("patient", "practitioner__user")
        .order_by("-date_of_care", "-id")[:100],
    )
    return render(request, "billing/cashier.html", {"invoices": invoices})


@require_POST
@role_required(*perms.BILLING_WRITE)
def invoice_recheck(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice, pk=invoice_id)
    try:
        invoice = invoice_services.invoice_recheck(invoice=invoice, by=acting_user(request))
    except BillingError as error:
        refusal_message(request, error)
    else:
        if invoice.issues:
            messages.warning(request, "Il reste des points à corriger.")
        else:
            messages.success(request, "Facture vérifiée : les demandes sont prêtes à partir.")
    return redirect("billing:invoice_detail", invoice_id=invoice.pk)


@role_required(*perms.BILLING_WRITE)
def invoice_correct(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """Correct the acts of an invoice: a new version replaces it (old claims cancelled)."""
    invoice = selectors.invoice_read(
        by=acting_user(request), invoice_id=invoice_id, current_only=True
    )
    lines = list(invoice.lines.order_by("id"))
    initial = ", ".join(
        ln.code if ln.coefficient == 1 else f"{ln.code} {ln.coefficient.normalize()}"
        for ln in lines
    )
    form = CorrectInvoiceForm(request.POST or None, initial={"acts": initial})
    if request.method == "POST" and form.is_valid():
        choices = [invoice_services.ActChoice(c, k) for c, k in form.cleaned_data["acts"]]
        try:
            new = invoice_services.invoice_correct(
                invoice=invoice,
                acts=choices,
                reason=form.cleaned_data["reason"],
                by=acting_user(request),
            )
        except BillingError as error:
            add_refusal(form, error)
        else:
            messages.success(
                request,
                f"Facture corrigée : la version {new.version} ({new.number}) remplace "
                f"{invoice.number} ; ses demandes sont prêtes pour le prochain lot.",
            )
            return redirect("billing:invoice_detail", invoice_id=new.pk)
    profession = invoice.practitioner.profession
    acts = [
        a
        for a in Act.objects.filter(is_active=True).order_by("code")
        if not a.professions or profession in a.professions
    ]
    return render(
        request,
        "billing/invoice_correct.html",
        {"invoice": invoice, "lines": lines, "form": form, "acts": acts},
    )


@role_required(*perms.BILLING_READ)
def pending_conversions(request: HttpRequest) -> HttpResponse:
    """PASS de ville: consultations billed to the "rights pending" payer whose patient now has
    rights on the date of care, to convert into claims to the caisse."""
    invoices = selectors.invoices_shown(
        by=acting_user(request), invoices=selectors.pending_convertible()[:200]
    )
    return render(
        request,
        "billing/pending_conversions.html",
        {"invoices": invoices, "can_write": acting_user(request).has_role(*perms.BILLING_WRITE)},
    )


@require_POST
@role_required(*perms.BILLING_WRITE)
def pending_convert(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("invoice") if i.isdigit()]
    invoices = list(selectors.pending_convertible().filter(pk__in=ids))
    if not invoices:
        messages.info(request, "Aucune consultation sélectionnée à convertir.")
        return redirect("billing:pending_conversions")
    try:
        converted = invoice_services.invoices_convert_pending(
            invoices=invoices, by=acting_user(request)
        )
    except BillingError as error:
        messages.error(request, "Rien n'a été converti.")
        refusal_message(request, error)
    else:
        messages.success(
            request,
            f"{len(converted)} consultation(s) converties en demandes à la caisse, "
            "prêtes pour le prochain lot.",
        )
    return redirect("billing:pending_conversions")


# --- batches ----------------------------------------------------------------------------------


@role_required(*perms.BILLING_READ)
def batch_list(request: HttpRequest) -> HttpResponse:
    batches = list(
        Batch.objects.annotate(payer_label=Max("claims__payer_label")).order_by(
            "-created_at", "-id"
        )[:100]
    )
    flagged = set(selectors.batches_without_arl().values_list("pk", flat=True))
    for batch in batches:
        batch.without_arl = batch.pk in flagged  # type: ignore[attr-defined]
    worklist = selectors.clerk_worklist()
    return render(
        request,
        "billing/batch_list.html",
        {
            "batches": batches,
            "ready": worklist.ready_by_payer,
            "worklist": worklist,
            "arl_days": batch_services.arl_wait_days(),
            "can_write": acting_user(request).has_role(*perms.BILLING_WRITE),
            "run": request.GET.get("run", ""),
        },
    )


@require_POST
@role_required(*perms.BILLING_WRITE)
def batch_send(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The clerk says the lot's file has left for the payer (or sends it again, no ARL)."""
    try:
        batch = batch_services.batch_send(batch_id=batch_id, by=acting_user(request))
    except BillingError as error:
        refusal_message(request, error)
    else:
        again = " de nouveau" if batch.send_count > 1 else ""
        messages.success(
            request, f"Lot n° {batch.number} envoyé{again} : {batch.claims_count} demande(s)."
        )
    return redirect("billing:batch_list")


@role_required(*perms.BILLING_WRITE)
def batch_build(request: HttpRequest) -> HttpResponse:
    """GET: what would be built (lots per payer, claims, amounts) and a confirmation; POST with
    the confirmation: the build is enqueued, unless the ready claims changed since the
    preview (then the new preview is shown)."""
    user = acting_user(request)
    preview = batch_services.batches_preview(by=user)
    if request.method == "POST":
        if request.POST.get("confirm") != "1":
            return redirect("billing:batch_build")
        if request.POST.get("fingerprint") != preview.fingerprint:
            messages.warning(
                request, "Les demandes prêtes ont changé depuis l'aperçu : vérifiez de nouveau."
            )
            return redirect("billing:batch_build")
        build = batch_services.batches_build_request(by=user)
        if not build.claims:
            messages.info(request, "Aucune demande prête : aucun lot à construire.")
            return redirect("billing:batch_list")
        messages.success(request, f"Construction des lots lancée pour {build.claims} demande(s).")
        return redirect(reverse("billing:batch_list") + f"?run={build.run}")
    return render(request, "billing/batch_build.html", {"preview": preview})


@role_required(*perms.BILLING_WRITE)
def batch_progress(request: HttpRequest, run: str) -> HttpResponse:
    progress = tasks.progress_of(run)
    return render(request, "billing/_batch_progress.html", {"progress": progress, "run": run})


@role_required(*perms.BILLING_WRITE)
def batch_download(request: HttpRequest, batch_id: int) -> HttpResponse:
    file = selectors.batch_file(by=acting_user(request), batch_id=batch_id)
    response = HttpResponse(file.content, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    return response


# --- returns and rejects ----------------------------------------------------------------------


@role_required(*perms.BILLING_WRITE)
def return_import(request: HttpRequest) -> HttpResponse:
    """Upload: the file is validated as a whole here (refused with line and reason, nothing
    imported), then reconciled by a Celery task whose progress the page follows (HTMX)."""
    form = ReturnUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rf, created = returns.return_upload(
                upload=upload, filename=upload.name, by=acting_user(request)
            )
        except BillingError as error:  # ReturnFileError: the line and the reason
            add_refusal(form, error)
        else:
            if created:
                messages.success(
                    request, f"Fichier vérifié ({rf.lines_count} lignes) : rapprochement lancé."
                )
            else:
                messages.info(
                    request, f"Ce fichier a déjà été importé le {rf.imported_at:%d/%m/%Y}."
                )
            return redirect(reverse("billing:return_import") + f"?fichier={rf.pk}")
    watched = None
    if (wanted := request.GET.get("fichier", "")).isdigit():
        watched = ReturnFile.objects.filter(pk=int(wanted)).first()
    files = selectors.returns_shown(
        by=acting_user(request), files=ReturnFile.objects.order_by("-imported_at", "-id")[:30]
    )
    from django.conf import settings

    return render(
        request,
        "billing/return_import.html",
        {
            "form": form,
            "files": files,
            "watched": watched,
            "sample": not getattr(settings, "PRODUCTION", False),
        },
    )


@role_required(*perms.BILLING_WRITE)
def return_sample(request: HttpRequest) -> HttpResponse:
    """A return file for the demo data, to try the import: development only (404 in
    production, where returns come from the payers)."""
    from django.conf import settings

    from billing.demo import sample_return

    if getattr(settings, "PRODUCTION", False):
        raise Http404("Pas de fichier d'exemple en production.")
    sample = sample_return()
    response = HttpResponse(sample.content, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{sample.filename}"'
    return response


@role_required(*perms.BILLING_WRITE)
def return_progress(request: HttpRequest, return_file_id: int) -> HttpResponse:
    rf = get_object_or_404(ReturnFile, pk=return_file_id)
    return render(request, "billing/_return_progress.html", {"rf": rf})


@role_required(*perms.BILLING_READ)
def claims_to_work(request: HttpRequest) -> HttpResponse:
    """The former « rejets et impayés » page: now the paginated worklists."""
    return redirect("billing:worklist", name="rejets")


def _params(request: HttpRequest, spec: worklists.Spec) -> worklists.Params:
    try:
        return worklists.parse_params(spec, request.GET)
    except BillingError as error:
        refusal_message(request, error)
        return worklists.Params()


@role_required(*perms.BILLING_READ)
def worklist(request: HttpRequest, name: str) -> HttpResponse:
    """À vérifier, rejets, impayés, à rapprocher: filtered, sorted, paginated (the count and
    total are those of every filtered row), exportable; each row links to where its cause is
    fixed."""
    spec = worklists.spec_of(name)
    params = _params(request, spec)
    page = worklists.worklist_page(by=acting_user(request), name=name, params=params)
    return render(
        request,
        "billing/worklist.html",
        {
            "page": page,
            "lists": [(s.name, s.title) for s in worklists.WORKLISTS.values()],
            "ages": [(k, v[0]) for k, v in worklists.AGES.items()],
            "sorts": list(worklists.SORTS.items()),
            "actions": Action.LABELS,
            "write_off_form": WriteOffForm(),
            "can_write": acting_user(request).has_role(*perms.BILLING_WRITE),
        },
    )


@role_required(*perms.BILLING_READ)
def worklist_export(request: HttpRequest, name: str) -> HttpResponse:
    spec = worklists.spec_of(name)
    try:
        params = worklists.parse_params(spec, request.GET)
    except BillingError as error:
        refusal_message(request, error)
        return redirect("billing:worklist", name=name)
    export = worklists.worklist_export(by=acting_user(request), name=name, params=params)
    response = HttpResponse(export.content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@require_POST
@role_required(*perms.BILLING_WRITE)
def item_resolve(request: HttpRequest, item_id: int) -> HttpResponse:
    try:
        reconciliation.item_resolve(
            item_id=item_id, resolution=request.POST.get("resolution", ""), by=acting_user(request)
        )
    except BillingError as error:
        refusal_message(request, error)
    else:
        messages.success(request, "Ligne rapprochée.")
    return redirect("billing:worklist", name="a-rapprocher")


@require_POST
@role_required(*perms.BILLING_WRITE)
def claim_action(request: HttpRequest, claim_id: int, action: str) -> HttpResponse:
    claim = get_object_or_404(Claim, pk=claim_id)
    user = acting_user(request)
    try:
        if action == Action.RESUBMIT:
            new = claim_services.claim_resubmit(claim=claim, by=user)
            messages.success(
                request, f"Nouvelle demande {new.reference} prête pour le prochain lot."
            )
        elif action == Action.BILL_PATIENT:
            claim_services.claim_bill_patient(claim=claim, by=user)
            messages.success(request, "Montant ajouté au reste à régler par le·la patient·e.")
        elif action == Action.WRITE_OFF:
            form = WriteOffForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Indiquez le motif de la perte.")
                return redirect("billing:worklist", name="rejets")
            claim_services.claim_write_off(claim=claim, reason=form.cleaned_data["reason"], by=user)
            messages.success(request, "Demande passée en perte.")
        else:
            raise Http404("Action inconnue.")
    except BillingError as error:
        refusal_message(request, error)
    return redirect("billing:worklist", name="rejets")


# --- fee schedule -----------------------------------------------------------------------------


@role_required(*perms.FEE_SCHEDULE_READ)
def fee_schedule(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    acts = Act.objects.prefetch_related(
        Prefetch("tariffs", queryset=Tariff.objects.order_by("-valid_from"))
    ).order_by("code")
    query = request.GET.get("q", "").strip()
    if query:
        acts = acts.filter(Q(code__icontains=query) | Q(label__icontains=query))
    return render(
        request,
        "billing/fee_schedule.html",
        {
            "acts": acts,
            "today": today,
            "query": query,
            "can_edit": acting_user(request).has_role(*perms.FEE_SCHEDULE_WRITE),
        },
    )


@role_required(*perms.FEE_SCHEDULE_WRITE)
def tariff_add(request: HttpRequest) -> HttpResponse:
    form = TariffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tariffs.tariff_add(**form.cleaned_data, by=acting_user(request))
        except BillingError as error:
            add_refusal(form, error)
        else:
            messages.success(
                request, "Tarif enregistré : il s'applique aux soins à partir de sa date."
            )
            return redirect("billing:fee_schedule")
    return render(request, "billing/tariff_form.html", {"form": form})


# --- closing a consultation -------------------------------------------------------------------


@role_required(*perms.CLOSE_CONSULTATION)
def close_consultation(request: HttpRequest, appointment_id: int) -> HttpResponse:
    user = acting_user(request)
    appointment = selectors.consultation_to_close(by=user, appointment_id=appointment_id)
    existing = Invoice.objects.filter(appointment=appointment).first()
    if existing is not None:
        return redirect("billing:invoice_detail", invoice_id=existing.pk)
    form = CloseConsultationForm(request.POST or None)
    preview = None
    day = timezone.localtime(appointment.start).date()
    if request.method == "POST" and form.is_valid():
        choices = [invoice_services.ActChoice(c, k) for c, k in form.cleaned_data["acts"]]
        try:
            if "preview" in request.POST:
                preview = invoice_services.invoice_preview(
                    by=user,
                    patient=appointment.patient,
                    on=day,
                    acts=choices,
                    related_to_ald=form.cleaned_data["related_to_ald"],
                    pathway_exempt=form.cleaned_data["pathway_exempt"],
                    profession=appointment.practitioner.profession or None,
                )
            else:
                invoice = invoice_services.invoice_close_consultation(
                    appointment_id=appointment.pk,
                    acts=choices,
                    related_to_ald=form.cleaned_data["related_to_ald"],
                    pathway_exempt=form.cleaned_data["pathway_exempt"],
                    by=user,
                )
                messages.success(
                    request,
                    f"Consultation clôturée : {money.fmt(invoice.patient_due)} "
                    "à régler à l'accueil.",
                )
                sheet = fse_services.fse_secure(
                    invoice_id=invoice.pk,
                    by=user,
                    card_present=request.POST.get("vitale", "1") != "0",
                )
                _fse_message(request, sheet)
                return redirect("billing:invoice_detail", invoice_id=invoice.pk)
        except BillingError as error:
            add_refusal(form, error)
    profession = appointment.practitioner.profession
    acts = [
        a
        for a in Act.objects.filter(is_active=True).order_by("code")
        if not a.professions or profession in a.professions
    ]
    return render(
        request,
        "billing/close_consultation.html",
        {"appointment": appointment, "form": form, "acts": acts, "preview": preview, "day": day},
    )
