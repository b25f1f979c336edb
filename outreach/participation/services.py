"""Every write of participation data: one function per operation, keyword-only arguments, the
acting user explicit (None only for an answer sheet sent through a public link), one
transaction, one audit entry in it.

Bad input raises `ParticipationError` with French messages per field ("" = the whole form);
nothing is saved when it is raised (one transaction per answer sheet).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from centre import audit
from centre.models import User
from centre.refusals import Refusal
from outreach.models import TransitionError
from outreach.participation.models import (
    LANGUAGE_LABELS,
    Answer,
    AnswerSheet,
    Choice,
    CommitteeDecision,
    CommitteeMeeting,
    Question,
    QuestionKind,
    SheetChannel,
    Survey,
    UserRequest,
    new_public_token,
)

TEXT_MAX = 500
SURVEY_FIELDS = ("title", "introduction", "languages", "status", "public_token")
QUESTION_FIELDS = ("position", "kind", "text", "translations", "required", "min_value", "max_value")


class ParticipationError(Refusal):
    """Refused input: a message, or `{field: messages}` ("" for the whole form)."""


def _fail_if(errors: Mapping[str, str | list[str]]) -> None:
    if errors:
        raise ParticipationError(errors)


def _transition(fn: Any, **kwargs: Any) -> None:
    try:
        fn(**kwargs)
    except TransitionError as error:
        raise ParticipationError({"": str(error)}) from error


# --- Surveys ----------------------------------------------------------------------------------


def _clean_languages(languages: Iterable[str]) -> list[str]:
    unknown = [lang for lang in languages if lang not in LANGUAGE_LABELS]
    _fail_if({"languages": "Langue inconnue."} if unknown else {})
    return sorted(set(languages))


def survey_create(
    *,
    by: User,
    title: str,
    introduction: str = "",
    languages: Iterable[str] = (),
    public_link: bool = False,
) -> Survey:
    title = title.strip()
    _fail_if({} if title else {"title": "Donnez un titre à l'enquête."})
    with transaction.atomic():
        survey = Survey.objects.create(
            title=title,
            introduction=introduction.strip(),
            languages=_clean_languages(languages),
            public_token=new_public_token() if public_link else None,
            created_by=by,
        )
        audit.record(
            actor=by,
            action="participation.survey.create",
            obj=survey,
            changes=audit.snapshot(survey, SURVEY_FIELDS),
        )
    return survey


def survey_update(
    *,
    by: User,
    survey: Survey,
    title: str,
    introduction: str,
    languages: Iterable[str],
    public_link: bool,
) -> Survey:
    title = title.strip()
    _fail_if({} if title else {"title": "Donnez un titre à l'enquête."})
    with transaction.atomic():
        survey = Survey.objects.select_for_update().get(pk=survey.pk)
        before = audit.snapshot(survey, SURVEY_FIELDS)
        survey.title = title
        survey.introduction = introduction.strip()
        survey.languages = _clean_languages(languages)
        if public_link and not survey.public_token:
            survey.public_token = new_public_token()
        elif not public_link:
            survey.public_token = None
        survey.save()
        audit.record(
            actor=by,
            action="participation.survey.update",
            obj=survey,
            changes=audit.diff(before, audit.snapshot(survey, SURVEY_FIELDS)),
        )
    return survey


def _survey_transition(*, by: User, survey: Survey, name: str) -> Survey:
    """Open or close a survey (`name` is the model transition), audited in its transaction."""
    with transaction.atomic():
        survey = Survey.objects.select_for_update().get(pk=survey.pk)
        before = audit.snapshot(survey, SURVEY_FIELDS)
        _transition(getattr(survey, name), at=timezone.now())
        survey.save()
        audit.record(
            actor=by,
            action=f"participation.survey.{name}",
            obj=survey,
            changes=audit.diff(before, audit.snapshot(survey, SURVEY_FIELDS)),
        )
    return survey


def survey_open(*, by: User, survey: Survey) -> Survey:
    return _survey_transition(by=by, survey=survey, name="open")


def survey_close(*, by: User, survey: Survey) -> Survey:
    return _survey_transition(by=by, survey=survey, name="close")


# --- Questions --------------------------------------------------------------------------------


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
    with transaction.atomic():
        survey = Survey.objects.select_for_update().get(pk=survey.pk)
        _fail_if(_check_question(survey, data))
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
    with transaction.atomic():
        survey = Survey.objects.select_for_update().get(pk=question.survey_id)
        question = Question.objects.get(pk=question.pk)
        _fail_if(_check_question(survey, data))
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
    with transaction.atomic():
        survey = Survey.objects.select_for_update().get(pk=question.survey_id)
        _fail_if(
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
    with transaction.atomic():
        survey = Survey.objects.select_for_update().get(pk=question.survey_id)
        _fail_if(
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


# --- Answer sheets ----------------------------------------------------------------------------

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
    """Saves one answer sheet and all its answers, or nothing."""
    if channel not in SheetChannel.values:
        raise ParticipationError({"": "Canal de saisie inconnu."})
    if channel == SheetChannel.PAPER and by is None:
        raise ParticipationError({"": "Un questionnaire papier est saisi par un compte."})
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
        _fail_if(errors)
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


# --- Users' committee -------------------------------------------------------------------------

MEETING_FIELDS = ("held_on", "place", "participants", "agenda", "minutes")


def _check_meeting(place: str, participants: int) -> None:
    errors: dict[str, str] = {}
    if not place.strip():
        errors["place"] = "Indiquez le lieu de la réunion."
    if participants < 0:
        errors["participants"] = "Le nombre de participant·e·s ne peut être négatif."
    _fail_if(errors)


def meeting_create(
    *,
    by: User,
    held_on: datetime.date,
    place: str,
    participants: int = 0,
    agenda: str = "",
    minutes: str = "",
) -> CommitteeMeeting:
    _check_meeting(place, participants)
    with transaction.atomic():
        meeting = CommitteeMeeting.objects.create(
            held_on=held_on,
            place=place.strip(),
            participants=participants,
            agenda=agenda.strip(),
            minutes=minutes.strip(),
            created_by=by,
        )
        audit.record(
            actor=by,
            action="participation.meeting.create",
            obj=meeting,
            changes=audit.snapshot(meeting, MEETING_FIELDS),
        )
    return meeting


def meeting_update(
    *,
    by: User,
    meeting: CommitteeMeeting,
    held_on: datetime.date,
    place: str,
    participants: int,
    agenda: str,
    minutes: str,
) -> CommitteeMeeting:
    _check_meeting(place, participants)
    with transaction.atomic():
        meeting = CommitteeMeeting.objects.select_for_update().get(pk=meeting.pk)
        before = audit.snapshot(meeting, MEETING_FIELDS)
        meeting.held_on = held_on
        meeting.place = place.strip()
        meeting.participants = participants
        meeting.agenda = agenda.strip()
        meeting.minutes = minutes.strip()
        meeting.save()
        audit.record(
            actor=by,
            action="participation.meeting.update",
            obj=meeting,
            changes=audit.diff(before, audit.snapshot(meeting, MEETING_FIELDS)),
        )
    return meeting


def decision_add(*, by: User, meeting: CommitteeMeeting, text: str) -> CommitteeDecision:
    _fail_if({} if text.strip() else {"text": "Écrivez la décision."})
    with transaction.atomic():
        decision = CommitteeDecision.objects.create(meeting=meeting, text=text.strip())
        audit.record(
            actor=by,
            action="participation.decision.create",
            obj=decision,
            changes={"text": decision.text, "meeting": meeting.pk},
        )
    return decision


def decision_move(
    *, by: User, decision: CommitteeDecision, status: str, note: str = ""
) -> CommitteeDecision:
    with transaction.atomic():
        decision = CommitteeDecision.objects.select_for_update().get(pk=decision.pk)
        before = audit.snapshot(decision, ("status", "follow_up"))
        _transition(decision.move_to, status=status, note=note.strip(), at=timezone.now())
        decision.save()
        audit.record(
            actor=by,
            action="participation.decision.status",
            obj=decision,
            changes=audit.diff(before, audit.snapshot(decision, ("status", "follow_up"))),
        )
    return decision


def request_create(
    *,
    by: User,
    raised_on: datetime.date,
    summary: str,
    details: str = "",
    meeting: CommitteeMeeting | None = None,
) -> UserRequest:
    _fail_if({} if summary.strip() else {"summary": "Résumez l'idée ou la demande."})
    with transaction.atomic():
        request = UserRequest.objects.create(
            raised_on=raised_on,
            summary=summary.strip(),
            details=details.strip(),
            meeting=meeting,
            created_by=by,
        )
        audit.record(
            actor=by,
            action="participation.request.create",
            obj=request,
            changes=audit.snapshot(request, ("raised_on", "summary", "meeting", "status")),
        )
    return request


REQUEST_ACTIONS = ("etudier", "realiser", "refuser")


def request_move(*, by: User, request: UserRequest, action: str, reason: str = "") -> UserRequest:
    """`action`: « etudier » (put under study), « realiser » (done), « refuser » (declined,
    with the reason that will be told to the users)."""
    with transaction.atomic():
        request = UserRequest.objects.select_for_update().get(pk=request.pk)
        before = audit.snapshot(request, ("status", "decline_reason"))
        now = timezone.now()
        if action == "etudier":
            _transition(request.study, at=now)
        elif action == "realiser":
            _transition(request.complete, at=now)
        elif action == "refuser":
            try:
                request.decline(reason=reason, at=now)
            except TransitionError as error:
                field = "reason" if request.is_open else ""
                raise ParticipationError({field: str(error)}) from error
        else:
            raise ParticipationError({"": "Action inconnue."})
        request.save()
        audit.record(
            actor=by,
            action="participation.request.status",
            obj=request,
            changes=audit.diff(before, audit.snapshot(request, ("status", "decline_reason"))),
        )
    return request
