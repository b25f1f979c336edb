from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from centre.forms import add_refusal
from centre.models import Site
from patients.identifiers import NIR_INPUT_MAX_LENGTH, format_nir, format_phone
from patients.models import AldCode, Coverage, CoverageKind, Patient, Sex
from patients.selectors import SearchFilters
from patients.services import coverage, duplicates, identity, identity_status, imports

LANGUAGES = [
    ("fr", "français"),
    ("ar", "arabe"),
    ("kab", "kabyle"),
    ("en", "anglais"),
    ("es", "espagnol"),
    ("pt", "portugais"),
    ("tr", "turc"),
    ("ru", "russe"),
    ("uk", "ukrainien"),
    ("ps", "pachto"),
    ("fa", "dari / persan"),
    ("wo", "wolof"),
    ("ro", "roumain"),
    ("sq", "albanais"),
    ("ti", "tigrigna"),
    ("so", "somali"),
]
LANGUAGE_LABELS = dict(LANGUAGES)
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def nir_field(field: forms.Field) -> forms.CharField:
    """The model's NIR field (15 characters stored) as typed: spaces, dots or dashes between
    the groups are accepted, so the input must not cut at 15 characters; the service
    (`identity.clean_identity`, `coverage.clean_coverage`) compacts and checks it."""
    return forms.CharField(
        label=field.label,
        required=False,
        max_length=NIR_INPUT_MAX_LENGTH,
        help_text=field.help_text,
        widget=forms.TextInput(
            attrs={"inputmode": "text", "autocomplete": "off", "spellcheck": "false"}
        ),
    )


class PatientForm(forms.ModelForm[Patient]):
    """Intake and edit. `fields_allowed` narrows it to what the user's role may change."""

    not_a_duplicate = forms.BooleanField(
        label="J'ai vérifié : ce n'est aucune des personnes ci-dessus", required=False
    )

    class Meta:
        model = Patient
        fields = identity.IDENTITY_FIELDS
        widgets = {
            "birth_date": DATE_INPUT,
            "gdpr_informed_on": DATE_INPUT,
            "sex": forms.RadioSelect,
            "admin_notes": forms.Textarea(attrs={"rows": 3}),
            "in_qpv": forms.NullBooleanSelect,
            # A code typed (37 000 communes and countries: no drop-down list).
            "birth_place": forms.TextInput(attrs={"size": 6, "autocomplete": "off"}),
        }
        help_texts = {
            "nir": "15 caractères, clé comprise (2A/2B pour la Corse), espaces admis : "
            "2 87 06 75 123 456 78. Facultatif.",
            "phone": "Ex. 06 12 34 56 78",
            "admin_notes": "Administratif seulement : aucune information médicale ici.",
            "birth_first_names": "Tous les prénoms de la pièce d'identité, dans l'ordre, "
            "séparés par des virgules (vide si la pièce ne porte qu'un nom).",
            "birth_place": "Code INSEE de la commune de naissance, ou 99xxx pour un pays "
            "(ex. 86194 Poitiers, 99352 Algérie).",
        }

    def __init__(
        self,
        *args: Any,
        fields_allowed: set[str] | None = None,
        check_duplicates: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sex"].choices = Sex.choices  # type: ignore[attr-defined]
        self.fields["nir"] = nir_field(self.fields["nir"])
        self.fields["language"] = forms.ChoiceField(
            label="Langue préférée", choices=LANGUAGES, initial="fr"
        )
        site_field = self.fields["usual_site"]
        assert isinstance(site_field, forms.ModelChoiceField)
        site_field.queryset = Site.objects.filter(is_active=True)
        if fields_allowed is not None:
            for name in list(self.fields):
                if name not in fields_allowed and name != "not_a_duplicate":
                    del self.fields[name]
        if not check_duplicates:
            del self.fields["not_a_duplicate"]
        if self.instance.pk and self.instance.identity_is_qualified:
            # Identitovigilance: a qualified identity's strict traits are INSi's (the service
            # refuses a change too: services/identity_status.py).
            for name in identity_status.STRICT_FIELDS:
                if name in self.fields:
                    self.fields[name].disabled = True
                    self.fields[name].help_text = "Identité qualifiée : trait issu d'INSi."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        values = {k: v for k, v in data.items() if k != "not_a_duplicate"}
        if self.instance.pk:
            # Check the NIR against the sex and birth date even when only the NIR is edited.
            for name in ("sex", "birth_date"):
                values.setdefault(name, getattr(self.instance, name))
        try:
            cleaned = identity.clean_identity(values)
        except ValidationError as error:
            add_refusal(self, error)
            return data
        for name in self.fields:
            if name in cleaned:
                data[name] = cleaned[name]
        return data

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "not_a_duplicate"}

    def _post_clean(self) -> None:
        # The services save; the ModelForm must not validate the instance against the
        # half-filled model (NIR, phones are normalised by identity.clean_identity).
        pass


class CoverageForm(forms.ModelForm[Coverage]):
    class Meta:
        model = Coverage
        fields = coverage.COVERAGE_FIELDS
        widgets = {"start": DATE_INPUT, "end": DATE_INPUT}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ald_code"].choices = [("", "—"), *AldCode.choices]  # type: ignore[attr-defined]
        self.fields["insured_nir"] = nir_field(self.fields["insured_nir"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            return coverage.clean_coverage(data)
        except ValidationError as error:
            add_refusal(self, error)
        return data

    def _post_clean(self) -> None:
        pass


class CoverageEndForm(forms.Form):
    end = forms.DateField(label="Fin du droit", widget=DATE_INPUT)


class NotDuplicateForm(forms.Form):
    reason = forms.CharField(
        label="Raison (facultatif)",
        max_length=duplicates.NOT_DUPLICATE_REASON_MAX,
        required=False,
        help_text="Par exemple : jumelles, homonymes.",
    )


def patient_field_label(name: str) -> str:
    """`nir` → « NIR (n° de sécurité sociale) » (the model's verbose name)."""
    field = Patient._meta.get_field(name)
    assert isinstance(field, models.Field)
    return str(field.verbose_name)


def merge_value_label(patient: Patient, name: str) -> str:
    """A record's value as the merge screen shows it: French dates and labels, phones and
    NIR spaced as on the record page, « (vide) » for a blank."""
    value = getattr(patient, name)
    if value in ("", None):
        return "(vide)" if name != "in_qpv" else "non renseigné"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):  # birth first names, in their order
        return ", ".join(value) or "(vide)"
    if isinstance(value, datetime.date):
        return f"{value:%d/%m/%Y}"
    if name == "sex":
        return patient.get_sex_display()
    if name == "nir":
        return format_nir(value)
    if name in ("phone", "phone_alt"):
        return format_phone(value)
    if name == "language":
        return LANGUAGE_LABELS.get(value, value)
    return str(value)


class MergeChoiceForm(forms.Form):
    """One radio group per identity field that differs between the two records: the value of
    the kept (older) record or of the other one. Nothing posted for a field means the
    default of `duplicates.merge_default_choices` (a blank of the kept record is filled)."""

    def __init__(self, data: Any = None, *, keep: Patient, merged: Patient, **kwargs: Any) -> None:
        self.defaults = duplicates.merge_default_choices(keep, merged)
        if data is not None:
            # A field left out of the POST takes its default, and shows it checked when the
            # screen comes back with an error.
            data = data.copy()
            for name, default in self.defaults.items():
                if not data.get(name):
                    data[name] = default
        super().__init__(data, **kwargs)
        for name, default in self.defaults.items():
            self.fields[name] = forms.ChoiceField(
                label=patient_field_label(name),
                choices=[
                    ("keep", f"Dossier n° {keep.pk} (conservé) : {merge_value_label(keep, name)}"),
                    ("merged", f"Dossier n° {merged.pk} : {merge_value_label(merged, name)}"),
                ],
                initial=default,
                required=False,
                widget=forms.RadioSelect,
            )
        self.identical = [
            (patient_field_label(name), merge_value_label(keep, name))
            for name in identity.IDENTITY_FIELDS
            if name not in self.defaults
        ]

    def choices(self) -> dict[str, duplicates.MergeSide]:
        """The side of every differing field (the default where nothing was posted)."""
        chosen = dict(self.defaults)
        for name in self.defaults:
            side = self.cleaned_data.get(name)
            if side == "keep" or side == "merged":
                chosen[name] = side
        return chosen


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Rechercher un·e patient·e",
        required=False,
        max_length=100,
        help_text="Nom, « nom prénom année », date de naissance (jj/mm/aaaa), téléphone ou NIR.",
    )
    site = forms.ModelChoiceField(
        label="Site", queryset=Site.objects.filter(is_active=True), required=False
    )
    coverage = forms.ChoiceField(
        label="Droits",
        required=False,
        choices=[
            ("", "Tous"),
            ("none", "Sans droits"),
            ("ending", "Droits finissant dans les 60 jours"),
            *CoverageKind.choices,
        ],
    )
    qpv = forms.ChoiceField(
        label="QPV", required=False, choices=[("", "Tous"), ("1", "En QPV"), ("0", "Hors QPV")]
    )
    language = forms.ChoiceField(
        label="Langue", required=False, choices=[("", "Toutes"), *LANGUAGES]
    )

    def filters(self) -> SearchFilters:
        data = self.cleaned_data if self.is_valid() else {}
        qpv = data.get("qpv", "")
        site = data.get("site")
        return SearchFilters(
            site_id=site.pk if site else None,
            coverage_kind=data.get("coverage", ""),
            in_qpv=None if qpv == "" else qpv == "1",
            language=data.get("language", ""),
        )

    def query(self) -> str:
        return (self.cleaned_data.get("q") or "").strip() if self.is_valid() else ""


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label="Que contient le fichier ?",
        choices=list(imports.KINDS.items()),
        initial="patients",
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label="Fichier exporté de l'autre outil (CSV ou XLSX)",
        help_text="CSV séparé par des points-virgules, des virgules ou des tabulations, "
        "ou classeur XLSX (première feuille) ; la première ligne donne les noms des colonnes.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )


class ImportMappingForm(forms.Form):
    """Which column of the file holds each field of Passerelle (proposed from the headers),
    the decision for each line that looks like an existing record, and for appointments the
    reason to force the booking rules (the other tool already accepted these times)."""

    def __init__(
        self,
        data: Any = None,
        *,
        kind: imports.ImportKind,
        headers: list[str],
        guessed: dict[str, str],
        decision_lines: list[imports.Line] | None = None,
    ) -> None:
        super().__init__(data)
        choices = [("", "— (aucune)"), *[(h, h) for h in headers if h]]
        for column in imports.COLUMNS[kind]:
            self.fields[f"map_{column.key}"] = forms.ChoiceField(
                label=column.label + (" *" if column.required else ""),
                choices=choices,
                required=False,
                initial=guessed.get(column.key, ""),
            )
        if kind == "appointments":
            self.fields["force_reason"] = forms.CharField(
                label="Motif de forçage des règles de réservation (facultatif)",
                required=False,
                max_length=200,
                help_text="Par exemple « Reprise de l'ancien agenda » : un rendez-vous hors "
                "des plages ou pendant une absence est alors pris quand même, avec ce motif.",
            )
        for line in decision_lines or []:
            options = [("", "— à décider —"), ("new", "Créer un nouveau dossier (autre personne)")]
            options += [
                (str(c["id"]), f"Utiliser le dossier n° {c['id']} ({c['display_name']})")
                for c in line.candidates
                if not c.get("line")
            ]
            if kind == "appointments":
                options = [o for o in options if o[0] != "new"]
            self.fields[f"decision_{line.number}"] = forms.ChoiceField(
                label=f"Ligne {line.number} : {line.label}", choices=options, required=False
            )

    def mapping_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("map_")]

    def decision_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("decision_")]

    def mapping(self) -> dict[str, str]:
        return {
            name.removeprefix("map_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("map_") and value
        }

    def decisions(self) -> dict[int, imports.Decision]:
        chosen: dict[int, imports.Decision] = {}
        for name, value in self.cleaned_data.items():
            if name.startswith("decision_") and value:
                number = int(name.removeprefix("decision_"))
                chosen[number] = "new" if value == "new" else int(value)
        return chosen
