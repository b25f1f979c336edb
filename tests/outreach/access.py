"""Outreach URLs: mediation writes, direction reads, reception only the referral queue (and
booking from it); practitioners and billing see nothing of outreach."""

from __future__ import annotations

from typing import Any

from tests.access import Access, World, roles
from tests.outreach.factories import (
    PermanenceFactory,
    PersonFactory,
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


def _file(w: World) -> dict[str, Any]:
    from tests.outreach.factories import FileFactory

    return {"pk": FileFactory(mediator=w.staff["mediation"]).pk}


ACCESS = {
    "outreach_day": Access(READ),
    "outreach_calendar": Access(READ),
    "outreach_programme_pdf": Access(READ),
    "outreach_permanence_new": Access(WRITE),
    "outreach_permanence": Access(READ, kwargs=_permanence),
    "outreach_session_new": Access(WRITE),
    "outreach_session": Access(READ, kwargs=_session),
    "outreach_session_followup_done": Access(WRITE, method="post", kwargs=_session),
    "outreach_patient_search": Access(roles("mediation", "accueil")),
    "outreach_followups": Access(READ),
    "outreach_home_panel": Access(WRITE),
    "outreach_person": Access(READ, kwargs=_person),
    "outreach_person_link": Access(WRITE, method="post", kwargs=_person),
    "outreach_file_advance": Access(WRITE, method="post", kwargs=_file),
    "outreach_places": Access(READ),
    "outreach_place_new": Access(WRITE),
    "outreach_collective_actions": Access(READ),
    "outreach_collective_action_new": Access(WRITE),
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
        "api:outreach-permanences": Access(READ, api=True),
        "api:outreach-sessions": Access(READ, api=True),
        "api:outreach-referrals": Access(roles("accueil", "mediation", "direction"), api=True),
        "api:outreach-collective-actions": Access(READ, api=True),
    }
)
