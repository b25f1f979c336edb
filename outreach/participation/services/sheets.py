"""Answer sheets: one person's questionnaire, typed in from paper by an account (collecte,
mediation, direction) or sent through the survey's public link (no account). All its answers
are saved, or nothing (one transaction per sheet); French messages per question."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from centre import audit
from centre.models import User
from centre.refusals import NotFound
from outreach.participation import perms
from outreach.participation.errors import ParticipationError, check_role, fail_if
from outreach.participation.models import (
    Answer,
    AnswerSheet,
    Choice,
    Question,
    QuestionKind,
    SheetChannel,
    Survey,
)

TEXT_MAX = 500

RawAnswers = Mapping[int, Any]  # question id -> a choice id, a list of ids, a number or a text


@dataclass(frozen=True)
class CleanAnswer:
    question: Question
    choices: tuple[Choice, ...] = ()
    number: int | None = None
    text: str = ""


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [v for v in value if v not in (None, "")]
    return [value]


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def clean_answers(
    questions: Sequence[Question], raw: RawAnswers
) -> tuple[list[CleanAnswer], dict[str, str]]:
    """Checks one answer sheet against its questions (with their choices prefetched).
    Error keys are `q<question id>`; messages in French."""
    clean: list[CleanAnswer] = []
    errors: dict[str, str] = {}
    known = {q.pk for q in questions}
    for qid in raw:
        if qid not in known:
            errors[""] = "Une réponse porte sur une question qui n'est pas dans ce questionnaire."
    for question in questions:
        key = f"q{question.pk}"
        values = _as_list(raw.get(question.pk))
        if not values:
            if question.required:
                errors[key] = "Cette question est obligatoire."
            continue
        if question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            by_id = {c.pk: c for c in question.choices.all()}
            ids = [_as_int(v) for v in values]
            if any(i is None or i not in by_id for i in ids):
                errors[key] = "Réponse inconnue pour cette question."
                continue
            if question.kind == QuestionKind.SINGLE and len(ids) > 1:
                errors[key] = "Une seule réponse est possible à cette question."
                continue
            chosen = tuple(by_id[i] for i in dict.fromkeys(ids) if i is not None)
            clean.append(CleanAnswer(question, choices=chosen))
        elif question.kind in (QuestionKind.SCALE, QuestionKind.NUMBER):
            if len(values) > 1:
                errors[key] = "Une seule valeur est attendue."
                continue
            number = _as_int(values[0])
            if number is None:
                errors[key] = "Indiquez un nombre entier."
                continue
            low, high = question.min_value, question.max_value
            if (low is not None and number < low) or (high is not None and number > high):
                if question.kind == QuestionKind.SCALE:
                    errors[key] = f"La note doit être comprise entre {low} et {high}."
                elif low is not None and high is not None:
                    errors[key] = f"Le nombre doit être compris entre {low} et {high}."
                elif low is not None:
                    errors[key] = f"Le nombre doit être au moins {low}."
                else:
                    errors[key] = f"Le nombre doit être au plus {high}."
                continue
            clean.append(CleanAnswer(question, number=number))
        else:
            text = " ".join(str(values[0]).split())
            if len(text) > TEXT_MAX:
                errors[key] = f"La réponse dépasse {TEXT_MAX} caractères."
                continue
            if text:
                clean.append(CleanAnswer(question, text=text))
            elif question.required:
                errors[key] = "Cette question est obligatoire."
    return clean, errors


def sheet_submit(
    *,
    by: User | None,
    survey: Survey,
    channel: str,
    answers: RawAnswers,
    language: str = "fr",
    wants_contact: bool = False,
    contact_name: str = "",
    contact: str = "",
) -> AnswerSheet:
    """Saves one answer sheet and all its answers, or nothing. `by` is None only for a sheet
    sent through the survey's public link (an inhabitant without an account)."""
    if channel not in SheetChannel.values:
        raise ParticipationError({"": "Canal de saisie inconnu."})
    if channel == SheetChannel.PAPER and by is None:
        raise ParticipationError({"": "Un questionnaire papier est saisi par un compte."})
    if by is not None:
        check_role(by, perms.ENTRY)
    elif not survey.public_token:
        raise NotFound("Cette enquête n'a pas de lien public.")
    errors: dict[str, str] = {}
    contact_name, contact = contact_name.strip(), contact.strip()
    if wants_contact and not (contact_name or contact):
        errors["contact"] = "Indiquez comment recontacter la personne (téléphone ou e-mail)."
    if not wants_contact:
        # Anonymous unless the person chose otherwise: nothing that identifies is kept.
        contact_name = contact = ""
    if language != "fr" and language not in survey.languages:
        language = "fr"
    with transaction.atomic():
        # No lock: questions cannot change while the survey is open, and a sheet finished
        # during the instant the survey is closed is still a genuine answer.
        locked = Survey.objects.get(pk=survey.pk)
        if not locked.is_open:
            raise ParticipationError({"": "Cette enquête n'est pas ouverte à la saisie."})
        questions = list(locked.questions.prefetch_related("choices").order_by("position"))
        clean, answer_errors = clean_answers(questions, answers)
        errors.update(answer_errors)
        fail_if(errors)
        sheet = AnswerSheet.objects.create(
            survey=locked,
            channel=channel,
            language=language,
            entered_by=by,
            wants_contact=wants_contact,
            contact_name=contact_name,
            contact=contact,
        )
        rows: list[Answer] = []
        for item in clean:
            if item.choices:
                rows += [
                    Answer(sheet=sheet, question=item.question, choice=c) for c in item.choices
                ]
            else:
                rows.append(
                    Answer(sheet=sheet, question=item.question, number=item.number, text=item.text)
                )
        Answer.objects.bulk_create(rows)
        audit.record(
            actor=by,
            action="participation.sheet.create",
            obj=sheet,
            # No answer content nor contact in the journal: counts only.
            extra={"channel": channel, "answers": len(rows), "survey": locked.pk},
        )
    return sheet
