"""Outreach URLs: mediation writes, direction reads, reception only the referral queue (and
booking from it); practitioners and billing see nothing of outreach."""

from __future__ import annotations

from typing import Any

from tests.access import PUBLIC, Access, World, roles
from tests.outreach.factories import (
    CollectiveActionFactory,
    PermanenceFactory,
    PersonFactory,
    PlaceFactory,
    ReferralFactory,
    SessionFactory,
)

READ = roles("mediation", "direction")
WRITE = roles("mediation")


def _permanence(w: World) -> dict[str, Any]:
    perm = PermanenceFactory(place__site=w.site, mediator=w.staff["mediation"])
    return {"pk": perm.pk}


def _session(w: World) -> dict[str, Any]:
    return {"pk": SessionFactory(place__site=w.site, mediator=w.staff["mediation"]).pk}


def _person(w: World) -> dict[str, Any]:
    return {"pk": PersonFactory().pk}


def _referral(w: World) -> dict[str, Any]:
    return {"pk": ReferralFactory(site=w.site, created_by=w.staff["mediation"]).pk}


def _place(w: World) -> dict[str, Any]:
    return {"pk": PlaceFactory(site=w.site).pk}


def _collective_action(w: World) -> dict[str, Any]:
    action = CollectiveActionFactory(place__site=w.site, organiser=w.staff["mediation"])
    return {"pk": action.pk}


def _file(w: World) -> dict[str, Any]:
    from tests.outreach.factories import FileFactory

    return {"pk": FileFactory(mediator=w.staff["mediation"]).pk}


ACCESS = {
    "outreach_day": Access(READ),
    "outreach_calendar": Access(READ),
    "outreach_programme_pdf": Access(READ),
    "outreach_permanence_new": Access(WRITE),
    "outreach_permanence": Access(READ, kwargs=_permanence),
    # Any mediator, not only the permanence's own (a colleague cancels for a sick one).
    "outreach_permanence_cancel": Access(WRITE, method="post", kwargs=_permanence),
    "outreach_session_new": Access(WRITE),
    "outreach_session": Access(READ, kwargs=_session),
    # Only the session's author (`_session` is entered by the `mediation` account); another
    # mediator is refused too (tests/outreach/test_session_edit.py).
    "outreach_session_edit": Access(WRITE, kwargs=_session),
    "outreach_session_followup_done": Access(WRITE, method="post", kwargs=_session),
    "outreach_patient_search": Access(roles("mediation", "accueil")),
    "outreach_followups": Access(READ),
    "outreach_home_panel": Access(WRITE),
    "outreach_person": Access(READ, kwargs=_person),
    "outreach_person_link": Access(WRITE, method="post", kwargs=_person),
    "outreach_file_advance": Access(WRITE, method="post", kwargs=_file),
    "outreach_places": Access(READ),
    "outreach_place_new": Access(WRITE),
    "outreach_place_edit": Access(WRITE, kwargs=_place),
    "outreach_collective_actions": Access(READ),
    "outreach_collective_action_new": Access(WRITE),
    # Only the action's organiser (`_collective_action` is organised by the `mediation`
    # account); another mediator is refused too (tests/outreach/test_collective_action_edit.py).
    "outreach_collective_action_edit": Access(WRITE, kwargs=_collective_action),
    # Who came: read by mediation and direction (names, journaled); names are added and
    # removed by the organiser only (the service refuses anybody else).
    "outreach_collective_action_attendance": Access(READ, kwargs=_collective_action),
    "outreach_collective_action_sign_in": Access(READ, kwargs=_collective_action),
    "outreach_referral_queue": Access(roles("accueil", "mediation", "direction")),
    "outreach_referral_book": Access(roles("accueil"), kwargs=_referral),
    "outreach_referral_decline": Access(roles("accueil"), method="post", kwargs=_referral),
    "outreach_referral_cancel": Access(WRITE, method="post", kwargs=_referral),
    "outreach_referral_outcome": Access(WRITE, method="post", kwargs=_referral),
    "outreach_indicators": Access(READ),
}
ACCESS.update(
    {
        "api:outreach-places": Access(READ, api=True),
        "api:outreach-place-detail": Access(READ, api=True, kwargs=_place),
        "api:outreach-permanences": Access(READ, api=True),
        "api:outreach-permanence-cancel": Access(
            WRITE, api=True, method="post", kwargs=_permanence
        ),
        "api:outreach-sessions": Access(READ, api=True),
        "api:outreach-session-detail": Access(READ, api=True, kwargs=_session),
        "api:outreach-referrals": Access(roles("accueil", "mediation", "direction"), api=True),
        "api:outreach-collective-actions": Access(READ, api=True),
        "api:outreach-collective-action-detail": Access(READ, api=True, kwargs=_collective_action),
        "api:outreach-collective-action-attendees": Access(
            WRITE, api=True, method="post", kwargs=_collective_action
        ),
        "api:outreach-collective-action-attendees-remove": Access(
            WRITE, api=True, method="post", kwargs=_collective_action
        ),
    }
)


# --- Participation (outreach/participation): surveys and the users' committee ---------------
# Direction and mediation build surveys and keep the committee; `collecte` volunteers reach
# the entry form only; a survey's public link is open to anyone (no account).

BUILD = roles("direction", "mediation")
ENTRY = roles("collecte", "mediation", "direction")


def _survey(w: World) -> dict[str, Any]:
    from tests.outreach.participation.factories import kinds_survey

    return {"pk": kinds_survey(open=False).survey.pk}


def _open_survey(w: World) -> dict[str, Any]:
    from tests.outreach.participation.factories import kinds_survey

    return {"pk": kinds_survey(open=True).survey.pk}


def _public_survey(w: World) -> dict[str, Any]:
    from tests.outreach.participation.factories import kinds_survey

    token = kinds_survey(open=True, public=True).survey.public_token
    return {"token": token}


def _question(w: World) -> dict[str, Any]:
    from tests.outreach.participation.factories import kinds_survey

    return {"pk": kinds_survey(open=False).wish.pk}


def _meeting(w: World) -> dict[str, Any]:
    from tests.outreach.participation.factories import MeetingFactory

    return {"pk": MeetingFactory().pk}


def _decision(w: World) -> dict[str, Any]:
    from outreach.participation.models import CommitteeDecision
    from tests.outreach.participation.factories import MeetingFactory

    return {"pk": CommitteeDecision.objects.create(meeting=MeetingFactory(), text="Essai").pk}


def _request(w: World) -> dict[str, Any]:
    from tests.outreach.participation.factories import RequestFactory

    return {"pk": RequestFactory().pk}


ACCESS.update(
    {
        "participation:survey_list": Access(BUILD),
        "participation:survey_new": Access(BUILD),
        "participation:survey_detail": Access(BUILD, kwargs=_survey),
        "participation:survey_edit": Access(BUILD, kwargs=_survey),
        "participation:survey_status": Access(BUILD, method="post", kwargs=_survey),
        "participation:question_new": Access(BUILD, kwargs=_survey),
        "participation:question_edit": Access(BUILD, kwargs=_question),
        "participation:question_delete": Access(BUILD, method="post", kwargs=_question),
        "participation:question_move": Access(BUILD, method="post", kwargs=_question),
        "participation:survey_pdf": Access(BUILD, kwargs=_survey),
        "participation:survey_results": Access(BUILD, kwargs=_open_survey),
        "participation:survey_results_panel": Access(BUILD, kwargs=_open_survey),
        "participation:survey_results_pdf": Access(BUILD, kwargs=_open_survey),
        "participation:survey_export_csv": Access(BUILD, kwargs=_open_survey),
        "participation:survey_export_xlsx": Access(BUILD, kwargs=_open_survey),
        "participation:entry_home": Access(ENTRY),
        "participation:entry_form": Access(ENTRY, kwargs=_open_survey),
        "participation:public_form": Access(PUBLIC, kwargs=_public_survey),
        "participation:committee": Access(BUILD),
        "participation:meeting_new": Access(BUILD),
        "participation:meeting_detail": Access(BUILD, kwargs=_meeting),
        "participation:meeting_edit": Access(BUILD, kwargs=_meeting),
        "participation:decision_add": Access(BUILD, method="post", kwargs=_meeting),
        "participation:decision_status": Access(BUILD, method="post", kwargs=_decision),
        "participation:request_new": Access(BUILD),
        "participation:request_action": Access(BUILD, method="post", kwargs=_request),
        "participation:direction_panel": Access(roles("direction")),
        "api:participation-surveys": Access(BUILD, api=True),
        "api:participation-survey-results": Access(BUILD, api=True, kwargs=_open_survey),
        "api:participation-sheets": Access(ENTRY, api=True, method="post", kwargs=_open_survey),
    }
)
