"""Forms of the identitovigilance page (patients/views_identity.py): shape only, the rules
are in `services.identity_status`."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from patients.models import IdentityDocument


class DocumentCheckForm(forms.Form):
    document = forms.ChoiceField(
        label="Pièce d'identité vérifiée",
        choices=[("", "—"), *IdentityDocument.choices],
        help_text="Le type et la date seulement : ne gardez aucune copie de la pièce.",
    )
    checked_on = forms.DateField(
        label="Vérifiée le",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["checked_on"].initial = timezone.localdate()


class InsSearchForm(forms.Form):
    accept_traits = forms.BooleanField(
        label="J'ai vérifié sur la pièce : les traits renvoyés par INSi sont ceux de la personne",
        required=False,
    )


class UnqualifyForm(forms.Form):
    reason = forms.CharField(label="Raison du retrait de la qualification", max_length=200)
