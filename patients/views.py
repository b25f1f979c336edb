from __future__ import annotations

import base64
import datetime
import hashlib
import json
import secrets
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import capfirst
from django.views.decorators.http import require_POST

from centre.forms import add_refusal, refusal_message
from centre.perms import acting_user, role_required
from centre.refusals import Refusal
from patients import hooks, perms, selectors
from patients.forms import (
    LANGUAGE_LABELS,
    CoverageEndForm,
    CoverageForm,
    ImportMappingForm,
    ImportUploadForm,
    MergeChoiceForm,
    NotDuplicateForm,
    PatientForm,
    SearchForm,
    patient_field_label,
)
from patients.models import Coverage, CoverageKind, NotDuplicatePair, Patient
from patients.services import coverage, duplicates, gdpr, identity, identity_status, imports

PAGE_SIZE = 20


def _results_context(request: HttpRequest) -> dict[str, object]:
    form = SearchForm(request.GET)
    query = form.query()
    filters = form.filters()
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    result = selectors.patients_search(
        by=acting_user(request), query=query, filters=filters, page=page, page_size=PAGE_SIZE
    )
    patients = result.patients
    has_filters = bool(
        filters.site_id or filters.coverage_kind or filters.language or filters.in_qpv is not None
    )
    next_dates = hooks.next_appointments(p.pk for p in patients)
    rows = [
        {
            "patient": p,
            "badges": selectors.coverage_badges(p),
            "next_appointment": next_dates.get(p.pk),
        }
        for p in patients
    ]
    params = request.GET.copy()
    params.pop("page", None)
    return {
        "form": form,
        "query": query,
        "searched": bool(query) or has_filters,
        "rows": rows,
        "page": page,
        "has_next": result.has_next,
        "has_previous": page > 1,
        "params": params.urlencode(),
        "pick": request.GET.get("mode") == "pick",
        "can_see_nir": perms.can_see_nir(request.user),
        "can_create": perms.can_create(request.user),
    }


@role_required(*perms.VIEW)
def search(request: HttpRequest) -> HttpResponse:
    """The reception's search page; the box updates the results as you type (HTMX)."""
    context = _results_context(request)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "patients/_search_results.html", context)
    return render(request, "patients/search.html", context)


@role_required(*perms.VIEW)
def search_results(request: HttpRequest) -> HttpResponse:
    """Reusable HTML fragment for other apps: `hx-get` it with `q` (and `mode=pick` to get
    radio buttons named `patient` instead of links, inside the caller's form)."""
    return render(request, "patients/_search_results.html", _results_context(request))


@role_required(*perms.CREATE)
def create(request: HttpRequest) -> HttpResponse:
    """Intake: the registration service refuses (409) while existing records look like the
    person and the box « ce n'est aucune de ces personnes » is not ticked."""
    form = PatientForm(request.POST or None, check_duplicates=True)
    candidates: list[dict[str, object]] = []
    if request.method == "POST" and form.is_valid():
        try:
            patient = identity.patient_register(
                by=acting_user(request),
                values=form.values(),
                confirm_not_duplicate=bool(form.cleaned_data.get("not_a_duplicate")),
            )
        except Refusal as refusal:
            add_refusal(form, refusal)
            candidates = refusal.details.get("candidates", [])
        else:
            messages.success(request, f"Dossier de {patient.display_name} créé.")
            return redirect("patients:detail", patient_id=patient.pk)
    return render(
        request,
        "patients/form.html",
        {"form": form, "duplicates": candidates, "creating": True},
    )


@role_required(*perms.VIEW)
def duplicate_check(request: HttpRequest) -> HttpResponse:
    """HTMX: while the intake form is filled in, the likely existing records."""
    form = PatientForm(request.GET)
    form.is_valid()
    found = selectors.duplicate_check(
        by=acting_user(request), values=getattr(form, "cleaned_data", {})
    )
    return render(request, "patients/_duplicates.html", {"duplicates": found})


@role_required(*perms.VIEW)
def detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = acting_user(request)
    patient = selectors.patient_detail(by=user, patient_id=patient_id, redirect_merged=True)
    if patient.merged_into_id is not None:
        kept = selectors.resolve_merged(patient)
        messages.info(request, "Ce dossier a été fusionné : voici le dossier conservé.")
        return redirect("patients:detail", patient_id=kept.pk)
    today = timezone.localdate()
    coverages = patient.all_coverages  # type: ignore[attr-defined]
    context = {
        "patient": patient,
        "coverages": coverages,
        "current_ids": {c.pk for c in patient.valid_coverages},  # type: ignore[attr-defined]
        "badges": selectors.coverage_badges(patient, today),
        "timeline": hooks.timeline_for(patient, roles=user.roles),
        "language_label": LANGUAGE_LABELS.get(patient.language, patient.language),
        "can_see_nir": perms.can_see_nir(user),
        "can_edit": perms.can_edit_identity(user) or perms.can_edit_nir(user),
        "can_check_identity": perms.can_edit_identity(user),
        "can_edit_coverage": perms.can_edit_coverage(user),
        "is_direction": perms.is_direction(user),
        "access_log": selectors.access_log(patient) if perms.is_direction(user) else [],
        "coverage_kinds": CoverageKind.choices,
        "qpv_street": (
            identity.street_in_qpv(patient.address, patient.city)
            if patient.in_qpv is None
            else None
        ),
    }
    return render(request, "patients/detail.html", context)


@role_required(*perms.EDIT_IDENTITY, *perms.EDIT_COVERAGE)
def edit(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = acting_user(request)
    if request.method == "POST":
        patient = get_object_or_404(Patient.objects.active(), pk=patient_id)
    else:  # the form shows the record: read as the record page reads it
        patient = selectors.patient_detail(by=user, patient_id=patient_id, active_only=True)
    allowed = None if perms.can_edit_identity(user) else {"nir"}
    form = PatientForm(request.POST or None, instance=patient, fields_allowed=allowed)
    if request.method == "POST" and form.is_valid():
        try:
            identity.patient_update(patient=patient, values=form.values(), by=user)
        except (Refusal, ValidationError) as refusal:
            add_refusal(form, refusal)
        else:
            messages.success(request, "Dossier mis à jour.")
            return redirect("patients:detail", patient_id=patient.pk)
    return render(
        request, "patients/form.html", {"form": form, "patient": patient, "creating": False}
    )


@role_required(*perms.EDIT_COVERAGE)
def coverage_add(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = get_object_or_404(Patient.objects.active(), pk=patient_id)
    kind = request.GET.get("kind", "")
    initial = {"kind": kind if kind in CoverageKind.values else "", "start": timezone.localdate()}
    form = CoverageForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            coverage.coverage_add(
                patient=patient, values=form.cleaned_data, by=acting_user(request)
            )
        except (Refusal, ValidationError) as refusal:
            add_refusal(form, refusal)
        else:
            messages.success(request, "Droit enregistré.")
            return redirect("patients:detail", patient_id=patient.pk)
    return render(request, "patients/coverage_form.html", {"form": form, "patient": patient})


@require_POST
@role_required(*perms.EDIT_COVERAGE)
def coverage_end(request: HttpRequest, patient_id: int, coverage_id: int) -> HttpResponse:
    row = get_object_or_404(
        Coverage.objects.filter(patient__merged_into__isnull=True),
        pk=coverage_id,
        patient_id=patient_id,
    )
    form = CoverageEndForm(request.POST)
    if form.is_valid():
        try:
            coverage.coverage_end(
                coverage=row, end=form.cleaned_data["end"], by=acting_user(request)
            )
        except (Refusal, ValidationError) as refusal:
            refusal_message(request, refusal)
        else:
            messages.success(request, "Droit clôturé.")
    else:
        messages.error(request, "Indiquez une date de fin valide.")
    return redirect("patients:detail", patient_id=patient_id)


@role_required(*perms.RIGHTS_WORKLIST)
def rights_worklist(request: HttpRequest) -> HttpResponse:
    """No rights, or rights ending within 60 days: the mediators' worklist."""
    form = SearchForm(request.GET)
    today = timezone.localdate()
    patients = selectors.patients_rights_worklist(by=acting_user(request), filters=form.filters())
    rows = [{"patient": p, "badges": selectors.coverage_badges(p, today)} for p in patients]
    return render(request, "patients/rights_worklist.html", {"rows": rows, "form": form})


@role_required(*perms.DIRECTION_ONLY)
def duplicates_list(request: HttpRequest) -> HttpResponse:
    pairs, marks = selectors.duplicates_screen(by=acting_user(request), limit=100)
    return render(
        request,
        "patients/duplicates.html",
        {"pairs": pairs, "marks": marks, "reason_max": duplicates.NOT_DUPLICATE_REASON_MAX},
    )


@require_POST
@role_required(*perms.DIRECTION_ONLY)
def not_duplicate(request: HttpRequest, first_id: int, second_id: int) -> HttpResponse:
    """« Pas un doublon »: the pair leaves the duplicates list (the service refuses merged or
    anonymised records with a message rather than a 404)."""
    first = get_object_or_404(Patient, pk=first_id)
    second = get_object_or_404(Patient, pk=second_id)
    form = NotDuplicateForm(request.POST)
    if not form.is_valid():
        errors = form.errors.get("reason") or ["Raison invalide."]
        messages.error(request, " ".join(str(error) for error in errors))
        return redirect("patients:duplicates")
    try:
        mark = duplicates.patients_mark_not_duplicates(
            first=first, second=second, reason=form.cleaned_data["reason"], by=acting_user(request)
        )
    except Refusal as refusal:
        refusal_message(request, refusal)
    else:
        messages.success(
            request,
            f"Les dossiers n° {mark.first_id} et n° {mark.second_id} sont notés comme deux "
            "personnes différentes : ils ne sont plus proposés comme doublons.",
        )
    return redirect("patients:duplicates")


@require_POST
@role_required(*perms.DIRECTION_ONLY)
def not_duplicate_undo(request: HttpRequest, mark_id: int) -> HttpResponse:
    if duplicates.patients_unmark_not_duplicates(mark_id=mark_id, by=acting_user(request)):
        messages.success(
            request, "Marque annulée : la paire peut de nouveau apparaître parmi les doublons."
        )
    else:
        messages.info(request, "Cette paire n'était déjà plus marquée.")
    return redirect("patients:duplicates")


@role_required(*perms.DIRECTION_ONLY)
def merge(request: HttpRequest, keep_id: int, merged_id: int) -> HttpResponse:
    """Comparison of the two records, one choice per differing identity field, then merge."""
    keep, other = selectors.merge_screen(
        by=acting_user(request), keep_id=keep_id, merged_id=merged_id
    )
    # Bound even when empty: a POST without choices merges with the defaults.
    data = request.POST if request.method == "POST" else None
    form = MergeChoiceForm(data, keep=keep, merged=other)
    if request.method == "POST" and form.is_valid():
        try:
            kept = duplicates.patients_merge(
                keep=keep,
                merged=other,
                by=acting_user(request),
                choices=form.choices(),
                # Identitovigilance: the director's confirmation (services/identity_status.py).
                confirm_qualified=request.POST.get("confirm_qualified") == "1",
            )
        except ValidationError as error:
            form.add_error(
                None,
                "Fusion impossible avec ces choix : le dossier conservé ne serait pas valide. "
                "Rien n'a été modifié.",
            )
            for field, errors in error.message_dict.items():
                if field in identity.IDENTITY_FIELDS:
                    label = capfirst(patient_field_label(field))
                    errors = [f"{label} : {message}" for message in errors]
                form.add_error(field if field in form.fields else None, errors)
        except Refusal as refusal:
            add_refusal(form, refusal)
        else:
            messages.success(
                request, f"Dossiers fusionnés : le dossier n° {other.pk} renvoie au n° {kept.pk}."
            )
            return redirect("patients:detail", patient_id=kept.pk)
    related = _related_counts(keep), _related_counts(other)
    not_duplicate_mark = (
        NotDuplicatePair.objects.for_pair(keep.pk, other.pk).select_related("decided_by").first()
    )
    return render(
        request,
        "patients/merge.html",
        {
            "keep": keep,
            "other": other,
            "form": form,
            "related": related,
            "not_duplicate_mark": not_duplicate_mark,
            "confirm_qualified_needed": identity_status.merge_needs_confirmation(keep, other),
        },
    )


def _related_counts(patient: Patient) -> list[tuple[str, int]]:
    counts = []
    for relation in Patient._meta.related_objects:
        if relation.many_to_many:
            continue
        model = relation.related_model
        n = model._base_manager.filter(**{relation.field.name: patient.pk}).count()
        if n:
            counts.append((str(model._meta.verbose_name_plural), n))
    return counts


@role_required(*perms.DIRECTION_ONLY)
def export_json(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=patient_id)
    data = gdpr.patient_export(by=acting_user(request), patient=patient, fmt="json")
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="patient-{patient.pk}.json"'
    return response


@role_required(*perms.DIRECTION_ONLY)
def export_pdf(request: HttpRequest, patient_id: int) -> HttpResponse:
    from weasyprint import HTML

    patient = get_object_or_404(Patient, pk=patient_id)
    data = gdpr.patient_export(by=acting_user(request), patient=patient, fmt="pdf")
    html = render_to_string(
        "patients/export_pdf.html",
        {
            "patient": patient,
            "data": data,
            "identity_checks": [
                datetime.datetime.fromisoformat(m["decided_at"])
                for m in data["not_duplicate_marks"]
            ],
            "coverages": Coverage.objects.filter(patient=patient).order_by("kind", "start"),
            "timeline": hooks.timeline_for(patient, roles=gdpr._ALL_ROLES),
            "generated": timezone.localtime(),
        },
    )
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="patient-{patient.pk}.pdf"'
    return response


@role_required(*perms.DIRECTION_ONLY)
def anonymise(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = get_object_or_404(Patient.objects.active(), pk=patient_id)
    if request.method == "POST":
        if request.POST.get("confirm") != "ANONYMISER":
            messages.error(request, "Tapez ANONYMISER pour confirmer.")
        else:
            try:
                gdpr.patient_anonymise(patient=patient, by=acting_user(request))
            except Refusal as refusal:
                refusal_message(request, refusal)
            else:
                messages.success(request, "Le dossier est anonymisé.")
                return redirect("patients:detail", patient_id=patient.pk)
    return render(request, "patients/anonymise.html", {"patient": patient})


# ---------------------------------------------------------------------------------------
# Import from another tool (direction): upload, mapping and dry run, then the real run.
# The uploaded file waits in the cache (Redis) for half an hour under a random token bound to
# the person who sent it, ENCRYPTED (it holds NIRs and addresses): the key is derived from the
# token, which only the uploader's page knows, and the server's SECRET_KEY, so that a copy of
# Redis alone reads nothing. It is dropped once imported.

IMPORT_TTL_SECONDS = 1800


def _import_key(token: str) -> str:
    return f"patients:import:{token}"


def _import_cipher(token: str) -> Fernet:
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:patients-import:{token}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _import_stash(token: str, stored: dict[str, Any]) -> None:
    plain = {**stored, "content": base64.b64encode(stored["content"]).decode()}
    sealed = _import_cipher(token).encrypt(json.dumps(plain).encode())
    cache.set(_import_key(token), sealed, IMPORT_TTL_SECONDS)


def _import_stashed(token: str) -> dict[str, Any] | None:
    sealed = cache.get(_import_key(token))
    if not isinstance(sealed, bytes):
        return None
    try:
        stored: dict[str, Any] = json.loads(_import_cipher(token).decrypt(sealed))
    except InvalidToken:
        return None
    stored["content"] = base64.b64decode(stored["content"])
    return stored


@role_required(*perms.DIRECTION_ONLY)
def import_start(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read(imports.MAX_BYTES + 1)
        try:
            imports.read_table(content, upload.name)
        except Refusal as refusal:
            add_refusal(form, refusal)
        else:
            token = secrets.token_urlsafe(16)
            _import_stash(
                token,
                {
                    "content": content,
                    "filename": upload.name,
                    "kind": form.cleaned_data["kind"],
                    "user_id": request.user.pk,
                },
            )
            return redirect("patients:import_review", token=token)
    return render(request, "patients/import.html", {"form": form})


@role_required(*perms.DIRECTION_ONLY)
def import_review(request: HttpRequest, token: str) -> HttpResponse:
    """The mapping, then « Vérifier (essai à blanc) » and « Importer » (all or nothing)."""
    stored = _import_stashed(token)
    if not stored or stored["user_id"] != request.user.pk:
        messages.error(request, "Ce fichier n'est plus disponible : déposez-le à nouveau.")
        return redirect("patients:import")
    kind: imports.ImportKind = stored["kind"]
    table = imports.read_table(stored["content"], stored["filename"])
    guessed = imports.guess_mapping(kind, table.headers)
    report: imports.ImportReport | None = None
    form = ImportMappingForm(kind=kind, headers=table.headers, guessed=guessed)
    if request.method == "POST":
        # The decisions asked for by the previous dry run come back with the mapping.
        previous = [
            imports.Line(number=int(k.removeprefix("decision_")), label="")
            for k in request.POST
            if k.startswith("decision_") and k.removeprefix("decision_").isdigit()
        ]
        posted = ImportMappingForm(request.POST, kind=kind, headers=table.headers, guessed=guessed)
        posted.is_valid()
        mapping = posted.mapping()
        decisions: dict[int, imports.Decision] = {}
        for line in previous:
            value = request.POST.get(f"decision_{line.number}", "")
            if value == "new":
                decisions[line.number] = "new"
            elif value.isdigit():
                decisions[line.number] = int(value)
        try:
            report = imports.import_run(
                by=acting_user(request),
                kind=kind,
                table=table,
                mapping=mapping,
                dry_run=request.POST.get("action") != "run",
                decisions=decisions,
                force_reason=posted.cleaned_data.get("force_reason", ""),
                filename=stored["filename"],
            )
        except Refusal as refusal:
            add_refusal(posted, refusal)
            form = posted
        else:
            if report.committed:
                cache.delete(_import_key(token))
            undecided = [line for line in report.lines if line.candidates]
            data = request.POST.copy()
            form = ImportMappingForm(
                data,
                kind=kind,
                headers=table.headers,
                guessed=guessed,
                decision_lines=undecided,
            )
            form.is_valid()
    return render(
        request,
        "patients/import_review.html",
        {
            "form": form,
            "report": report,
            "kind_label": imports.KINDS[kind],
            "filename": stored["filename"],
            "rows": len(table.rows),
            "headers": table.headers,
            "token": token,
        },
    )
