"""Forms of the outreach pages. They parse and check types; the rules live in services."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from appointments.models import ConsultationType
from centre.models import Site, StaffProfile, User
from outreach.models import (
    CURRENT_TOPICS,
    HISTORICAL_TOPICS,
    Action,
    AgeBand,
    CancelScope,
    CollectiveAction,
    CollectiveKind,
    Decision,
    FiledHow,
    Interpreting,
    Outcome,
    Place,
    PlaceKind,
    ReferralTarget,
    RightKind,
    RightsSession,
    Sex,
    Situation,
    Theme,
    Topic,
    TriState,
    Urgency,
)
from outreach.services.collective_actions import COLLECTIVE_EDITABLE_FIELDS
from outreach.services.permanences import CANCEL_REASON_MAX
from outreach.services.places import PLACE_EDITABLE_FIELDS
from outreach.services.sessions import SESSION_EDITABLE_FIELDS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")

LANGUAGES = [
    ("fr", "Français"),
    ("ar", "Arabe"),
    ("en", "Anglais"),
    ("ps", "Pachto"),
    ("prs", "Dari"),
    ("ti", "Tigrigna"),
    ("ru", "Russe"),
    ("uk", "Ukrainien"),
    ("tr", "Turc"),
    ("ro", "Roumain"),
    ("so", "Somali"),
    ("wo", "Wolof"),
    ("sq", "Albanais"),
    ("ka", "Géorgien"),
    ("es", "Espagnol"),
    ("pt", "Portugais"),
    ("other", "Autre"),
]


class Chips(forms.CheckboxSelectMultiple):
    """Checkboxes rendered as large touch-friendly chips (see outreach/_chips.html)."""


class PersonMode:
    ANONYMOUS = "anonyme"
    PATIENT = "patient"
    KNOWN = "connue"


class SessionForm(forms.Form):
    person_mode = forms.ChoiceField(
        label="Personne",
        choices=[
            (PersonMode.ANONYMOUS, "Anonyme"),
            (PersonMode.PATIENT, "Patient·e du centre"),
            (PersonMode.KNOWN, "Déjà rencontrée"),
        ],
        initial=PersonMode.ANONYMOUS,
        widget=forms.RadioSelect,
    )
    person = forms.IntegerField(required=False, widget=forms.HiddenInput)
    patient = forms.IntegerField(required=False, widget=forms.HiddenInput)
    sex = forms.ChoiceField(
        label="Sexe", choices=Sex.choices, required=False, widget=forms.RadioSelect
    )
    age_band = forms.ChoiceField(
        label="Âge", choices=AgeBand.choices, required=False, widget=forms.RadioSelect
    )
    in_qpv = forms.ChoiceField(
        label="Habite en QPV",
        choices=TriState.choices,
        initial=TriState.UNKNOWN,
        widget=forms.RadioSelect,
    )
    neighbourhood = forms.CharField(label="Quartier", required=False, max_length=100)
    language = forms.ChoiceField(label="Langue", choices=LANGUAGES, initial="fr")
    alias = forms.CharField(
        label="Repère (facultatif)",
        required=False,
        max_length=60,
        help_text="Initiales ou prénom, pour la retrouver au prochain passage.",
    )
    first_contact = forms.TypedChoiceField(
        label="Contact",
        choices=[("1", "Premier contact"), ("0", "Suivi")],
        coerce=lambda v: v == "1",
        initial="1",
        widget=forms.RadioSelect,
    )
    topics = forms.MultipleChoiceField(label="Sujets", choices=CURRENT_TOPICS, widget=Chips)
    actions = forms.MultipleChoiceField(
        label="Actions", choices=Action.choices, required=False, widget=Chips
    )
    situation = forms.ChoiceField(
        label="Situation à l'arrivée", choices=Situation.choices, required=False
    )
    interpreting = forms.ChoiceField(
        label="Interprétariat",
        choices=Interpreting.choices,
        initial=Interpreting.NONE,
        widget=forms.RadioSelect,
    )
    interpreter_language = forms.ChoiceField(
        label="Langue d'interprétariat", choices=[("", "—"), *LANGUAGES], required=False
    )
    started_at = forms.TimeField(label="Heure", required=False, widget=TIME)
    duration_minutes = forms.IntegerField(
        label="Durée (minutes)",
        initial=20,
        min_value=1,
        max_value=480,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 5}),
    )
    outcome = forms.ChoiceField(
        label="Issue",
        choices=Outcome.choices,
        initial=Outcome.IN_PROGRESS,
        widget=forms.RadioSelect,
    )
    followup_on = forms.DateField(label="Suivi prévu le", required=False, widget=DATE)
    file = forms.TypedChoiceField(label="Dossier", required=False, coerce=int, empty_value=None)
    open_file_kind = forms.ChoiceField(
        label="Ouvrir un dossier", choices=[("", "Non"), *RightKind.choices[:9]], required=False
    )
    consent_on = forms.DateField(
        label="Accord de la personne le",
        required=False,
        widget=DATE,
        help_text="Obligatoire pour appeler un organisme ou envoyer un dossier pour elle.",
    )
    consent_scope = forms.CharField(label="Portée de l'accord", required=False, max_length=200)
    notes = forms.CharField(
        label="Notes (confidentielles, médiation)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    referral_target = forms.ChoiceField(
        label="Orienter vers",
        choices=[("", "Pas d'orientation"), *ReferralTarget.choices],
        required=False,
    )
    referral_consultation_type = forms.ModelChoiceField(
        label="Consultation souhaitée",
        queryset=ConsultationType.objects.none(),
        required=False,
    )
    referral_urgency = forms.ChoiceField(
        label="Urgence", choices=Urgency.choices, initial=Urgency.NORMAL, widget=forms.RadioSelect
    )
    referral_reason = forms.CharField(
        label="Motif pour l'accueil",
        required=False,
        max_length=250,
        help_text="Visible par l'accueil : court, sans détail inutile.",
    )
    referral_partner_name = forms.CharField(label="Partenaire (nom)", required=False)

    def __init__(
        self, *args: Any, file_choices: list[tuple[int, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["referral_consultation_type"].queryset = ConsultationType.objects.filter(  # type: ignore[attr-defined]
            is_active=True, bookable_by_mediators=True
        )
        self.fields["file"].choices = [("", "Aucun"), *(file_choices or [])]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        mode = data.get("person_mode")
        if mode == PersonMode.PATIENT and not data.get("patient"):
            self.add_error("patient", "Cherchez puis choisissez la ou le patient·e.")
        if mode == PersonMode.KNOWN and not data.get("person"):
            self.add_error("person", "Choisissez la personne déjà rencontrée.")
        if data.get("referral_target") and not data.get("referral_reason"):
            self.add_error("referral_reason", "Indiquez le motif de l'orientation.")
        return data


class SessionEditForm(SessionForm):
    """The session form for a correction: the same fields and messages, without who was met
    and without the referral and the new file (see `services.sessions.SESSION_EDITABLE_FIELDS`)."""

    NOT_EDITABLE = (
        "person_mode",
        "person",
        "patient",
        "sex",
        "age_band",
        "in_qpv",
        "neighbourhood",
        "language",
        "alias",
        "open_file_kind",
        "referral_target",
        "referral_consultation_type",
        "referral_urgency",
        "referral_reason",
        "referral_partner_name",
    )

    def __init__(self, *args: Any, session: RightsSession, **kwargs: Any) -> None:
        # The person's open files, and the session's own file even if it is closed since:
        # a correction must not detach it silently.
        files = [f for f in session.person.files.all() if f.is_open or f.pk == session.file_id]
        kwargs.setdefault("initial", _session_initial(session))
        super().__init__(
            *args,
            file_choices=[
                (f.pk, f"{f.get_kind_display()} — {f.get_status_display()}") for f in files
            ],
            **kwargs,
        )
        for name in self.NOT_EDITABLE:
            del self.fields[name]
        # CMU-C and ACS are no longer offered, but an old session that has them keeps them.
        kept = [t for t in session.topics if t in HISTORICAL_TOPICS]
        if kept:
            self.fields["topics"].choices = [  # type: ignore[attr-defined]
                *CURRENT_TOPICS,
                *((t, Topic(t).label) for t in kept),
            ]
        self.files_by_pk = {f.pk: f for f in files}

    def changes(self) -> dict[str, Any]:
        """The cleaned values, as `services.sessions.session_update` takes them."""
        data = self.cleaned_data
        values = {name: data[name] for name in SESSION_EDITABLE_FIELDS if name != "file"}
        values["file"] = self.files_by_pk.get(data["file"]) if data.get("file") else None
        return values


def _session_initial(session: RightsSession) -> dict[str, Any]:
    initial = {name: getattr(session, name) for name in SESSION_EDITABLE_FIELDS}
    # As the form's widgets take them: a yes/no choice and the file's id.
    initial["first_contact"] = "1" if session.first_contact else "0"
    initial["file"] = session.file_id or ""
    return initial


class PatientLinkForm(forms.Form):
    patient = forms.IntegerField(label="Patient·e", widget=forms.HiddenInput)
    consent_on = forms.DateField(
        label="La personne a donné son accord le", widget=DATE, initial=timezone.localdate
    )


class PlaceForm(forms.Form):
    name = forms.CharField(label="Nom", max_length=200)
    kind = forms.ChoiceField(label="Type de lieu", choices=PlaceKind.choices)
    address = forms.CharField(label="Adresse", required=False, max_length=250)
    neighbourhood = forms.CharField(label="Quartier", required=False, max_length=100)
    in_qpv = forms.BooleanField(label="En quartier prioritaire (QPV)", required=False)
    site = forms.ModelChoiceField(label="Site de rattachement", queryset=Site.objects.none())
    partner_contact = forms.CharField(label="Contact partenaire", required=False, max_length=250)

    def __init__(self, *args: Any, place: Place | None = None, **kwargs: Any) -> None:
        """`place`: the place being corrected — the form is then pre-filled with it, keeps
        its site even if that site has closed, and asks whether the place is still used
        (`services.places.PLACE_EDITABLE_FIELDS`)."""
        if place is not None:
            kwargs.setdefault(
                "initial", {name: getattr(place, name) for name in PLACE_EDITABLE_FIELDS}
            )
        super().__init__(*args, **kwargs)
        sites = Q(is_active=True)
        if place is not None:
            sites |= Q(pk=place.site_id)
            self.fields["is_active"] = forms.BooleanField(
                label="Lieu encore utilisé",
                required=False,
                help_text=(
                    "Décochez si le lieu n'accueille plus de permanences ni d'actions : il reste "
                    "dans l'historique et les indicateurs, mais n'est plus proposé à la saisie."
                ),
            )
        self.fields["site"].queryset = Site.objects.filter(sites)  # type: ignore[attr-defined]


def mediators() -> QuerySet[User]:
    return User.objects.filter(groups__name="mediation", is_active=True).order_by(
        "last_name", "first_name"
    )


class PermanenceForm(forms.Form):
    place = forms.ModelChoiceField(label="Lieu", queryset=Place.objects.none())
    mediator = forms.ModelChoiceField(label="Médiateur·rice", queryset=User.objects.none())
    first_day = forms.DateField(label="Jour (ou premier jour)", widget=DATE)
    start_time = forms.TimeField(label="Début", widget=TIME, initial=datetime.time(14, 0))
    end_time = forms.TimeField(label="Fin", widget=TIME, initial=datetime.time(17, 0))
    every_weeks = forms.TypedChoiceField(
        label="Récurrence",
        choices=[(0, "Ponctuelle"), (1, "Chaque semaine"), (2, "Tous les 15 jours")],
        coerce=int,
        initial=0,
        widget=forms.RadioSelect,
    )
    until = forms.DateField(label="Jusqu'au (inclus)", required=False, widget=DATE)
    public_note = forms.CharField(label="Mention pour le programme", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = Place.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["mediator"].queryset = mediators()  # type: ignore[attr-defined]


class FileStepForm(forms.Form):
    step = forms.ChoiceField(
        choices=[
            ("documents", "Pièces réunies"),
            ("filed", "Déposé"),
            ("decided", "Décision reçue"),
            ("abandoned", "Abandonné"),
        ],
        widget=forms.HiddenInput,
    )
    on = forms.DateField(label="Le", widget=DATE, initial=timezone.localdate)
    how = forms.ChoiceField(label="Comment", choices=[("", "—"), *FiledHow.choices], required=False)
    decision = forms.ChoiceField(
        label="Décision", choices=[("", "—"), *Decision.choices], required=False
    )
    effective_from = forms.DateField(
        label="Droits ouverts à partir du", required=False, widget=DATE
    )


class CollectiveActionForm(forms.Form):
    kind = forms.ChoiceField(label="Type d'action", choices=CollectiveKind.choices)
    title = forms.CharField(label="Intitulé", max_length=200)
    place = forms.ModelChoiceField(label="Lieu", queryset=Place.objects.none())
    held_on = forms.DateField(label="Date", widget=DATE)
    start_time = forms.TimeField(label="Début", required=False, widget=TIME)
    end_time = forms.TimeField(label="Fin", required=False, widget=TIME)
    partners = forms.CharField(label="Partenaires", required=False, max_length=250)
    participants_count = forms.IntegerField(label="Nombre de participant·e·s", min_value=0)
    themes = forms.MultipleChoiceField(
        label="Thèmes", choices=Theme.choices, required=False, widget=Chips
    )
    cls_action = forms.CharField(label="Fiche action du CLS", required=False, max_length=30)
    notes = forms.CharField(label="Bilan", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, action: CollectiveAction | None = None, **kwargs: Any) -> None:
        """`action`: the action being corrected — the form is then pre-filled with it and
        keeps its place even if that place is no longer used."""
        if action is not None:
            kwargs.setdefault(
                "initial", {name: getattr(action, name) for name in COLLECTIVE_EDITABLE_FIELDS}
            )
        super().__init__(*args, **kwargs)
        places = Q(is_active=True)
        if action is not None:
            places |= Q(pk=action.place_id)
        self.fields["place"].queryset = Place.objects.filter(places)  # type: ignore[attr-defined]


class ReferralBookForm(forms.Form):
    practitioner = forms.ModelChoiceField(label="Soignant·e", queryset=StaffProfile.objects.none())
    consultation_type = forms.ModelChoiceField(
        label="Motif", queryset=ConsultationType.objects.none()
    )
    start = forms.DateTimeField(
        label="Date et heure",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
    )
    patient = forms.IntegerField(required=False, widget=forms.HiddenInput)
    link_consent_on = forms.DateField(
        label="Accord de la personne pour le rattachement le", required=False, widget=DATE
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = (  # type: ignore[attr-defined]
            StaffProfile.objects.exclude(profession="")
            .filter(user__is_active=True)
            .select_related("user")
        )
        self.fields["consultation_type"].queryset = ConsultationType.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        )


class PermanenceCancelForm(forms.Form):
    """« Annuler cette permanence ». The scope is only offered for a permanence of a series;
    left out, it is this one only."""

    scope = forms.ChoiceField(
        label="Annuler",
        choices=CancelScope.choices,
        initial=CancelScope.ONE,
        required=False,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Motif (facultatif)",
        required=False,
        max_length=CANCEL_REASON_MAX,
        help_text="Affiché sur le calendrier et le programme imprimé : pas de détail personnel "
        "(ex. « congés », « locaux du partenaire fermés »).",
    )

    def clean_scope(self) -> str:
        return self.cleaned_data["scope"] or CancelScope.ONE


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Motif", max_length=250)


class OutcomeForm(forms.Form):
    outcome = forms.CharField(label="Suite donnée", max_length=250)


class PeriodForm(forms.Form):
    start = forms.DateField(label="Du", widget=DATE)
    end = forms.DateField(label="Au", widget=DATE)
    site = forms.ModelChoiceField(
        label="Site", queryset=Site.objects.none(), required=False, empty_label="Tous les sites"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.all()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "La fin de la période doit être après son début.")
        return data
