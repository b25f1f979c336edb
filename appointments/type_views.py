"""Staff screens for consultation types (motifs): reception and direction list, create,
correct, deactivate, reactivate and delete an unused one, through the audited services of
`appointments.services.consultation_types` (the Django admin only shows them)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from appointments import perms
from appointments.forms import ConsultationTypeForm
from appointments.models import ConsultationType
from appointments.services import consultation_types
from centre.forms import add_refusal, refusal_message
from centre.perms import acting_user, role_required


@role_required(*perms.MANAGE_TYPES)
def type_list(request: HttpRequest) -> HttpResponse:
    """Every type, active or not, by profession, with how much it serves."""
    ctypes = list(ConsultationType.objects.order_by("profession", "label"))
    usage = consultation_types.usage_by_type(t.pk for t in ctypes)
    rows = [{"type": t, "usage": usage.get(t.pk, consultation_types.TypeUsage())} for t in ctypes]
    return render(request, "appointments/types.html", {"rows": rows})


def _form_page(
    request: HttpRequest, form: ConsultationTypeForm, *, title: str, ctype: ConsultationType | None
) -> HttpResponse:
    # The plannings' form page, with its own intro and way back.
    return render(
        request,
        "appointments/schedule_form.html",
        {
            "form": form,
            "title": title,
            "ctype": ctype,
            "intro": (
                "Un changement vaut pour les rendez-vous pris ensuite : ceux déjà pris gardent "
                "leur motif, leur heure de début et de fin. La modification est inscrite au "
                "journal."
            ),
            "back": reverse("appointments:types"),
            "back_label": "Retour aux motifs",
        },
    )


@role_required(*perms.MANAGE_TYPES)
def type_create(request: HttpRequest) -> HttpResponse:
    form = ConsultationTypeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ctype = consultation_types.consultation_type_create(
                **form.cleaned_data, by=acting_user(request)
            )
        except consultation_types.ConsultationTypeInvalid as error:
            add_refusal(form, error)
        else:
            messages.success(request, f"Motif « {ctype} » créé.")
            return redirect("appointments:types")
    return _form_page(request, form, title="Nouveau motif de consultation", ctype=None)


@role_required(*perms.MANAGE_TYPES)
def type_edit(request: HttpRequest, pk: int) -> HttpResponse:
    ctype = get_object_or_404(ConsultationType, pk=pk)
    old_duration = ctype.duration_minutes
    form = ConsultationTypeForm(request.POST or None, instance=ctype)
    if request.method == "POST" and form.is_valid():
        try:
            saved = consultation_types.consultation_type_update(
                consultation_type=ctype, changes=form.cleaned_data, by=acting_user(request)
            )
        except consultation_types.ConsultationTypeInvalid as error:
            add_refusal(form, error)
        else:
            note = ""
            if saved.duration_minutes != old_duration and (
                n := consultation_types.upcoming_count(saved)
            ):
                note = f" Les {n} rendez-vous déjà prévus gardent leur horaire."
            messages.success(request, f"Motif « {saved} » modifié.{note}")
            return redirect("appointments:types")
    return _form_page(request, form, title=f"Modifier le motif « {ctype} »", ctype=ctype)


def _set_active(request: HttpRequest, pk: int, *, active: bool) -> HttpResponse:
    ctype = get_object_or_404(ConsultationType, pk=pk)
    consultation_types.consultation_type_set_active(
        consultation_type=ctype, active=active, by=acting_user(request)
    )
    if active:
        messages.success(request, f"Motif « {ctype} » réactivé : il est de nouveau proposé.")
    else:
        kept = consultation_types.upcoming_count(ctype)
        messages.success(
            request,
            f"Motif « {ctype} » désactivé : il n'est plus proposé à la prise de rendez-vous."
            + (f" Les {kept} rendez-vous déjà prévus sont maintenus." if kept else ""),
        )
    return redirect("appointments:types")


@require_POST
@role_required(*perms.MANAGE_TYPES)
def type_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_active(request, pk, active=False)


@require_POST
@role_required(*perms.MANAGE_TYPES)
def type_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_active(request, pk, active=True)


@require_POST
@role_required(*perms.MANAGE_TYPES)
def type_delete(request: HttpRequest, pk: int) -> HttpResponse:
    ctype = get_object_or_404(ConsultationType, pk=pk)
    label = str(ctype)
    try:
        consultation_types.consultation_type_delete(
            consultation_type=ctype, by=acting_user(request)
        )
    except consultation_types.ConsultationTypeInvalid as error:
        refusal_message(request, error)
    else:
        messages.success(request, f"Motif « {label} » supprimé.")
    return redirect("appointments:types")
