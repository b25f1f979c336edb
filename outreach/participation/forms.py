"""Forms of the participation pages. The answer forms only shape the input: every rule on the
answers (required, range, known choice) is checked once, in services.sheets.clean_answers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from outreach.participation.models import (
    LANGUAGE_LABELS,
    LANGUAGES,
    CommitteeMeeting,
    DecisionStatus,
    Question,
    QuestionKind,
    Survey,
)
from outreach.participation.services.questions import QuestionInput

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SurveyForm(forms.Form):
    title = forms.CharField(label="Titre", max_length=200)
    introduction = forms.CharField(
        label="Introduction",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Qui mène l'enquête, pourquoi, et ce que deviennent les réponses (anonymes).",
    )
    languages = forms.MultipleChoiceField(
        label="Traductions proposées",
        choices=LANGUAGES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    public_link = forms.BooleanField(
        label="Lien public : les habitant·e·s répondent elles-mêmes et eux-mêmes en ligne",
        required=False,
    )


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(
        label="Type de question", choices=QuestionKind.choices, widget=forms.RadioSelect
    )
    text = forms.CharField(label="Question (en français)", max_length=300)
    required = forms.BooleanField(label="Réponse obligatoire", required=False)
    choices = forms.CharField(
        label="Réponses proposées (une par ligne)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Pour les questions à choix unique ou multiple.",
    )
    min_value = forms.IntegerField(
        label="Minimum", required=False, help_text="Échelle ou nombre (ex. 1 pour une note)."
    )
    max_value = forms.IntegerField(
        label="Maximum", required=False, help_text="Échelle ou nombre (ex. 5 pour une note)."
    )

    def __init__(self, *args: Any, survey: Survey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.languages: list[str] = list(survey.languages)
        for lang in self.languages:
            name = LANGUAGE_LABELS.get(lang, lang)
            self.fields[f"text_{lang}"] = forms.CharField(
                label=f"Question en {name.lower()}", max_length=300, required=False
            )
            self.fields[f"choices_{lang}"] = forms.CharField(
                label=f"Réponses proposées en {name.lower()} (une par ligne, même ordre)",
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    @classmethod
    def initial_for(cls, question: Question) -> dict[str, Any]:
        choices = list(question.choices.all())
        initial: dict[str, Any] = {
            "kind": question.kind,
            "text": question.text,
            "required": question.required,
            "choices": "\n".join(c.label for c in choices),
            "min_value": question.min_value,
            "max_value": question.max_value,
        }
        for lang, text in question.translations.items():
            initial[f"text_{lang}"] = text
            initial[f"choices_{lang}"] = "\n".join(c.translations.get(lang, "") for c in choices)
        return initial

    def to_input(self) -> QuestionInput:
        data = self.cleaned_data
        return QuestionInput(
            kind=data["kind"],
            text=data["text"],
            required=data["required"],
            min_value=data["min_value"],
            max_value=data["max_value"],
            choices=data["choices"].splitlines(),
            translations={lang: data.get(f"text_{lang}", "") for lang in self.languages},
            choice_translations={
                lang: data.get(f"choices_{lang}", "").splitlines() for lang in self.languages
            },
        )


class RawListField(forms.Field):
    """Passes the ticked values through as a list (checked by the service)."""

    def to_python(self, value: Any) -> list[str]:
        if not value:
            return []
        return [str(v) for v in (value if isinstance(value, list | tuple) else [value])]


class AnswerForm(forms.Form):
    """One field `q<id>` per question, in the survey's order, labels in `language`."""

    wants_contact = forms.BooleanField(
        label="La personne souhaite être recontactée (sinon, le questionnaire reste anonyme)",
        required=False,
    )
    contact_name = forms.CharField(label="Nom ou prénom", max_length=120, required=False)
    contact = forms.CharField(label="Téléphone ou e-mail", max_length=200, required=False)

    def __init__(
        self, *args: Any, questions: list[Question], language: str = "fr", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        contact_fields = {
            k: self.fields.pop(k) for k in ("wants_contact", "contact_name", "contact")
        }
        for question in questions:
            self.fields[f"q{question.pk}"] = self._field(question, language)
        self.fields.update(contact_fields)

    @staticmethod
    def _field(question: Question, language: str) -> forms.Field:
        label = f"{question.position}. {question.text_in(language)}"
        if question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            choices = [(str(c.pk), c.label_in(language)) for c in question.choices.all()]
            if question.kind == QuestionKind.SINGLE:
                return forms.CharField(
                    label=label, required=False, widget=forms.RadioSelect(choices=choices)
                )
            return RawListField(
                label=label, required=False, widget=forms.CheckboxSelectMultiple(choices=choices)
            )
        if question.kind == QuestionKind.SCALE:
            low = question.min_value if question.min_value is not None else 1
            high = question.max_value if question.max_value is not None else 5
            return forms.CharField(
                label=label,
                required=False,
                widget=forms.RadioSelect(choices=[(str(v), str(v)) for v in range(low, high + 1)]),
                help_text=f"De {low} (le moins) à {high} (le plus).",
            )
        if question.kind == QuestionKind.NUMBER:
            return forms.CharField(
                label=label,
                required=False,
                widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            )
        return forms.CharField(
            label=label,
            required=False,
            max_length=500,
            widget=forms.TextInput(attrs={"autocomplete": "off"}),
        )

    def question_fields(self) -> list[tuple[Question, forms.BoundField]]:
        return [(q, self[f"q{q.pk}"]) for q in self.questions]

    def raw_answers(self) -> dict[int, Any]:
        return {q.pk: self.cleaned_data.get(f"q{q.pk}") for q in self.questions}


class MeetingForm(forms.ModelForm[CommitteeMeeting]):
    class Meta:
        model = CommitteeMeeting
        fields = ("held_on", "place", "participants", "agenda", "minutes")
        widgets = {
            "held_on": DATE,
            "agenda": forms.Textarea(attrs={"rows": 4}),
            "minutes": forms.Textarea(attrs={"rows": 8}),
        }


class DecisionForm(forms.Form):
    text = forms.CharField(label="Décision prise", max_length=300)


class DecisionStatusForm(forms.Form):
    status = forms.ChoiceField(label="Suivi", choices=DecisionStatus.choices)
    note = forms.CharField(label="Où en est-on", max_length=300, required=False)


class RequestForm(forms.Form):
    raised_on = forms.DateField(label="Reçue le", widget=DATE, initial=timezone.localdate)
    summary = forms.CharField(label="Idée ou demande", max_length=300)
    details = forms.CharField(
        label="Détails", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    meeting = forms.ModelChoiceField(
        label="Soulevée lors du comité du",
        queryset=CommitteeMeeting.objects.order_by("-held_on"),
        required=False,
        empty_label="— hors comité (boîte à idées, accueil…)",
    )


class RequestActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("etudier", "Mettre à l'étude"), ("realiser", "Réalisée"), ("refuser", "Refuser")]
    )
    reason = forms.CharField(label="Motif du refus", max_length=300, required=False)
