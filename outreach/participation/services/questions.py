"""Questions of a survey and their proposed answers: add, edit, delete, move. Only while the
survey is in preparation (answers must keep their meaning); direction and mediation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Max

from centre import audit
from centre.models import User
from outreach.participation import perms
from outreach.participation.errors import check_role, fail_if
from outreach.participation.models import Choice, Question, QuestionKind, Survey

QUESTION_FIELDS = ("position", "kind", "text", "translations", "required", "min_value", "max_value")


@dataclass(frozen=True)
class QuestionInput:
    kind: str
    text: str
    required: bool = False
    min_value: int | None = None
    max_value: int | None = None
    choices: Sequence[str] = ()
    # {language: question text} and {language: [choice labels, in the order of `choices`]}
    translations: Mapping[str, str] | None = None
    choice_translations: Mapping[str, Sequence[str]] | None = None


def _check_question(survey: Survey, data: QuestionInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.kind not in QuestionKind.values:
        errors["kind"] = "Type de question inconnu."
    if not data.text.strip():
        errors["text"] = "Écrivez la question."
    labels = [c.strip() for c in data.choices if c.strip()]
    if data.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        if len(labels) < 2:
            errors["choices"] = "Proposez au moins deux réponses (une par ligne)."
        elif len(set(labels)) != len(labels):
            errors["choices"] = "Deux réponses proposées sont identiques."
        for lang, translated in (data.choice_translations or {}).items():
            items = [t for t in translated if t.strip()]
            if items and len(items) != len(labels):
                errors[f"choices_{lang}"] = (
                    "Traduisez chaque réponse proposée, une par ligne, dans le même ordre."
                )
    if data.kind == QuestionKind.SCALE:
        if data.min_value is None or data.max_value is None:
            errors["max_value"] = "Une échelle a un minimum et un maximum (par exemple 1 et 5)."
        elif data.max_value - data.min_value > 10:
            errors["max_value"] = "Une échelle compte au plus 11 graduations."
    if (
        data.min_value is not None
        and data.max_value is not None
        and data.max_value <= data.min_value
    ):
        errors["max_value"] = "Le maximum doit être supérieur au minimum."
    for lang in data.translations or {}:
        if lang not in survey.languages:
            errors[f"text_{lang}"] = "Cette langue n'est pas proposée pour l'enquête."
    if not survey.is_editable:
        errors[""] = (
            "Les questions ne se modifient plus une fois la saisie ouverte : les réponses "
            "déjà saisies perdraient leur sens."
        )
    return errors


def _write_choices(question: Question, data: QuestionInput) -> None:
    question.choices.all().delete()
    if question.kind not in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        return
    labels = [c.strip() for c in data.choices if c.strip()]
    translated = {
        lang: [t.strip() for t in items if t.strip()]
        for lang, items in (data.choice_translations or {}).items()
    }
    Choice.objects.bulk_create(
        Choice(
            question=question,
            position=index,
            label=label,
            translations={lang: items[index - 1] for lang, items in translated.items() if items},
        )
        for index, label in enumerate(labels, start=1)
    )


def _numeric_bounds(data: QuestionInput) -> tuple[int | None, int | None]:
    if data.kind in (QuestionKind.SCALE, QuestionKind.NUMBER):
        return data.min_value, data.max_value
    return None, None


def question_add(*, by: User, survey: Survey, data: QuestionInput) -> Question:
    check_role(by, perms.BUILD)
    with transaction.atomic():
        survey = Survey.objects.select_for_update().get(pk=survey.pk)
        fail_if(_check_question(survey, data))
        last = survey.questions.aggregate(m=Max("position"))["m"] or 0
        low, high = _numeric_bounds(data)
        question = Question.objects.create(
            survey=survey,
            position=last + 1,
            kind=data.kind,
            text=data.text.strip(),
            translations={k: v.strip() for k, v in (data.translations or {}).items() if v.strip()},
            required=data.required,
            min_value=low,
            max_value=high,
        )
        _write_choices(question, data)
        audit.record(
            actor=by,
            action="participation.question.create",
            obj=question,
            changes={
                **audit.snapshot(question, QUESTION_FIELDS),
                "choices": list(question.choices.values_list("label", flat=True)),
            },
        )
    return question


def question_update(*, by: User, question: Question, data: QuestionInput) -> Question:
    check_role(by, perms.BUILD)
    with transaction.atomic():
        survey = Survey.objects.select_for_update().get(pk=question.survey_id)
        question = Question.objects.get(pk=question.pk)
        fail_if(_check_question(survey, data))
        before = {
            **audit.snapshot(question, QUESTION_FIELDS),
            "choices": list(question.choices.values_list("label", flat=True)),
        }
        low, high = _numeric_bounds(data)
        question.kind = data.kind
        question.text = data.text.strip()
        question.translations = {
            k: v.strip() for k, v in (data.translations or {}).items() if v.strip()
        }
        question.required = data.required
        question.min_value, question.max_value = low, high
        question.save()
        _write_choices(question, data)
        after = {
            **audit.snapshot(question, QUESTION_FIELDS),
            "choices": list(question.choices.values_list("label", flat=True)),
        }
        audit.record(
            actor=by,
            action="participation.question.update",
            obj=question,
            changes=audit.diff(before, after),
        )
    return question


def question_delete(*, by: User, question: Question) -> None:
    check_role(by, perms.BUILD)
    with transaction.atomic():
        survey = Survey.objects.select_for_update().get(pk=question.survey_id)
        fail_if(
            {}
            if survey.is_editable
            else {"": "Les questions ne se suppriment plus une fois la saisie ouverte."}
        )
        audit.record(
            actor=by,
            action="participation.question.delete",
            obj=question,
            changes=audit.snapshot(question, QUESTION_FIELDS),
        )
        position = question.position
        question.delete()
        # Positions stay 1..n (the unique constraint is deferred to the end of the transaction).
        survey.questions.filter(position__gt=position).update(position=F("position") - 1)


def question_move(*, by: User, question: Question, up: bool) -> None:
    check_role(by, perms.BUILD)
    with transaction.atomic():
        survey = Survey.objects.select_for_update().get(pk=question.survey_id)
        fail_if(
            {}
            if survey.is_editable
            else {"": "L'ordre des questions ne change plus une fois la saisie ouverte."}
        )
        question = Question.objects.get(pk=question.pk)
        target = question.position - 1 if up else question.position + 1
        other = survey.questions.filter(position=target).first()
        if other is None:
            return
        other.position, question.position = question.position, target
        other.save(update_fields=["position"])
        question.save(update_fields=["position"])
        audit.record(
            actor=by,
            action="participation.question.move",
            obj=question,
            changes={"position": [other.position, question.position]},
        )
