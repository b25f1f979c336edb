"""Questionnaires: each question kind, answers on paper and online, refused answers with
French messages and nothing half-saved, transitions, audit; the users' committee."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError

from centre.models import AuditEntry, User
from centre.refusals import Forbidden, NotFound
from outreach.participation.errors import ParticipationError
from outreach.participation.models import (
    Answer,
    AnswerSheet,
    CommitteeDecision,
    DecisionStatus,
    QuestionKind,
    RequestStatus,
    SheetChannel,
    SurveyStatus,
    UserRequest,
)
from outreach.participation.services import meetings, questions, sheets, surveys, user_requests
from outreach.participation.services.questions import QuestionInput
from tests.outreach.participation.factories import (
    MeetingFactory,
    RequestFactory,
    SurveyFactory,
    kinds_survey,
)

pytestmark = pytest.mark.django_db


def test_builder_adds_each_kind_with_translations_and_orders_them(staff: dict[str, User]) -> None:
    mediator = staff["mediation"]
    survey = surveys.survey_create(by=mediator, title="Diagnostic", languages=["en", "ar"])
    single = questions.question_add(
        by=mediator,
        survey=survey,
        data=QuestionInput(
            kind=QuestionKind.SINGLE,
            text="Quartier ?",
            required=True,
            choices=["Trois-Cités", "Couronneries", ""],
            translations={"en": "Neighbourhood?", "ar": ""},
            choice_translations={"en": ["Trois-Cités", "Couronneries"], "ar": []},
        ),
    )
    questions.question_add(
        by=mediator,
        survey=survey,
        data=QuestionInput(kind=QuestionKind.MULTIPLE, text="Freins ?", choices=["A", "B", "C"]),
    )
    scale = questions.question_add(
        by=mediator,
        survey=survey,
        data=QuestionInput(kind=QuestionKind.SCALE, text="Note ?", min_value=1, max_value=5),
    )
    number = questions.question_add(
        by=mediator,
        survey=survey,
        data=QuestionInput(kind=QuestionKind.NUMBER, text="Combien ?", min_value=0),
    )
    text = questions.question_add(
        by=mediator,
        survey=survey,
        data=QuestionInput(kind=QuestionKind.TEXT, text="Idées ?", min_value=3, max_value=9),
    )
    assert [q.kind for q in survey.questions.order_by("position")] == list(QuestionKind.values)
    assert single.translations == {"en": "Neighbourhood?"}
    assert [c.label for c in single.choices.all()] == ["Trois-Cités", "Couronneries"]
    assert single.choices.get(position=2).translations == {"en": "Couronneries"}
    assert (scale.min_value, scale.max_value) == (1, 5)
    assert (number.min_value, number.max_value) == (0, None)
    assert (text.min_value, text.max_value) == (None, None)  # bounds only for numbers

    questions.question_move(by=mediator, question=text, up=True)
    questions.question_move(by=mediator, question=text, up=True)
    order = list(survey.questions.order_by("position").values_list("kind", flat=True))
    assert order == ["choix_unique", "choix_multiple", "texte", "echelle", "nombre"]
    questions.question_delete(by=mediator, question=scale)
    assert list(survey.questions.order_by("position").values_list("position", flat=True)) == [
        1,
        2,
        3,
        4,
    ]
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "participation.survey.create",
        "participation.question.create",
        "participation.question.move",
        "participation.question.delete",
    } <= actions


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (QuestionInput(kind="autre", text="?"), "kind", "Type de question inconnu."),
        (QuestionInput(kind=QuestionKind.SINGLE, text=" "), "text", "Écrivez la question."),
        (
            QuestionInput(kind=QuestionKind.SINGLE, text="?", choices=["Oui"]),
            "choices",
            "Proposez au moins deux réponses (une par ligne).",
        ),
        (
            QuestionInput(kind=QuestionKind.SCALE, text="?", min_value=5, max_value=1),
            "max_value",
            "Le maximum doit être supérieur au minimum.",
        ),
        (
            QuestionInput(kind=QuestionKind.SCALE, text="?"),
            "max_value",
            "Une échelle a un minimum et un maximum (par exemple 1 et 5).",
        ),
    ],
)
def test_bad_questions_are_refused_in_french(
    staff: dict[str, User], data: QuestionInput, field: str, message: str
) -> None:
    survey = SurveyFactory()
    with pytest.raises(ParticipationError) as error:
        questions.question_add(by=staff["direction"], survey=survey, data=data)
    assert message in error.value.errors[field]
    assert not survey.questions.exists()


def test_questions_are_frozen_once_entry_is_open(staff: dict[str, User]) -> None:
    kinds = kinds_survey(open=False)
    director = staff["direction"]
    surveys.survey_open(by=director, survey=kinds.survey)
    kinds.survey.refresh_from_db()
    assert kinds.survey.status == SurveyStatus.OPEN
    with pytest.raises(ParticipationError, match="ne se modifient plus"):
        questions.question_add(
            by=director, survey=kinds.survey, data=QuestionInput(kind="texte", text="Autre ?")
        )
    with pytest.raises(ParticipationError, match="déjà ouverte"):
        surveys.survey_open(by=director, survey=kinds.survey)
    surveys.survey_close(by=director, survey=kinds.survey)
    with pytest.raises(ParticipationError, match="Seule une enquête ouverte"):
        surveys.survey_close(by=director, survey=kinds.survey)


def test_an_empty_survey_cannot_open(staff: dict[str, User]) -> None:
    with pytest.raises(ParticipationError, match="au moins une question"):
        surveys.survey_open(by=staff["direction"], survey=SurveyFactory())


def test_paper_sheet_stores_each_kind_and_is_audited_without_content(
    staff: dict[str, User],
) -> None:
    kinds = kinds_survey()
    sheet = sheets.sheet_submit(
        by=staff["collecte"],
        survey=kinds.survey,
        channel=SheetChannel.PAPER,
        answers=kinds.paper("Couronneries", ["Coût", "Langue"], 4, 3, "  Un   dentiste "),
    )
    rows = {
        (a.question.kind, a.choice.label if a.choice else None, a.number, a.text)
        for a in sheet.answers.select_related("question", "choice")
    }
    assert rows == {
        ("choix_unique", "Couronneries", None, ""),
        ("choix_multiple", "Coût", None, ""),
        ("choix_multiple", "Langue", None, ""),
        ("echelle", None, 4, ""),
        ("nombre", None, 3, ""),
        ("texte", None, None, "Un dentiste"),
    }
    assert sheet.entered_by == staff["collecte"]
    assert (sheet.wants_contact, sheet.contact_name, sheet.contact) == (False, "", "")
    entry = AuditEntry.objects.get(action="participation.sheet.create")
    assert entry.actor == staff["collecte"]
    assert entry.extra == {"channel": "papier", "answers": 6, "survey": kinds.survey.pk}
    assert "dentiste" not in str(entry.changes) + str(entry.extra)


def test_online_sheet_has_no_account_and_keeps_contact_only_when_chosen() -> None:
    kinds = kinds_survey(public=True)
    anonymous = sheets.sheet_submit(
        by=None,
        survey=kinds.survey,
        channel=SheetChannel.ONLINE,
        language="en",
        answers=kinds.paper("Autre", [], 2),
        contact_name="Awa",  # given but not chosen: not kept
        contact="06 00 00 00 00",
    )
    assert (anonymous.contact_name, anonymous.contact, anonymous.language) == ("", "", "en")
    named = sheets.sheet_submit(
        by=None,
        survey=kinds.survey,
        channel=SheetChannel.ONLINE,
        answers=kinds.paper("Autre", [], 2),
        wants_contact=True,
        contact="awa@example.org",
    )
    assert (named.wants_contact, named.contact, named.entered_by) == (True, "awa@example.org", None)
    with pytest.raises(ParticipationError) as error:
        sheets.sheet_submit(
            by=None,
            survey=kinds.survey,
            channel=SheetChannel.ONLINE,
            answers=kinds.paper("Autre", [], 2),
            wants_contact=True,
        )
    assert error.value.errors["contact"] == [
        "Indiquez comment recontacter la personne (téléphone ou e-mail)."
    ]


def test_bad_answers_are_refused_in_french_and_nothing_is_saved(staff: dict[str, User]) -> None:
    kinds = kinds_survey()
    other = kinds_survey()
    raw = kinds.paper("Trois-Cités", ["Délais"], 9, 99, "x" * 501)
    raw[kinds.neighbourhood.pk] = ""  # required, missing
    raw[kinds.barriers.pk] = [other.barriers.choices.first().pk]  # a choice of another survey
    with pytest.raises(ParticipationError) as error:
        sheets.sheet_submit(
            by=staff["collecte"], survey=kinds.survey, channel=SheetChannel.PAPER, answers=raw
        )
    assert error.value.errors == {
        f"q{kinds.neighbourhood.pk}": ["Cette question est obligatoire."],
        f"q{kinds.barriers.pk}": ["Réponse inconnue pour cette question."],
        f"q{kinds.satisfaction.pk}": ["La note doit être comprise entre 1 et 5."],
        f"q{kinds.visits.pk}": ["Le nombre doit être compris entre 0 et 60."],
        f"q{kinds.wish.pk}": ["La réponse dépasse 500 caractères."],
    }
    assert not AnswerSheet.objects.exists() and not Answer.objects.exists()
    assert not AuditEntry.objects.filter(action="participation.sheet.create").exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("beaucoup", "Indiquez un nombre entier."),
        ([1, 2], "Une seule valeur est attendue."),
        (0, "La note doit être comprise entre 1 et 5."),
    ],
)
def test_scale_answers_are_checked(staff: dict[str, User], value: object, message: str) -> None:
    kinds = kinds_survey()
    raw = kinds.paper("Autre", [], 3)
    raw[kinds.satisfaction.pk] = value
    with pytest.raises(ParticipationError) as error:
        sheets.sheet_submit(
            by=staff["mediation"], survey=kinds.survey, channel=SheetChannel.PAPER, answers=raw
        )
    assert error.value.errors == {f"q{kinds.satisfaction.pk}": [message]}


def test_single_choice_takes_one_answer_and_closed_surveys_take_none(
    staff: dict[str, User],
) -> None:
    kinds = kinds_survey()
    raw = kinds.paper("Autre", [], 3)
    raw[kinds.neighbourhood.pk] = [c.pk for c in kinds.neighbourhood.choices.all()[:2]]
    with pytest.raises(ParticipationError) as error:
        sheets.sheet_submit(
            by=staff["mediation"], survey=kinds.survey, channel=SheetChannel.PAPER, answers=raw
        )
    assert error.value.errors == {
        f"q{kinds.neighbourhood.pk}": ["Une seule réponse est possible à cette question."]
    }
    surveys.survey_close(by=staff["direction"], survey=kinds.survey)
    with pytest.raises(ParticipationError, match="n'est pas ouverte à la saisie"):
        sheets.sheet_submit(
            by=staff["mediation"],
            survey=kinds.survey,
            channel=SheetChannel.PAPER,
            answers=kinds.paper("Autre", [], 3),
        )


def test_paper_needs_an_account(staff: dict[str, User]) -> None:
    kinds = kinds_survey()
    with pytest.raises(ParticipationError, match="saisi par un compte"):
        sheets.sheet_submit(by=None, survey=kinds.survey, channel=SheetChannel.PAPER, answers={})


def test_an_online_sheet_needs_the_public_link(staff: dict[str, User]) -> None:
    kinds = kinds_survey(public=False)
    with pytest.raises(NotFound, match="pas de lien public"):
        sheets.sheet_submit(
            by=None,
            survey=kinds.survey,
            channel=SheetChannel.ONLINE,
            answers=kinds.paper("Autre", [], 3),
        )
    assert not AnswerSheet.objects.exists()


def test_the_services_check_the_role_whatever_the_door(staff: dict[str, User]) -> None:
    """Pages and API check roles first; the services check them again, so that a task, a
    command or a new door cannot skip them. Nothing is written nor journaled."""
    kinds = kinds_survey()
    with pytest.raises(Forbidden):
        surveys.survey_create(by=staff["accueil"], title="Enquête")
    with pytest.raises(Forbidden):
        surveys.survey_close(by=staff["collecte"], survey=kinds.survey)
    with pytest.raises(Forbidden):
        questions.question_delete(by=staff["soignant"], question=kinds.satisfaction)
    with pytest.raises(Forbidden):
        sheets.sheet_submit(
            by=staff["facturation"],
            survey=kinds.survey,
            channel=SheetChannel.PAPER,
            answers=kinds.paper("Autre", [], 3),
        )
    with pytest.raises(Forbidden):
        meetings.meeting_create(
            by=staff["collecte"], held_on=datetime.date(2026, 3, 12), place="Salle"
        )
    with pytest.raises(Forbidden):
        user_requests.request_create(
            by=staff["accueil"], raised_on=datetime.date(2026, 3, 12), summary="Une idée"
        )
    assert not AnswerSheet.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="participation.").exists()


def test_database_refuses_contact_details_without_consent() -> None:
    kinds = kinds_survey()
    with pytest.raises(IntegrityError):
        AnswerSheet.objects.create(
            survey=kinds.survey, channel=SheetChannel.ONLINE, contact="06 00 00 00 00"
        )


# --- Users' committee -------------------------------------------------------------------------


def test_meeting_decisions_and_their_follow_up(staff: dict[str, User]) -> None:
    director = staff["direction"]
    meeting = meetings.meeting_create(
        by=director,
        held_on=datetime.date(2026, 3, 12),
        place="Maison de quartier",
        participants=14,
        agenda="Horaires",
    )
    decision = meetings.decision_add(by=director, meeting=meeting, text="Plage sans RDV")
    meetings.decision_move(
        by=director, decision=decision, status=DecisionStatus.IN_PROGRESS, note="Essai en mai"
    )
    meetings.decision_move(by=director, decision=decision, status=DecisionStatus.DONE)
    decision.refresh_from_db()
    assert (decision.status, decision.follow_up) == (DecisionStatus.DONE, "Essai en mai")
    with pytest.raises(ParticipationError, match="Impossible de passer la décision"):
        meetings.decision_move(by=director, decision=decision, status=DecisionStatus.TODO)
    with pytest.raises(ParticipationError) as error:
        meetings.meeting_create(by=director, held_on=datetime.date(2026, 3, 12), place=" ")
    assert error.value.errors == {"place": ["Indiquez le lieu de la réunion."]}
    meetings.meeting_update(
        by=director,
        meeting=meeting,
        held_on=meeting.held_on,
        place=meeting.place,
        participants=15,
        agenda=meeting.agenda,
        minutes="Compte rendu",
    )
    assert AuditEntry.objects.filter(action__startswith="participation.").count() == 5
    assert CommitteeDecision.objects.get().meeting.minutes == "Compte rendu"


def test_requests_move_and_a_refusal_needs_its_reason(staff: dict[str, User]) -> None:
    director = staff["mediation"]
    request = user_requests.request_create(
        by=director,
        raised_on=datetime.date(2026, 3, 12),
        summary="Un atelier cuisine",
        meeting=MeetingFactory(),
    )
    assert request.status == RequestStatus.RECEIVED
    user_requests.request_move(by=director, request=request, action="etudier")
    with pytest.raises(ParticipationError) as error:
        user_requests.request_move(by=director, request=request, action="refuser", reason="  ")
    assert error.value.errors == {
        "reason": ["Indiquez le motif du refus : il sera dit aux usager·e·s."]
    }
    request.refresh_from_db()
    assert request.status == RequestStatus.STUDIED
    user_requests.request_move(
        by=director, request=request, action="refuser", reason="Pas de salle"
    )
    request.refresh_from_db()
    assert (request.status, request.decline_reason) == (RequestStatus.DECLINED, "Pas de salle")
    with pytest.raises(ParticipationError, match="la demande est « Refusée »"):
        user_requests.request_move(by=director, request=request, action="realiser")
    done = RequestFactory()
    user_requests.request_move(by=director, request=done, action="realiser")
    assert list(UserRequest.objects.open()) == []


def test_database_refuses_a_declined_request_without_reason() -> None:
    with pytest.raises(IntegrityError):
        RequestFactory(status=RequestStatus.DECLINED)
