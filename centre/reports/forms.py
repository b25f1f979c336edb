from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone

from centre.models import Site
from centre.reports import templates
from centre.reports.indicators import Period
from centre.reports.services.runs import MAX_PERIOD_DAYS


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class PeriodForm(forms.Form):
    start = forms.DateField(label="Du", widget=DateInput())
    end = forms.DateField(label="Au (inclus)", widget=DateInput())
    site = forms.ModelChoiceField(
        label="Site",
        queryset=Site.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label="Tous les sites",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "La fin de la période doit être après son début.")
            elif (end - start).days + 1 > MAX_PERIOD_DAYS:
                self.add_error("end", "La période ne peut dépasser deux ans.")
        return data

    @property
    def period(self) -> Period:
        return Period(self.cleaned_data["start"], self.cleaned_data["end"])


class ReportRequestForm(PeriodForm):
    # Choosing a template asks the page for the form again with that template's period (the
    # last full month or calendar year): `reports:list` answers HTMX with the form alone.
    template = forms.ChoiceField(
        label="Modèle de rapport",
        choices=templates.choices,
        widget=forms.Select(
            attrs={
                "hx-get": reverse_lazy("reports:list"),
                "hx-target": "#report-request",
                "hx-swap": "outerHTML",
                "hx-trigger": "change",
            }
        ),
        help_text="La période proposée suit le modèle : dernier mois complet ou dernière "
        "année civile complète.",
    )

    field_order = ("template", "start", "end", "site")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        end = data.get("end")
        if end and end > timezone.localdate() and "end" not in self.errors:
            self.add_error("end", "La période ne peut pas se terminer après aujourd'hui.")
        return data
