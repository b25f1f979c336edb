"""Every read of the API is declared: it either shows data about a person (identity, coverage,
appointments, invoices, claim files, outreach sessions…) and leaves a journal entry naming
what it showed, or it shows none and says why.

The walk goes through the OpenAPI schema, so a new GET endpoint fails the suite until it is
declared here, like a new URL fails the access matrix. Each journaled endpoint is called with
the token of a role that may read it, on real objects, and must add a read entry by that
person whose object (detail) or list of ids (list, search) names what was returned.
The same reads through the pages are compared entry by entry in the per-app parity tests
(`tests/<app>/test_read_journal.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from billing.services import batches
from centre.models import AuditEntry, Site, User
from tests.factories import api_token_for, make_staff


@dataclass(frozen=True)
class Journaled:
    role: str  # a role that may read it
    object_type: str  # what the entry names (app_label.model)
    obj: str | None = None  # the object of a detail URL (key of the `world` fixture)
    # The walk's world has no row for this list: it must answer an empty list and journal
    # nothing (an empty list showed nobody); its journal is tested with rows in the app's
    # own parity test.
    empty: bool = False
    fill: str | None = None  # the value of a path parameter that names no object (a list name)


# The reads that show nothing about a person, and why.
NOT_PERSONAL = {
    "/api/v1/": "index of the API",
    "/api/v1/me/": "the caller's own account",
    "/api/v1/sites/": "the centre's sites",
    "/api/v1/consultation-types/": "reference data (motifs)",
    "/api/v1/consultation-types/{id}/": "reference data (motifs)",
    "/api/v1/fee-schedule/": "reference data (tariffs)",
    "/api/v1/slots/": "free times of the agenda, no patient",
    "/api/v1/indicators/": "aggregates only",
    "/api/v1/outreach/places/": "partner places",
    "/api/v1/outreach/places/{id}/": "a partner place",
    "/api/v1/outreach/permanences/": "the programme of permanences, no person",
    "/api/v1/outreach/collective-actions/": "workshops and their head counts",
    "/api/v1/outreach/collective-actions/{id}/": "a workshop and its head count",
    "/api/v1/participation/surveys/": "surveys (questions), no answer",
    "/api/v1/participation/surveys/{id}/results/": "aggregates with small-cell suppression",
    "/api/v1/reports/": "report runs (aggregates for funders)",
    "/api/v1/reports/{id}/": "a report run (aggregates for funders)",
    "/api/v1/reports/{id}/files/{fmt}/": "aggregates for funders (journaled as an export)",
    "/api/v1/batches/": "batch headers: payer, count, total; no person",
    "/api/v1/batches/preview/": "counts and amounts per payer; no person",
}

JOURNALED = {
    "/api/v1/patients/": Journaled("accueil", "patients.patient"),
    "/api/v1/patients/{id}/": Journaled("accueil", "patients.patient", obj="patient"),
    "/api/v1/appointments/": Journaled("accueil", "appointments.appointment"),
    "/api/v1/appointments/{id}/": Journaled(
        "accueil", "appointments.appointment", obj="appointment"
    ),
    # The waiting room journals the appointments it shows (`appointment.list`), none included.
    "/api/v1/appointments/waiting-room/": Journaled("accueil", "appointments.appointment"),
    "/api/v1/invoices/": Journaled("facturation", "billing.invoice"),
    "/api/v1/invoices/{invoice_id}/": Journaled("facturation", "billing.invoice", obj="invoice"),
    "/api/v1/invoices/pending-conversions/": Journaled(
        "facturation", "billing.invoice", empty=True
    ),
    "/api/v1/claims/": Journaled("facturation", "billing.claim"),
    "/api/v1/batches/{batch_id}/file/": Journaled("facturation", "billing.batch", obj="batch"),
    "/api/v1/returns/": Journaled("facturation", "billing.returnfile", empty=True),
    "/api/v1/worklists/{name}/": Journaled("direction", "billing.claim", empty=True, fill="rejets"),
    # An export is journaled with the ids exported, even when there are none.
    "/api/v1/worklists/{name}/export/": Journaled("direction", "billing.claim", fill="rejets"),
    "/api/v1/outreach/sessions/": Journaled("mediation", "outreach.rightssession"),
    "/api/v1/outreach/sessions/{id}/": Journaled(
        "mediation", "outreach.rightssession", obj="session"
    ),
    "/api/v1/outreach/referrals/": Journaled("mediation", "outreach.referral"),
}


def _get_paths() -> list[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(path for path, ops in schema["paths"].items() if "get" in ops)


GET_PATHS = _get_paths()


def test_every_read_is_declared() -> None:
    declared = NOT_PERSONAL.keys() | JOURNALED.keys()
    missing = [p for p in GET_PATHS if p not in declared]
    assert not missing, f"Déclarez ces lectures (journalisées ou non) : {missing}"
    stale = sorted(declared - set(GET_PATHS))
    assert not stale, f"Ces lectures déclarées n'existent plus : {stale}"
    assert not NOT_PERSONAL.keys() & JOURNALED.keys()


@pytest.fixture
def world(site: Site) -> dict[str, Any]:
    """One object of each kind, reachable by the reading roles."""
    from tests.access import World
    from tests.appointments.access import _appointment
    from tests.billing.factories import make_invoice
    from tests.outreach.factories import ReferralFactory, SessionFactory

    staff = {
        role: make_staff(role, centre=site.centre, sites=[site])
        for role in ("accueil", "soignant", "mediation", "facturation", "direction")
    }
    w = World(centre=site.centre, site=site, other_site=site, staff=staff)
    invoice = make_invoice(by=staff["soignant"], practitioner=staff["soignant"], site=site)
    batch_id = batches.batches_build(by=staff["facturation"])[0]
    session = SessionFactory(mediator=staff["mediation"])
    ReferralFactory(session=session, created_by=staff["mediation"])
    return {
        "staff": staff,
        "patient": invoice.patient.pk,
        "appointment": _appointment(w)["pk"],
        "invoice": invoice.pk,
        "batch": batch_id,
        "session": session.pk,
    }


@pytest.mark.parametrize("path", sorted(JOURNALED))
def test_api_read_is_journaled(path: str, world: dict[str, Any]) -> None:
    spec = JOURNALED[path]
    user: User = world["staff"][spec.role]
    url = path
    if spec.obj is not None or spec.fill is not None:
        value = str(world[spec.obj]) if spec.obj is not None else spec.fill
        url = path.replace(path[path.index("{") : path.index("}") + 1], str(value))
    before = AuditEntry.objects.count()
    response = Client().get(url, HTTP_AUTHORIZATION=f"Token {api_token_for(user)}")
    assert response.status_code == 200, response.content
    entries = list(AuditEntry.objects.order_by("pk")[before:])
    if spec.empty:
        assert response.json()["results"] == []
        assert not [e for e in entries if e.object_type == spec.object_type]
        return
    reads = [e for e in entries if e.actor_id == user.pk and e.object_type == spec.object_type]
    assert reads, f"{path} : aucune entrée « {spec.object_type} » au journal ({entries})"
    if spec.obj is not None:
        assert str(world[spec.obj]) in {e.object_id for e in reads} | {
            i for e in reads for i in e.extra.get("ids", [])
        }
