"""The participation indicators reach the report registry (annual report, participatory
programme), and the demo seed (200 questionnaires, two meetings) is idempotent."""

from __future__ import annotations

import datetime
import random

import pytest

from centre import demo as centre_demo
from centre.models import User
from centre.reports.indicators import Period, registry
from centre.reports.templates import TEMPLATES
from outreach.participation import demo
from outreach.participation.models import (
    AnswerSheet,
    CommitteeMeeting,
    RequestStatus,
    SheetChannel,
    Survey,
    UserRequest,
)
from outreach.participation.services import sheets
from tests.outreach.participation.factories import MeetingFactory, RequestFactory, kinds_survey

pytestmark = pytest.mark.django_db
KEYS = (
    "outreach.participation_surveys",
    "outreach.participation_answer_sheets",
    "outreach.participation_committee_meetings",
    "outreach.participation_user_requests",
)


def test_indicators_are_registered_and_in_the_annual_report() -> None:
    known = registry()
    assert all(known[k].app == "outreach" for k in KEYS)
    assert set(KEYS) <= set(TEMPLATES["annual_centre"].available())
    assert set(KEYS) <= set(TEMPLATES["participatory_programme"].available())


def test_indicator_values(staff: dict[str, User]) -> None:
    kinds = kinds_survey(public=True)  # half the sheets come through the public link
    for channel, by in ((SheetChannel.PAPER, staff["collecte"]), (SheetChannel.ONLINE, None)):
        sheets.sheet_submit(
            by=by, survey=kinds.survey, channel=channel, answers=kinds.paper("Autre", [], 3)
        )
    today = datetime.date.today()
    MeetingFactory(held_on=today, participants=12)
    MeetingFactory(held_on=today, participants=8)
    MeetingFactory(held_on=today - datetime.timedelta(days=400))
    RequestFactory()
    RequestFactory(status=RequestStatus.DECLINED, decline_reason="Pas de budget")
    period = Period(today - datetime.timedelta(days=30), today + datetime.timedelta(days=1))
    results = {k: registry()[k].run(period, None) for k in KEYS}
    assert results[KEYS[0]].value == 1
    assert (results[KEYS[1]].value, results[KEYS[1]].breakdown) == (
        2,
        {"Questionnaire papier saisi": 1, "En ligne (lien public)": 1},
    )
    assert (results[KEYS[2]].value, results[KEYS[2]].breakdown) == (2, {"participations": 20})
    assert results[KEYS[3]].value == 2
    assert results[KEYS[3]].breakdown["Refusée"] == 1


def test_demo_is_idempotent() -> None:
    org = centre_demo.seed_organisation()
    first = demo.seed(org, random.Random(2026))
    assert AnswerSheet.objects.count() == demo.SHEETS == 200
    assert Survey.objects.get().questions.count() == 7
    assert CommitteeMeeting.objects.count() == 2
    assert UserRequest.objects.filter(status=RequestStatus.DECLINED).exclude(decline_reason="")
    assert org.users[f"collecte@{centre_demo.DEMO_DOMAIN}"].roles == {"collecte"}
    assert demo.seed(org, random.Random(2026)) == first
    assert AnswerSheet.objects.count() == 200
