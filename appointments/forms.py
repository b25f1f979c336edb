from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone

from appointments.models import (
    HELD_STATUSES,
    Absence,
    AbsenceReason,
    ConsultationType,
    ExtraSchedule,
    Status,
    WaitingListEntry,
    WeeklySchedule,
)
from appointments.selectors import ConsultationFilter, practitioners_qs
from appointments.services.consultation_types import EDITABLE_FIELDS
from appointments.slots import PARIS, local_datetime
from centre.models import Site, StaffProfile
from centre.reports.forms import PeriodForm
from centre.reports.services.runs import default_period
from patients.models import Patient


class PractitionerChoiceField(forms.ModelChoiceField[StaffProfile]):
    def label_from_instance(self, obj: StaffProfile) -> str:
        return f"{obj} — {obj.get_profession_display()}"


def _sites() -> Any:
    return Site.objects.filter(is_active=True)


class DayFilterForm(forms.Form):
    site = forms.ModelChoiceField(queryset=_sites(), label="Site", empty_label=None)
    date = forms.DateField(
        label="Jour", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    type = forms.ModelChoiceField(
        queryset=ConsultationType.objects.filter(is_active=True),
        label="Créneaux libres pour",
        required=False,
        empty_label="— aucun motif —",
    )


class NextSlotForm(forms.Form):
    type = forms.ModelChoiceField(
        queryset=ConsultationType.objects.filter(is_active=True), label="Motif"
    )
    site = forms.ModelChoiceField(
        queryset=_sites(), label="Site", required=False, empty_label="Tous les sites"
    )
    women_only = forms.BooleanField(label="Avec une soignante (femme)", required=False)
    morning_only = forms.BooleanField(label="Le matin", required=False)
    language = forms.CharField(
        label="Langue parlée par le·la soignant·e",
        required=False,
        max_length=20,
        help_text="Code de langue, ex. : ar, en, ru.",
    )


class _StartFields(forms.Form):
    date = forms.DateField(
        label="Jour", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    time = forms.TimeField(
        label="Heure", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )

    def start(self) -> datetime.datetime:
        return local_datetime(self.cleaned_data["date"], self.cleaned_data["time"], PARIS)


class _ForceField(forms.Form):
    """Shown after a refusal by the booking rules, to reception and direction only."""

    force_reason = forms.CharField(
        label="Forcer (motif obligatoire)",
        required=False,
        max_length=200,
        help_text=(
            "Pour prendre ce rendez-vous hors des règles (hors plage, absence, jour férié) : "
            "le motif est journalisé et affiché sur l'agenda."
        ),
    )


class BookingForm(_StartFields, _ForceField):
    patient = forms.ModelChoiceField(
        queryset=Patient.objects.active(),
        label="Patient·e",
        widget=forms.HiddenInput,
        error_messages={"required": "Choisissez un·e patient·e dans la recherche."},
    )
    consultation_type = forms.ModelChoiceField(
        queryset=ConsultationType.objects.filter(is_active=True), label="Motif"
    )
    practitioner = PractitionerChoiceField(queryset=practitioners_qs(), label="Soignant·e")
    site = forms.ModelChoiceField(queryset=_sites(), label="Site", empty_label=None)
    interpreter_language = forms.CharField(
        label="Interprète (langue)",
        required=False,
        max_length=40,
        help_text="Laisser vide si aucun interprète n'est nécessaire.",
    )
    note = forms.CharField(label="Remarque pour l'accueil", required=False, max_length=200)
    send_confirmation = forms.BooleanField(
        label="Envoyer une confirmation (si le·la patient·e l'accepte)",
        required=False,
        initial=True,
    )

    field_order = (
        "patient",
        "consultation_type",
        "practitioner",
        "site",
        "date",
        "time",
        "interpreter_language",
        "note",
        "send_confirmation",
        "force_reason",
    )


class MoveForm(_StartFields, _ForceField):
    practitioner = PractitionerChoiceField(queryset=practitioners_qs(), label="Soignant·e")
    site = forms.ModelChoiceField(queryset=_sites(), label="Site", empty_label=None)


class CancelForm(forms.Form):
    by_patient = forms.TypedChoiceField(
        label="Qui annule ?",
        choices=[("1", "Le·la patient·e (excusé·e)"), ("0", "Le centre")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        initial="1",
    )
    reason = forms.CharField(label="Motif d'annulation", required=False, max_length=200)


class WalkInForm(_ForceField):
    patient = forms.ModelChoiceField(
        queryset=Patient.objects.active(),
        label="Patient·e",
        widget=forms.HiddenInput,
        error_messages={"required": "Choisissez un·e patient·e dans la recherche."},
    )
    consultation_type = forms.ModelChoiceField(
        queryset=ConsultationType.objects.filter(is_active=True), label="Motif"
    )
    practitioner = PractitionerChoiceField(queryset=practitioners_qs(), label="Soignant·e")
    site = forms.ModelChoiceField(queryset=_sites(), label="Site", empty_label=None)


class WaitingListForm(forms.ModelForm[WaitingListEntry]):
    patient = forms.ModelChoiceField(
        queryset=Patient.objects.active(),
        label="Patient·e",
        widget=forms.HiddenInput,
        error_messages={"required": "Choisissez un·e patient·e dans la recherche."},
    )
    consultation_type = forms.ModelChoiceField(
        queryset=ConsultationType.objects.filter(is_active=True), label="Motif"
    )
    practitioner = PractitionerChoiceField(
        queryset=practitioners_qs(), label="Soignant·e souhaité·e", required=False
    )

    class Meta:
        model = WaitingListEntry
        fields = ("patient", "consultation_type", "practitioner", "site", "before", "note")
        widgets = {"before": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def clean_before(self) -> datetime.date | None:
        before: datetime.date | None = self.cleaned_data.get("before")
        if before is not None and before < timezone.localdate():
            raise forms.ValidationError("Cette date est déjà passée.")
        return before


# --- opening schedules and absences (staff screens) ------------------------------------------

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class WeeklyScheduleForm(forms.ModelForm[WeeklySchedule]):
    practitioner = PractitionerChoiceField(queryset=practitioners_qs(), label="Soignant·e")
    site = forms.ModelChoiceField(queryset=_sites(), label="Site")

    class Meta:
        model = WeeklySchedule
        fields = (
            "practitioner",
            "site",
            "weekday",
            "start_time",
            "end_time",
            "valid_from",
            "valid_until",
            "open_on_public_holidays",
        )
        widgets = {
            "start_time": _TIME,
            "end_time": _TIME,
            "valid_from": _DATE,
            "valid_until": _DATE,
        }
        help_texts = {
            "valid_until": "Laisser vide si la plage n'a pas de fin prévue.",
            "open_on_public_holidays": "Sinon, la plage est fermée les jours fériés.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # the practitioner of a plage does not change: end it instead
            self.fields["practitioner"].disabled = True

    def _post_clean(self) -> None:
        # Checks and saving belong to the service (with the audit), not to the model form.
        pass


class EndScheduleForm(forms.Form):
    last_day = forms.DateField(label="Dernier jour de la plage", widget=_DATE)


class ExtraScheduleForm(forms.ModelForm[ExtraSchedule]):
    practitioner = PractitionerChoiceField(queryset=practitioners_qs(), label="Soignant·e")
    site = forms.ModelChoiceField(queryset=_sites(), label="Site")

    class Meta:
        model = ExtraSchedule
        fields = ("practitioner", "site", "date", "start_time", "end_time")
        widgets = {"date": _DATE, "start_time": _TIME, "end_time": _TIME}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["practitioner"].disabled = True

    def _post_clean(self) -> None:
        pass


class AbsenceForm(forms.Form):
    practitioner = PractitionerChoiceField(queryset=practitioners_qs(), label="Soignant·e")
    start_date = forms.DateField(label="Du", widget=_DATE)
    start_time = forms.TimeField(label="à partir de", widget=_TIME, initial=datetime.time(0, 0))
    end_date = forms.DateField(label="Au (inclus)", widget=_DATE)
    end_time = forms.TimeField(
        label="jusqu'à",
        widget=_TIME,
        initial=datetime.time(23, 59),
        help_text="Pour des journées entières, laisser 00:00 et 23:59.",
    )
    reason = forms.ChoiceField(label="Motif", choices=AbsenceReason.choices)
    note = forms.CharField(label="Précision", max_length=200, required=False)

    def __init__(self, *args: Any, instance: Absence | None = None, **kwargs: Any) -> None:
        if instance is not None:
            start = timezone.localtime(instance.start, PARIS)
            end = timezone.localtime(instance.end, PARIS)
            kwargs.setdefault(
                "initial",
                {
                    "practitioner": instance.practitioner_id,
                    "start_date": start.date(),
                    "start_time": start.time(),
                    "end_date": end.date(),
                    "end_time": end.time(),
                    "reason": instance.reason,
                    "note": instance.note,
                },
            )
        super().__init__(*args, **kwargs)
        if instance is not None:
            self.fields["practitioner"].disabled = True

    def period(self) -> tuple[datetime.datetime, datetime.datetime]:
        data = self.cleaned_data
        return (
            local_datetime(data["start_date"], data["start_time"], PARIS),
            local_datetime(data["end_date"], data["end_time"], PARIS),
        )


# --- consultations by period ----------------------------------------------------------------

HELD_CHOICE = "realisees"
ALL_STATUSES_CHOICE = "tous"
WALK_IN_CHOICES = (
    ("", "Avec ou sans rendez-vous"),
    ("oui", "Sans rendez-vous"),
    ("non", "Sur rendez-vous"),
)


class ConsultationFilterForm(PeriodForm):
    """Filters of the consultations list. `start`, `end` and `site` are the dashboard's
    (`centre.reports.dashboard.link_for` links here with them). A missing status means
    « réalisées » and a missing period the dashboard's default (the last complete month): a
    dashboard figure and this list agree without any other parameter."""

    practitioner = PractitionerChoiceField(
        label="Soignant·e",
        queryset=practitioners_qs(active_only=False),
        required=False,
        empty_label="Tous les soignant·e·s",
    )
    status = forms.ChoiceField(
        label="Statut",
        choices=[
            (HELD_CHOICE, "Réalisées (arrivé·e ou vu·e)"),
            (ALL_STATUSES_CHOICE, "Tous les statuts"),
            *Status.choices,
        ],
        required=False,
    )
    type = forms.ModelChoiceField(
        label="Motif",
        queryset=ConsultationType.objects.order_by("profession", "label"),
        required=False,
        empty_label="Tous les motifs",
    )
    walk_in = forms.ChoiceField(label="Sans rendez-vous", choices=WALK_IN_CHOICES, required=False)

    def __init__(self, query: Any, *, own_only: bool = False) -> None:
        data = query.copy()
        if not data.get("start") and not data.get("end"):
            default = default_period()
            data["start"], data["end"] = default.start.isoformat(), default.end.isoformat()
        if not data.get("status"):
            data["status"] = HELD_CHOICE
        data.pop("page", None)
        self.query = data
        super().__init__(data)
        if own_only:
            # A practitioner sees only their own consultations: no colleague to choose.
            del self.fields["practitioner"]

    def consultation_filter(
        self, *, practitioner: StaffProfile | None = None
    ) -> ConsultationFilter:
        """The cleaned filter; `practitioner` forces the reader's own (soignant)."""
        data = self.cleaned_data
        status = data["status"] or HELD_CHOICE
        if status == HELD_CHOICE:
            statuses: tuple[str, ...] = tuple(HELD_STATUSES)
        elif status == ALL_STATUSES_CHOICE:
            statuses = tuple(Status.values)
        else:
            statuses = (status,)
        return ConsultationFilter(
            first_day=data["start"],
            last_day=data["end"],
            site=data["site"],
            practitioner=practitioner or data.get("practitioner"),
            statuses=statuses,
            consultation_type=data["type"],
            walk_in={"oui": True, "non": False}.get(data["walk_in"]),
        )


# --- consultation types (staff screens) -----------------------------------------------------


class ConsultationTypeForm(forms.ModelForm[ConsultationType]):
    """Entry of a type; its rules (unique label, duration, a used type keeps its profession)
    and the save belong to `appointments.services.consultation_types`, which the API calls
    too."""

    duration_minutes = forms.IntegerField(
        label="Durée par défaut (minutes)",
        help_text="Entre 5 et 240 minutes, par pas de 5. Ne change que les rendez-vous pris "
        "ensuite : ceux déjà pris gardent leur heure de début et de fin.",
        widget=forms.NumberInput(attrs={"min": 5, "max": 240, "step": 5}),
    )

    class Meta:
        model = ConsultationType
        fields = EDITABLE_FIELDS
        labels = {"needs_interpreter_slot": "Nécessite un interprète"}
        help_texts = {
            "label": "Tel que l'accueil le lit dans la liste des motifs, ex. : « Consultation "
            "de médecine générale ».",
            "colour": "Couleur du bloc du rendez-vous dans l'agenda.",
            "bookable_by_mediators": "La médiation peut le choisir quand elle oriente une "
            "personne vers le centre.",
            "audience_sex": "Une orientation de la médiation pour une personne qui ne "
            "correspond pas est signalée (jamais refusée).",
        }

    def _post_clean(self) -> None:
        # Checks and saving belong to the service (with the audit), not to the model form.
        pass
