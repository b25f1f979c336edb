from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from billing.models import Act, PaymentMethod

DESK_METHODS = [
    (PaymentMethod.CASH.value, PaymentMethod.CASH.label),
    (PaymentMethod.CARD.value, PaymentMethod.CARD.label),
    (PaymentMethod.CHEQUE.value, PaymentMethod.CHEQUE.label),
]


class PaymentForm(forms.Form):
    amount = forms.DecimalField(
        label="Montant réglé (€)", min_value=Decimal("0.01"), decimal_places=2, max_digits=10
    )
    method = forms.ChoiceField(label="Moyen de paiement", choices=DESK_METHODS)
    reference = forms.CharField(label="Référence (n° de chèque…)", max_length=40, required=False)


class ReturnUploadForm(forms.Form):
    file = forms.FileField(
        label="Fichier retour (accusé de réception, paiements et rejets)",
        help_text="Format PASSERELLE-RETOUR v1 (voir la documentation des formats).",
    )


class WriteOffForm(forms.Form):
    reason = forms.CharField(label="Motif de la perte", max_length=200)


class TariffForm(forms.Form):
    act = forms.ModelChoiceField(label="Acte", queryset=Act.objects.filter(is_active=True))
    unit_price = forms.DecimalField(
        label="Tarif ou valeur de la lettre clé (€)",
        min_value=Decimal("0"),
        decimal_places=2,
        max_digits=8,
    )
    amo_rate = forms.DecimalField(
        label="Taux AMO",
        min_value=Decimal("0"),
        max_value=Decimal("1"),
        decimal_places=4,
        max_digits=5,
        help_text="Entre 0 et 1, par exemple 0,70 pour 70 %.",
    )
    valid_from = forms.DateField(
        label="En vigueur à partir du", widget=forms.DateInput(attrs={"type": "date"})
    )
    source = forms.CharField(
        label="Source (texte officiel, convention)", widget=forms.Textarea(attrs={"rows": 2})
    )
    to_verify = forms.BooleanField(label="Montant à vérifier", required=False)


class CloseConsultationForm(forms.Form):
    acts = forms.CharField(
        label="Actes (code et coefficient, séparés par des virgules)",
        help_text="Par exemple « G » ou « G, MEG » ou « AMO 13.5 ».",
        max_length=200,
    )
    related_to_ald = forms.BooleanField(label="Soins en rapport avec l'ALD", required=False)
    pathway_exempt = forms.BooleanField(
        label="Hors parcours justifié (urgence, patient·e en déplacement)", required=False
    )

    def clean_acts(self) -> list[tuple[str, Decimal | None]]:
        raw: str = self.cleaned_data["acts"]
        parsed: list[tuple[str, Decimal | None]] = []
        for chunk in raw.split(","):
            parts = chunk.split()
            if not parts:
                continue
            if len(parts) > 2:
                raise forms.ValidationError(
                    f"« {chunk.strip()} » : un code, puis un coefficient facultatif."
                )
            coefficient: Decimal | None = None
            if len(parts) == 2:
                try:
                    coefficient = Decimal(parts[1].replace(",", "."))
                except ArithmeticError:
                    raise forms.ValidationError(f"Coefficient « {parts[1]} » invalide.") from None
            parsed.append((parts[0].upper(), coefficient))
        if not parsed:
            raise forms.ValidationError("Indiquez au moins un acte.")
        return parsed

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["acts"].widget.attrs.update({"list": "act-codes", "autocomplete": "off"})


class CorrectInvoiceForm(CloseConsultationForm):
    """New version of an invoice with corrected acts (after a reject)."""

    reason = forms.CharField(
        label="Motif de la correction",
        max_length=200,
        help_text="Par exemple « rejet R07 : coefficient erroné ».",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # ALD and pathway flags are kept from the invoice being corrected.
        del self.fields["related_to_ald"]
        del self.fields["pathway_exempt"]
