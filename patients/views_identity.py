"""The identitovigilance page of a record: check a document, ask INSi, take a qualification
away. The rules, rights and journal are in `services.identity_status`; this only parses and
renders. docs/identitovigilance.md."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from centre.forms import add_refusal
from centre.perms import acting_user, role_required
from centre.refusals import Refusal
from patients import perms, selectors
from patients.forms_identity import DocumentCheckForm, InsSearchForm, UnqualifyForm
from patients.services import identity_status

OUTCOME_MESSAGES = {
    "trouvee": "INS récupérée : les traits stricts sont désormais ceux de l'INSi.",
    "aucune": "INSi ne connaît aucune identité pour ces traits : rien n'a été enregistré.",
    "plusieurs": (
        "INSi connaît plusieurs identités pour ces traits : précisez-les (prénoms, lieu de "
        "naissance) ou utilisez la carte Vitale. Rien n'a été enregistré."
    ),
    identity_status.TRAITS_DIFFER: (
        "INSi renvoie d'autres traits que ceux du dossier : vérifiez la pièce d'identité ; si "
        "les traits de l'INSi sont les bons, cochez la case et recommencez."
    ),
}


@role_required(*perms.EDIT_IDENTITY)
def identity_page(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = acting_user(request)
    patient = selectors.patient_detail(by=user, patient_id=patient_id, active_only=True)
    document_form = DocumentCheckForm(request.POST if "check_document" in request.POST else None)
    ins_form = InsSearchForm(request.POST if "search_ins" in request.POST else None)
    unqualify_form = UnqualifyForm(request.POST if "unqualify" in request.POST else None)
    if request.method == "POST":
        try:
            if "check_document" in request.POST and document_form.is_valid():
                identity_status.identity_document_check(
                    by=user,
                    patient=patient,
                    document=document_form.cleaned_data["document"],
                    checked_on=document_form.cleaned_data["checked_on"],
                )
                messages.success(request, "Pièce d'identité enregistrée (type et date).")
                return redirect("patients:detail", patient_id=patient.pk)
            if "search_ins" in request.POST and ins_form.is_valid():
                result = identity_status.ins_search(
                    by=user,
                    patient=patient,
                    accept_traits=ins_form.cleaned_data["accept_traits"],
                )
                if result.stored:
                    messages.success(request, OUTCOME_MESSAGES["trouvee"])
                    return redirect("patients:detail", patient_id=patient.pk)
                messages.warning(request, OUTCOME_MESSAGES[result.outcome])
            if "unqualify" in request.POST and unqualify_form.is_valid():
                identity_status.identity_unqualify(
                    by=user, patient=patient, reason=unqualify_form.cleaned_data["reason"]
                )
                messages.success(request, "Qualification retirée : les traits sont modifiables.")
                return redirect("patients:detail", patient_id=patient.pk)
        except Refusal as refusal:
            form = (
                document_form
                if "check_document" in request.POST
                else ins_form
                if "search_ins" in request.POST
                else unqualify_form
            )
            add_refusal(form, refusal)
    return render(
        request,
        "patients/identity.html",
        {
            "patient": patient,
            "document_form": document_form,
            "ins_form": ins_form,
            "unqualify_form": unqualify_form,
            "is_direction": perms.is_direction(user),
            "can_see_nir": perms.can_see_nir(user),
        },
    )
