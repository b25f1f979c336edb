"""Participation pages and API: building a questionnaire, typing paper answers, the public
link (rate limit, languages, anonymity), live results, the committee and the director's block."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from centre.models import User
from outreach.participation.models import (
    AnswerSheet,
    CommitteeMeeting,
    Question,
    RequestStatus,
    SheetChannel,
    Survey,
    SurveyStatus,
    UserRequest,
)
from tests.outreach.participation.factories import MeetingFactory, RequestFactory, kinds_survey

pytestmark = pytest.mark.django_db
ClientFor = Callable[[str | None], Client]


def _post_data(kinds: Any, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        f"q{kinds.neighbourhood.pk}": str(kinds.choice(kinds.neighbourhood, "Autre").pk),
        f"q{kinds.barriers.pk}": [str(kinds.choice(kinds.barriers, "Langue").pk)],
        f"q{kinds.satisfaction.pk}": "3",
        f"q{kinds.visits.pk}": "2",
        f"q{kinds.wish.pk}": "Un interprète",
    }
    data.update(overrides)
    return data


def test_director_builds_a_questionnaire_and_opens_it(client_for: ClientFor) -> None:
    client = client_for("direction")
    response = client.post(
        reverse("participation:survey_new"),
        {"title": "Diagnostic santé", "languages": ["en"], "public_link": "on"},
    )
    survey = Survey.objects.get()
    assert response["Location"] == reverse("participation:survey_detail", args=[survey.pk])
    assert survey.public_token and survey.languages == ["en"]
    client.post(
        reverse("participation:question_new", args=[survey.pk]),
        {
            "kind": "choix_unique",
            "text": "Avez-vous un médecin traitant ?",
            "required": "on",
            "choices": "Oui\nNon\nJe ne sais pas",
            "text_en": "Do you have a GP?",
            "choices_en": "Yes\nNo\nI don't know",
        },
    )
    response = client.post(
        reverse("participation:question_new", args=[survey.pk]),
        {"kind": "echelle", "text": "Satisfaction", "min_value": "1", "max_value": "1"},
    )
    assert response.status_code == 200
    assert "Le maximum doit être supérieur au minimum." in response.content.decode()
    question = Question.objects.get()
    assert question.translations == {"en": "Do you have a GP?"}
    assert [c.translations["en"] for c in question.choices.all()] == [
        "Yes",
        "No",
        "I don't know",
    ]
    edit = client.get(reverse("participation:question_edit", args=[question.pk]))
    assert "Yes\nNo\nI don&#x27;t know" in edit.content.decode()
    pdf = client.get(reverse("participation:survey_pdf", args=[survey.pk]) + "?langue=en")
    assert pdf.content.startswith(b"%PDF")
    client.post(reverse("participation:survey_status", args=[survey.pk]), {"action": "ouvrir"})
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.OPEN
    page = client.get(reverse("participation:survey_detail", args=[survey.pk])).content.decode()
    assert f"/participation/r/{survey.public_token}/" in page
    assert "Ajouter une question" not in page  # frozen once open


def test_volunteer_types_a_paper_questionnaire(
    client_for: ClientFor, staff: dict[str, User]
) -> None:
    kinds = kinds_survey()
    client = client_for("collecte")
    home = client.get("/", follow=True)
    assert home.redirect_chain[-1][0] == reverse("participation:entry_home")
    assert kinds.survey.title in home.content.decode()
    url = reverse("participation:entry_form", args=[kinds.survey.pk])
    response = client.post(url, _post_data(kinds))
    assert response.status_code == 302 and response["Location"] == url
    sheet = AnswerSheet.objects.get()
    assert (sheet.channel, sheet.entered_by) == (SheetChannel.PAPER, staff["collecte"])
    assert sheet.answers.count() == 5
    page = client.get(url).content.decode()
    assert f"Questionnaire n° {sheet.pk} enregistré" in page
    assert (
        "Vous avez saisi 1 questionnaire"
        in client.get(reverse("participation:entry_home")).content.decode()
    )


def test_bad_paper_answers_are_shown_in_french_on_the_form(client_for: ClientFor) -> None:
    kinds = kinds_survey()
    client = client_for("collecte")
    response = client.post(
        reverse("participation:entry_form", args=[kinds.survey.pk]),
        _post_data(
            kinds,
            **{f"q{kinds.satisfaction.pk}": "7", f"q{kinds.neighbourhood.pk}": "", "q999": "1"},
        ),
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "La note doit être comprise entre 1 et 5." in body
    assert "Cette question est obligatoire." in body
    assert 'role="alert"' in body
    assert not AnswerSheet.objects.exists()


def test_a_closed_survey_is_not_offered_for_entry(client_for: ClientFor) -> None:
    kinds = kinds_survey(open=False)
    client = client_for("collecte")
    assert (
        client.get(reverse("participation:entry_form", args=[kinds.survey.pk])).status_code == 404
    )
    assert (
        kinds.survey.title not in client.get(reverse("participation:entry_home")).content.decode()
    )


def test_public_link_in_a_translation_anonymous_and_rate_limited(
    client: Client, settings: Any
) -> None:
    settings.PARTICIPATION_PUBLIC_MAX_PER_HOUR = 2
    kinds = kinds_survey(public=True)
    url = reverse("participation:public_form", args=[kinds.survey.public_token])
    page = client.get(url + "?langue=en").content.decode()
    assert "1. Neighbourhood" in page and "Trois-Cités (en)" in page
    thanks = client.post(url + "?langue=en", _post_data(kinds))
    assert thanks.status_code == 200 and "Merci" in thanks.content.decode()
    sheet = AnswerSheet.objects.get()
    assert (sheet.channel, sheet.entered_by, sheet.language) == (SheetChannel.ONLINE, None, "en")
    refused = client.post(url, _post_data(kinds, **{f"q{kinds.satisfaction.pk}": "0"}))
    assert refused.status_code == 400
    limited = client.post(url, _post_data(kinds))
    assert limited.status_code == 429
    assert "Trop de questionnaires" in limited.content.decode()
    assert AnswerSheet.objects.count() == 1
    # Another address is not limited.
    other = client.post(url, _post_data(kinds), REMOTE_ADDR="10.0.0.2")
    assert other.status_code == 200 and AnswerSheet.objects.count() == 2


def test_public_link_of_a_closed_or_unknown_survey(client: Client) -> None:
    kinds = kinds_survey(public=True, open=False)
    url = reverse("participation:public_form", args=[kinds.survey.public_token])
    assert client.get(url).status_code == 410
    assert client.get(reverse("participation:public_form", args=["inconnu"])).status_code == 404


def test_results_page_refreshes_with_a_pinned_number_of_queries(
    client_for: ClientFor, staff: dict[str, User], django_assert_num_queries: Any
) -> None:
    kinds = kinds_survey()
    client = client_for("mediation")
    client.post(reverse("participation:entry_form", args=[kinds.survey.pk]), _post_data(kinds))
    url = reverse("participation:survey_results", args=[kinds.survey.pk])
    page = client.get(url).content.decode()
    assert 'hx-trigger="every 15s"' in page and "<svg" in page
    panel = reverse("participation:survey_results_panel", args=[kinds.survey.pk])
    query = f"?par={kinds.neighbourhood.pk}"
    # session, user, roles, survey, cross question, the 8 result queries, and the session's
    # idle-timeout stamp (savepoint, update, release).
    with django_assert_num_queries(16):
        client.get(panel + query)
    for _ in range(5):
        client.post(reverse("participation:entry_form", args=[kinds.survey.pk]), _post_data(kinds))
    with django_assert_num_queries(16):
        body = client.get(panel + query).content.decode()
    assert "<strong>6</strong> questionnaires saisis" in body
    assert "Selon « Quartier »" in body


def test_committee_pages_and_the_directors_block(client_for: ClientFor) -> None:
    client = client_for("direction")
    response = client.post(
        reverse("participation:meeting_new"),
        {"held_on": "2099-01-15", "place": "Centre social", "participants": "9", "agenda": "x"},
    )
    meeting = CommitteeMeeting.objects.get()
    assert response["Location"] == reverse("participation:meeting_detail", args=[meeting.pk])
    client.post(reverse("participation:decision_add", args=[meeting.pk]), {"text": "Affiches"})
    decision = meeting.decisions.get()
    client.post(
        reverse("participation:decision_status", args=[decision.pk]),
        {"status": "faite", "note": "Posées"},
    )
    decision.refresh_from_db()
    assert decision.status == "faite"
    client.post(
        reverse("participation:request_new"),
        {"raised_on": "2026-03-01", "summary": "Un dentiste", "meeting": str(meeting.pk)},
    )
    request = UserRequest.objects.get()
    refused = client.post(
        reverse("participation:request_action", args=[request.pk]),
        {"action": "refuser", "reason": ""},
        follow=True,
    )
    assert "Indiquez le motif du refus" in refused.content.decode()
    RequestFactory(summary="Atelier cuisine", status=RequestStatus.STUDIED)
    panel = client.get(reverse("participation:direction_panel")).content.decode()
    assert "jeudi 15 janvier 2099" in panel
    assert "<strong>2</strong> idées ou demandes en attente" in panel
    assert "Un dentiste" in panel and "Atelier cuisine" in panel
    home = client.get(reverse("home_direction")).content.decode()
    assert reverse("participation:direction_panel") in home
    detail = client.get(reverse("participation:meeting_detail", args=[meeting.pk])).content.decode()
    assert "Affiches" in detail and "Posées" in detail and "Un dentiste" in detail


def test_committee_list_query_count_is_pinned(
    client_for: ClientFor, django_assert_num_queries: Any
) -> None:
    client = client_for("mediation")
    MeetingFactory()
    RequestFactory()
    # session, user, roles, meetings, requests, and the session stamp (3).
    with django_assert_num_queries(8):
        client.get(reverse("participation:committee"))
    for _ in range(5):
        RequestFactory(meeting=MeetingFactory())
    with django_assert_num_queries(8):
        client.get(reverse("participation:committee"))


def test_api_entry_and_results(client_for: ClientFor, staff: dict[str, User]) -> None:
    kinds = kinds_survey()
    url = reverse("api:participation-sheets", args=[kinds.survey.pk])
    client = client_for("collecte")
    bad = client.post(
        url,
        {"answers": {str(kinds.satisfaction.pk): 6, str(kinds.neighbourhood.pk): 99999}},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json() == {
        f"q{kinds.neighbourhood.pk}": ["Réponse inconnue pour cette question."],
        f"q{kinds.satisfaction.pk}": ["La note doit être comprise entre 1 et 5."],
    }
    good = client.post(
        url,
        {
            "answers": {
                str(kinds.neighbourhood.pk): kinds.choice(kinds.neighbourhood, "Autre").pk,
                str(kinds.satisfaction.pk): 5,
                str(kinds.barriers.pk): [kinds.choice(kinds.barriers, "Coût").pk],
            }
        },
        content_type="application/json",
    )
    assert good.status_code == 201
    assert AnswerSheet.objects.get().pk == good.json()["id"]
    assert client.get(reverse("api:participation-surveys")).status_code == 403
    data = (
        client_for("direction")
        .get(reverse("api:participation-survey-results", args=[kinds.survey.pk]))
        .json()
    )
    assert data["sheets"] == "< 5" and data["threshold"] == 5
    rows = data["questions"][0]["rows"]
    assert rows[2] == {"label": "Autre", "count": "< 5", "percent": "secret"}
    listing = client_for("mediation").get(reverse("api:participation-surveys")).json()
    assert listing["results"][0]["questions"][0]["choices"][0]["label"] == "Trois-Cités"
