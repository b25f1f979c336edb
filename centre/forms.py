from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from centre.models import Profession, Site
from centre.refusals import Refusal
from centre.roles import Role
from centre.validators import validate_rpps


def add_refusal(form: forms.BaseForm, refusal: Refusal | ValidationError) -> None:
    """Put what a service refused on the form: on the field it names when the form has that
    field, on the whole form otherwise. The one translation of a refusal for forms."""
    if isinstance(refusal, ValidationError):
        errors: dict[str, list[str]] = (
            {k: list(v) for k, v in refusal.message_dict.items()}
            if hasattr(refusal, "error_dict")
            else {"": list(refusal.messages)}
        )
    else:
        errors = refusal.errors
    for name, texts in errors.items():
        for text in texts:
            form.add_error(name if name in form.fields else None, text)


def refusal_message(request: HttpRequest, refusal: Refusal | ValidationError) -> None:
    """Show what a service refused as a page message (actions without a form)."""
    text = refusal.message if isinstance(refusal, Refusal) else " ".join(refusal.messages)
    messages.error(request, text)


class StaffInviteForm(forms.Form):
    first_name = forms.CharField(label="Prénom", max_length=150)
    last_name = forms.CharField(label="Nom", max_length=150)
    email = forms.EmailField(label="Adresse e-mail professionnelle")
    roles = forms.MultipleChoiceField(
        label="Rôles", choices=Role.choices, widget=forms.CheckboxSelectMultiple
    )
    sites = forms.ModelMultipleChoiceField(
        label="Sites",
        queryset=Site.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    job_title = forms.CharField(label="Fonction", max_length=120, required=False)
    profession = forms.ChoiceField(
        label="Profession (soignant·e)",
        choices=[("", "—"), *Profession.choices],
        required=False,
    )
    specialty = forms.CharField(label="Spécialité", max_length=120, required=False)
    rpps = forms.CharField(
        label="N° RPPS",
        max_length=11,
        required=False,
        validators=[validate_rpps],
        help_text="11 chiffres ; obligatoire pour un·e soignant·e.",
    )

    def __init__(self, *args: Any, centre_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sites_field = self.fields["sites"]
        assert isinstance(sites_field, forms.ModelMultipleChoiceField)
        sites_field.queryset = Site.objects.filter(centre_id=centre_id, is_active=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        roles = data.get("roles") or []
        if Role.SOIGNANT in roles:
            if not data.get("profession"):
                self.add_error("profession", "Indiquez la profession du ou de la soignant·e.")
            if not data.get("rpps") and "rpps" not in self.errors:
                self.add_error("rpps", "Le numéro RPPS est obligatoire pour un·e soignant·e.")
        elif data.get("profession"):
            raise ValidationError("Une profession n'a de sens qu'avec le rôle « Soignant ».")
        return data


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="Nom du jeton",
        max_length=50,
        help_text="À quoi il sert, par exemple « Export mensuel du tableur ».",
    )
    days = forms.IntegerField(
        label="Valable (jours)",
        min_value=1,
        required=False,
        help_text="Au plus la durée fixée par le centre ; vide : la durée maximale.",
    )
