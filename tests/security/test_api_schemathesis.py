"""Property-based tests of the API against its own OpenAPI schema (schemathesis).

Every operation of `/api/schema/` is called in-process (Django's WSGI application, inside
the test transaction) with generated valid and invalid inputs, with the API token of each
role, and every response goes through all of schemathesis' checks: no server error, status
code, content type, headers and body as documented, schema-violating requests refused,
schema-valid requests accepted, authentication not ignored, unsupported methods answered 405.
The few deliberate exceptions are listed in EXCEPTIONS with their reason, and in
docs/security.md.

Deterministic for CI: fixed seed, derandomized Hypothesis, no example database, a bounded
number of examples per operation, and the coverage phase (which enumerates every boundary of
every parameter, minutes per role) left out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from schemathesis.checks import CheckFunction
from schemathesis.specs.openapi.checks import positive_data_acceptance

from appointments.models import Appointment
from centre.models import Site
from patients.identifiers import nir_key
from tests.access import ROLES
from tests.factories import api_token_for, make_staff

MAX_EXAMPLES = 6

# Schema-valid requests that the API refuses on purpose, by operation: an id that names no
# object, or a value the business rules refuse, cannot be told apart from a good one by the
# schema. Each exception says why; docs/security.md lists them.
PERIOD_ORDER = "`to` may not come before `from`: a rule between two fields"
IDENTITY = "identity rules: the NIR's key, sex and birth date agree; a French phone number"
ACTS = "act codes are those of the fee schedule on the date of care (data, not a schema enum)"
EXCEPTIONS: dict[str, dict[CheckFunction, str]] = {
    "GET /api/v1/indicators/": {
        positive_data_acceptance: "a period is `from` and `to`, or `period`: one of the two"
    },
    "GET /api/v1/outreach/referrals/": {positive_data_acceptance: PERIOD_ORDER},
    "GET /api/v1/slots/": {positive_data_acceptance: PERIOD_ORDER + ", 62 days at most"},
    "GET /api/v1/outreach/sessions/": {positive_data_acceptance: PERIOD_ORDER},
    "GET /api/v1/outreach/collective-actions/": {positive_data_acceptance: PERIOD_ORDER},
    "POST /api/v1/reports/": {positive_data_acceptance: PERIOD_ORDER},
    "POST /api/v1/outreach/collective-actions/": {
        positive_data_acceptance: "a title that is not only spaces, `end_time` after "
        "`start_time`: the service words these rules"
    },
    "POST /api/v1/outreach/permanences/": {
        positive_data_acceptance: "`end_time` after `start_time`: a rule between two fields"
    },
    "POST /api/v1/appointments/": {
        positive_data_acceptance: "booking rules: inside an opening plage, outside absences "
        "and public holidays of the site, for a motif of the practitioner's profession"
    },
    "POST /api/v1/invoices/": {positive_data_acceptance: ACTS},
    "POST /api/v1/invoices/preview/": {positive_data_acceptance: ACTS},
    "POST /api/v1/invoices/{invoice_id}/correct/": {positive_data_acceptance: ACTS},
    "POST /api/v1/fee-schedule/tariffs/": {
        positive_data_acceptance: "an act of the fee schedule, a rate between 0 and 1, a price "
        "not negative, a source not only spaces, one tariff per act and start date"
    },
    "PATCH /api/v1/fee-schedule/tariffs/{tariff_id}/": {
        positive_data_acceptance: "a rate between 0 and 1, a price not negative, a source not "
        "only spaces"
    },
    "POST /api/v1/patients/": {positive_data_acceptance: IDENTITY},
    "POST /api/v1/patients/{id}/identity/document-check/": {
        positive_data_acceptance: "identitovigilance: the strict traits (birth name, birth "
        "place) are filled in from the document before it is recorded as checked"
    },
    "POST /api/v1/patients/{id}/identity/ins-search/": {
        positive_data_acceptance: "identitovigilance: a search by traits needs the birth name, "
        "sex and birth date on the record (or the Vitale card)"
    },
    "PUT /api/v1/patients/{id}/": {positive_data_acceptance: IDENTITY},
    "PATCH /api/v1/patients/{id}/": {positive_data_acceptance: IDENTITY},
    "POST /api/v1/outreach/sessions/": {
        positive_data_acceptance: "a session names one person (met before, a patient, or "
        "anonymous) and at least one topic: alternatives the schema does not express"
    },
    "POST /api/v1/returns/": {
        positive_data_acceptance: "the return file's content is checked line by line"
    },
}

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261123,
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
    }
)


def _schema() -> schemathesis.BaseSchema:
    # The document /api/schema/ serves (tested below to be the same), generated without a
    # request so that the operations are known when pytest collects the tests.
    loaded = schemathesis.openapi.from_dict(
        SchemaGenerator().get_schema(request=None, public=True), config=CONFIG
    )
    loaded.app = get_wsgi_application()
    return loaded


schema = _schema()


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """Django's WSGI handler closes the database connection when a request finishes; the
    test client avoids that, and so must the in-process calls made by schemathesis (they
    run inside the test's transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(role: str, site: Site) -> str:
    """The API token of an account with `role` only (one account: the fixture runs for
    each of the few hundred operation × role tests)."""
    return api_token_for(make_staff(role, centre=site.centre, sites=[site]))


@pytest.mark.parametrize("role", ["accueil"])
def test_the_served_schema_is_the_one_tested(token: str, client: Any) -> None:
    response = client.get("/api/schema/?format=json", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    served = json.loads(response.content)
    assert sorted(served["paths"]) == sorted(schema.raw_schema["paths"])


@pytest.fixture
def objects(site: Site) -> Callable[[], dict[str, int]]:
    """Real objects for the operations with an id in their path, built on first use: a
    generated id would nearly always be a 404, the real one lets generated bodies reach
    the code behind it."""
    cache: dict[str, int] = {}

    def build() -> dict[str, int]:
        if not cache:
            from billing.services import batches as billing_batches
            from tests.access import World
            from tests.appointments.access import _appointment
            from tests.billing.factories import make_invoice, make_patient
            from tests.outreach.factories import PlaceFactory

            staff = {
                role: make_staff(role, centre=site.centre, sites=[site])
                for role in ("accueil", "soignant", "facturation")
            }
            world = World(centre=site.centre, site=site, other_site=site, staff=staff)
            cache["invoice_id"] = make_invoice(
                by=staff["soignant"], practitioner=staff["soignant"], site=site
            ).pk
            cache["batch_id"] = billing_batches.batches_build(by=staff["facturation"])[0]
            cache["patient"] = make_patient(
                last_name="Martin", first_name="Léa", nir="2850675112123" + nir_key("2850675112123")
            ).pk
            cache["appointment"] = _appointment(world)["pk"]
            booked = Appointment.objects.get(pk=cache["appointment"])
            cache["practitioner"] = booked.practitioner_id
            cache["consultation_type"] = cache["type"] = booked.consultation_type_id
            cache["site"] = site.pk
            cache["mediator"] = make_staff("mediation", centre=site.centre, sites=[site]).pk
            cache["place"] = PlaceFactory(site=site).pk
        return cache

    return build


# Fields and query parameters naming an object: a generated id would nearly always name
# nothing (a 400 « l'objet n'existe pas »); the real one lets the request reach the rules.
OBJECT_FIELDS = (
    "patient",
    "practitioner",
    "consultation_type",
    "type",
    "site",
    "mediator",
    "place",
)


def _use_real_ids(case: schemathesis.Case, build: Callable[[], dict[str, int]]) -> None:
    """Real ids in the path, and for the object fields of the query and the body (the objects
    are built on first need only: most cases name none)."""
    for values in (case.query, case.body):
        if isinstance(values, dict):
            for name in OBJECT_FIELDS:
                if isinstance(values.get(name), int) and not isinstance(values[name], bool):
                    values[name] = build()[name]
    if not case.path_parameters:
        return
    objects = build()
    params = case.path_parameters
    path = case.operation.path
    for name in params:
        if name in objects:
            params[name] = objects[name]
        elif name == "id" and path.startswith("/api/v1/patients/"):
            params[name] = objects["patient"]
        elif name == "id" and path.startswith("/api/v1/appointments/"):
            params[name] = objects["appointment"]


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_api_conforms_to_its_schema(
    case: schemathesis.Case,
    role: str,
    token: str,
    objects: Callable[[], dict[str, int]],
) -> None:
    _use_real_ids(case, objects)
    excluded = EXCEPTIONS.get(f"{case.method.upper()} {case.operation.path}", {})
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"}, excluded_checks=list(excluded)
    )
