"""Insecure direct object references: a valid id of somebody else's object is refused.

The access matrix (tests/test_access_matrix.py) proves who reaches each URL; these tests
prove that, once in, an account cannot open objects outside its domain by changing an id in
the URL or the API: a colleague's consultations and invoices, another role's data, batch files
and report downloads, a calendar feed token, merged or anonymised patient records.

Sites are not a boundary inside a centre: reception, billing and direction work for every
site of the centre (docs/roles.md), so objects of another site are reachable by design; the
boundary is the practitioner (their own agenda and invoices) and the role.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment, CalendarFeed, Status
from appointments.services import calendar_feeds
from billing.models import Invoice
from billing.services import batches as billing_batches
from centre.models import AuditEntry, Centre, Site, User
from centre.reports.indicators import Period
from centre.reports.services import downloads as report_downloads
from centre.reports.services import runs as report_runs
from centre.reports.templates import TEMPLATES
from outreach.models import RightsSession
from patients.models import Patient
from patients.services import duplicates, gdpr
from tests.appointments.factories import ConsultationTypeFactory
from tests.billing.factories import make_invoice, make_patient
from tests.factories import api_token_for, make_staff
from tests.outreach.factories import PlaceFactory, SessionFactory

pytestmark = pytest.mark.django_db


@dataclass
class Objects:
    colleague: User  # another practitioner, at the other site
    own_appointment: Appointment
    colleague_appointment: Appointment
    own_invoice: Invoice
    colleague_invoice: Invoice
    session: RightsSession
    batch_id: int


def _appointment(practitioner: User, site: Site, booked_by: User) -> Appointment:
    start = timezone.now().replace(microsecond=0) - datetime.timedelta(hours=1)
    return Appointment.objects.create(
        patient=make_patient(),
        practitioner=practitioner.profile,
        consultation_type=ConsultationTypeFactory(),
        site=site,
        start=start,
        end=start + datetime.timedelta(minutes=20),
        booked_by=booked_by,
    )


@pytest.fixture
def objects(centre: Centre, site: Site, other_site: Site, staff: dict[str, User]) -> Objects:
    colleague = make_staff("soignant", centre=centre, sites=[other_site])
    own_invoice = make_invoice(by=staff["soignant"], practitioner=staff["soignant"], site=site)
    colleague_invoice = make_invoice(by=colleague, practitioner=colleague, site=other_site)
    return Objects(
        colleague=colleague,
        own_appointment=_appointment(staff["soignant"], site, staff["accueil"]),
        colleague_appointment=_appointment(colleague, other_site, staff["accueil"]),
        own_invoice=own_invoice,
        colleague_invoice=colleague_invoice,
        session=SessionFactory(mediator=staff["mediation"], place=PlaceFactory(site=site)),
        batch_id=billing_batches.batches_build(by=staff["facturation"])[0],
    )


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _api(user: User) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {api_token_for(user)}")


# --- a practitioner and a colleague's objects -------------------------------------------------


def test_a_practitioner_cannot_open_a_colleagues_consultation(
    objects: Objects, staff: dict[str, User]
) -> None:
    doctor = staff["soignant"]
    ui, api = _client(doctor), _api(doctor)
    own, theirs = objects.own_appointment, objects.colleague_appointment
    assert ui.get(reverse("appointments:detail", args=[own.pk])).status_code == 200
    assert ui.get(reverse("appointments:detail", args=[theirs.pk])).status_code == 404
    assert api.get(reverse("api:appointment-detail", args=[own.pk])).status_code == 200
    assert api.get(reverse("api:appointment-detail", args=[theirs.pk])).status_code == 404
    listed = api.get(reverse("api:appointments")).json()["results"]
    assert [row["id"] for row in listed] == [own.pk]
    # Closing the colleague's consultation with acts, or marking it: not found.
    close = reverse("billing:close_consultation", args=[theirs.pk])
    assert ui.get(close).status_code == 404
    assert ui.post(close, {"acts": "G"}).status_code == 404
    assert ui.post(reverse("appointments:seen", args=[theirs.pk])).status_code == 404
    assert api.post(reverse("api:appointment-arrive", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Status.BOOKED
    assert not Invoice.objects.filter(appointment=theirs).exists()


def test_a_practitioner_cannot_open_a_colleagues_invoice(
    objects: Objects, staff: dict[str, User]
) -> None:
    doctor = staff["soignant"]
    ui, api = _client(doctor), _api(doctor)
    own, theirs = objects.own_invoice, objects.colleague_invoice
    assert ui.get(reverse("billing:invoice_detail", args=[own.pk])).status_code == 200
    assert ui.get(reverse("billing:invoice_detail", args=[theirs.pk])).status_code == 404
    assert api.get(reverse("api:invoice-detail", args=[theirs.pk])).status_code == 404
    listed = api.get(reverse("api:invoices")).json()["results"]
    assert [row["id"] for row in listed] == [own.pk]
    assert not AuditEntry.objects.filter(
        action="billing.invoice.read", object_id=str(theirs.pk)
    ).exists()


# --- another role's domain ----------------------------------------------------------------------


def test_a_mediator_cannot_open_an_invoice(objects: Objects, staff: dict[str, User]) -> None:
    mediator = staff["mediation"]
    invoice = objects.own_invoice
    assert (
        _client(mediator).get(reverse("billing:invoice_detail", args=[invoice.pk])).status_code
        == 403
    )
    assert _api(mediator).get(reverse("api:invoice-detail", args=[invoice.pk])).status_code == 403
    assert _api(mediator).get(reverse("api:invoices")).status_code == 403


@pytest.mark.parametrize("role", ["accueil", "soignant", "facturation"])
def test_reception_care_and_billing_cannot_open_a_mediation_session(
    role: str, objects: Objects, staff: dict[str, User]
) -> None:
    client = _client(staff[role])
    session = objects.session
    assert client.get(reverse("outreach_session", args=[session.pk])).status_code == 403
    assert client.get(reverse("outreach_person", args=[session.person_id])).status_code == 403
    assert _api(staff[role]).get(reverse("api:outreach-sessions")).status_code == 403
    # The mediator who wrote it, and the direction, read it.
    assert (
        _client(staff["mediation"]).get(reverse("outreach_session", args=[session.pk])).status_code
        == 200
    )


@pytest.mark.parametrize("role", ["accueil", "soignant", "mediation", "direction"])
def test_only_billing_downloads_a_batch_file(
    role: str, objects: Objects, staff: dict[str, User]
) -> None:
    url = reverse("billing:batch_download", args=[objects.batch_id])
    api_url = reverse("api:batch-download", args=[objects.batch_id])
    assert _client(staff[role]).get(url).status_code == 403
    assert _api(staff[role]).get(api_url).status_code == 403
    assert not AuditEntry.objects.filter(action="billing.batch.download").exists()
    assert _client(staff["facturation"]).get(url).status_code == 200


def test_a_report_link_works_only_for_the_director_it_was_made_for(
    centre: Centre, staff: dict[str, User]
) -> None:
    today = timezone.localdate()
    run = report_runs.report_request(
        by=staff["direction"],
        template=next(iter(TEMPLATES)),
        period=Period(today.replace(day=1), today),
        site=None,
    )
    token = report_downloads.download_token(by=staff["direction"], run=run, fmt="pdf")
    url = reverse("reports:download", args=[token])
    colleague = make_staff("direction", centre=centre)
    response = _client(colleague).get(url)
    assert response.status_code == 404
    assert "créé pour un autre compte" in response.content.decode()
    for role in ("accueil", "soignant", "mediation", "facturation"):
        assert _client(staff[role]).get(url).status_code == 403
        assert _api(staff[role]).get(reverse("api:report-detail", args=[run.pk])).status_code == 403
    # A forged token (the run id changed by hand) is refused too.
    forged = token.replace(token[0], "x" if token[0] != "x" else "y", 1)
    assert (
        _client(staff["direction"]).get(reverse("reports:download", args=[forged])).status_code
        == 404
    )
    assert not AuditEntry.objects.filter(action="report.download").exists()


# --- calendar feed tokens --------------------------------------------------------------------


def test_a_calendar_feed_token_is_one_practitioners_secret(
    objects: Objects, staff: dict[str, User]
) -> None:
    doctor = staff["soignant"]
    mine = calendar_feeds.calendar_feed_renew(practitioner=doctor.profile, by=doctor)
    theirs = calendar_feeds.calendar_feed_renew(
        practitioner=objects.colleague.profile, by=objects.colleague
    )
    assert len(mine.token) >= 32 and mine.token != theirs.token
    # The practitioner's page shows their own link only.
    page = _client(doctor).get(reverse("appointments:calendar_feed")).content.decode()
    assert mine.token in page and theirs.token not in page
    # The feed of the token holder; no patient name goes out through it.
    body = Client().get(reverse("appointments:ics", args=[mine.token])).content.decode()
    assert objects.own_appointment.patient.last_name not in body
    assert "BEGIN:VCALENDAR" in body
    # A renewed (so revoked) token, or a made-up one, is not found.
    renewed = calendar_feeds.calendar_feed_renew(practitioner=doctor.profile, by=doctor)
    assert Client().get(reverse("appointments:ics", args=[mine.token])).status_code == 404
    assert Client().get(reverse("appointments:ics", args=["0" * 43])).status_code == 404
    assert Client().get(reverse("appointments:ics", args=[renewed.token])).status_code == 200
    assert CalendarFeed.objects.filter(practitioner=doctor.profile, revoked_at=None).count() == 1


# --- merged and anonymised records ----------------------------------------------------------


def test_a_merged_record_redirects_and_cannot_be_changed(staff: dict[str, User]) -> None:
    director = staff["direction"]
    keep = make_patient(last_name="Durand", first_name="Inès")
    duplicate = make_patient(last_name="Durand", first_name="Ines")
    duplicates.patients_merge(keep=keep, merged=duplicate, by=director)
    ui, api = _client(staff["accueil"]), _api(staff["accueil"])
    response = ui.get(reverse("patients:detail", args=[duplicate.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:detail", args=[keep.pk])
    assert ui.get(reverse("patients:edit", args=[duplicate.pk])).status_code == 404
    response = api.patch(
        reverse("api:patient-detail", args=[duplicate.pk]),
        {"first_name": "Autre"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "fusionné" in response.json()["detail"]
    duplicate.refresh_from_db()
    assert duplicate.first_name == "Ines"
    # Search results only list the kept record.
    found = api.get(reverse("api:patients"), {"q": "durand"}).json()["results"]
    assert [row["id"] for row in found] == [keep.pk]


def test_an_anonymised_record_shows_no_identity_and_cannot_be_changed(
    staff: dict[str, User],
) -> None:
    patient = make_patient(
        last_name="Kerbrat-Oualid", first_name="Zoé-Aïchatou", phone="+33612345678"
    )
    gdpr.patient_anonymise(patient=patient, by=staff["direction"])
    ui, api = _client(staff["accueil"]), _api(staff["accueil"])
    assert ui.get(reverse("patients:edit", args=[patient.pk])).status_code == 404
    response = api.put(
        reverse("api:patient-detail", args=[patient.pk]),
        {
            "last_name": "Kerbrat-Oualid",
            "first_name": "Zoé-Aïchatou",
            "sex": "F",
            "birth_date": "1985-06-01",
        },
        content_type="application/json",
    )
    assert response.status_code == 403
    page = ui.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "Kerbrat-Oualid" not in page and "Zoé-Aïchatou" not in page and "612345678" not in page
    record = api.get(reverse("api:patient-detail", args=[patient.pk])).json()
    assert "Kerbrat-Oualid" not in str(record) and "Zoé-Aïchatou" not in str(record)
    assert not Patient.objects.filter(last_name="Kerbrat-Oualid").exists()
