from __future__ import annotations

import datetime
import io
import json
import re
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from centre.models import AuditEntry, User
from patients import hooks
from patients.hooks import TimelineEvent
from patients.models import Coverage, CoverageKind, Patient
from tests.patients.factories import CoverageFactory, PatientFactory, make_nir

pytestmark = pytest.mark.django_db
D = datetime.date
ClientFor = Callable[[str | None], Client]


def intake(**extra: str) -> dict[str, str]:
    data = {
        "last_name": "Dupont",
        "first_name": "Hélène",
        "sex": "F",
        "birth_date": "1984-03-12",
        "language": "fr",
        "in_qpv": "unknown",
    }
    data.update(extra)
    return data


def test_intake_creates_the_record(client_for: ClientFor) -> None:
    response = client_for("accueil").post(
        reverse("patients:create"), intake(phone="06 12 34 56 78", nir=make_nir())
    )
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:detail", args=[patient.pk])
    assert patient.phone == "+33612345678" and patient.nir == make_nir()


def test_intake_shows_duplicate_candidates_before_saving(client_for: ClientFor) -> None:
    existing = PatientFactory(last_name="Dupont", first_name="Hélène", birth_date=D(1984, 3, 12))
    client = client_for("accueil")
    response = client.post(reverse("patients:create"), intake(first_name="Helene"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "peut-être déjà enregistrée" in html
    assert reverse("patients:detail", args=[existing.pk]) in html
    assert Patient.objects.count() == 1
    # Confirmed as another person: saved.
    response = client.post(
        reverse("patients:create"), intake(first_name="Helene", not_a_duplicate="on")
    )
    assert response.status_code == 302
    assert Patient.objects.count() == 2


def test_live_duplicate_check_fragment(client_for: ClientFor) -> None:
    existing = PatientFactory(last_name="Martin", first_name="Marc", birth_date=D(1990, 7, 1))
    response = client_for("accueil").get(
        reverse("patients:duplicate_check"),
        {"last_name": "Martn", "first_name": "Marc", "birth_date": "1990-07-01"},
    )
    assert reverse("patients:detail", args=[existing.pk]) in response.content.decode()


def test_intake_errors_are_per_field_and_nothing_saved(client_for: ClientFor) -> None:
    response = client_for("mediation").post(
        reverse("patients:create"), intake(nir="184031234567890", phone="0612")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "nir" in errors and "phone" in errors
    assert Patient.objects.count() == 0


def test_search_page_and_htmx_fragment(client_for: ClientFor) -> None:
    patient = PatientFactory(last_name="Dupont", first_name="Hélène")
    CoverageFactory(patient=patient, kind=CoverageKind.C2S, start=D(2020, 1, 1))
    client = client_for("accueil")
    page = client.get(reverse("patients:search"), {"q": "heleen"})
    assert "DUPONT Hélène" in page.content.decode()
    fragment = client.get(reverse("patients:search"), {"q": "helene"}, HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert "<html" not in html and "DUPONT Hélène" in html and "C2S" in html
    assert "Sans droits" in html  # C2S without AMO or AME
    picker = client.get(reverse("patients:search_results"), {"q": "dupont", "mode": "pick"})
    assert f'name="patient" value="{patient.pk}"' in picker.content.decode()


def test_search_shows_next_appointment_from_hooks(client_for: ClientFor) -> None:
    patient = PatientFactory(last_name="Dupont")
    when = datetime.datetime(2026, 11, 30, 9, 30, tzinfo=datetime.UTC)

    def provider(ids: object) -> dict[int, datetime.datetime]:
        return {patient.pk: when}

    hooks._next_appointment.append(provider)
    try:
        html = client_for("accueil").get(reverse("patients:search"), {"q": "dupont"}).content
    finally:
        hooks._next_appointment.remove(provider)
    assert "lundi 30 novembre 2026" in html.decode()


def test_patient_read_is_audited_and_page_query_count_is_constant(
    client_for: ClientFor, staff: dict[str, User]
) -> None:
    patient = PatientFactory()
    client = client_for("accueil")
    url = reverse("patients:detail", args=[patient.pk])
    client.get(url)  # warm the session
    entry = AuditEntry.objects.filter(action="patient.view").latest("id")
    assert entry.actor == staff["accueil"] and entry.object_id == str(patient.pk)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    short = queries()
    for year in range(2000, 2025):
        CoverageFactory(patient=patient, start=D(year, 1, 1), end=D(year, 12, 31))
    # session read, user, roles, patient, journal key of the patient, audit insert, coverage
    # history, one query per timeline provider registered by the other apps, session save
    # (savepoint, update, release).
    assert queries() == short == 10 + len(hooks._timeline)


def test_nir_visibility_and_access_log(client_for: ClientFor) -> None:
    nir = make_nir()
    patient = PatientFactory(nir=nir, birth_date=D(1984, 3, 12))
    url = reverse("patients:detail", args=[patient.pk])
    shown = "2 84 03 86 194 123"
    for role in ("accueil", "facturation", "direction"):
        assert shown in client_for(role).get(url).content.decode(), role
    for role in ("soignant", "mediation"):
        assert shown not in client_for(role).get(url).content.decode(), role
    direction = client_for("direction").get(url).content.decode()
    assert "Qui a consulté ou modifié ce dossier" in direction
    accueil = client_for("accueil").get(url).content.decode()
    assert "Qui a consulté" not in accueil


def test_timeline_filtered_by_role(client_for: ClientFor) -> None:
    patient = PatientFactory()
    at = datetime.datetime(2026, 1, 5, 10, tzinfo=datetime.UTC)

    def provider(p: Patient) -> list[TimelineEvent]:
        return [
            TimelineEvent(at=at, kind="appointment", label="Consultation du Dr Moreau"),
            TimelineEvent(
                at=at, kind="invoice", label="Facture F-1", roles=frozenset({"facturation"})
            ),
        ]

    hooks._timeline.append(provider)
    try:
        url = reverse("patients:detail", args=[patient.pk])
        accueil = client_for("accueil").get(url).content.decode()
        billing = client_for("facturation").get(url).content.decode()
    finally:
        hooks._timeline.remove(provider)
    assert "Consultation du Dr Moreau" in accueil and "Facture F-1" not in accueil
    assert "Facture F-1" in billing


def test_billing_clerk_edits_only_the_nir(client_for: ClientFor) -> None:
    patient = PatientFactory(last_name="Dupont", sex="F", birth_date=D(1984, 3, 12))
    client = client_for("facturation")
    response = client.post(
        reverse("patients:edit", args=[patient.pk]), {"nir": make_nir(), "last_name": "X"}
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.nir == make_nir() and patient.last_name == "Dupont"


def test_coverage_add_and_end_through_the_pages(client_for: ClientFor) -> None:
    patient = PatientFactory()
    client = client_for("accueil")
    response = client.post(
        reverse("patients:coverage_add", args=[patient.pk]),
        {"kind": "c2s", "start": "2026-01-01", "end": "2026-12-31", "with_contribution": "on"},
    )
    assert response.status_code == 302
    c2s = Coverage.objects.get(patient=patient)
    assert c2s.with_contribution and c2s.end == D(2026, 12, 31)
    response = client.post(
        reverse("patients:coverage_add", args=[patient.pk]), {"kind": "amc", "start": "2026-01-01"}
    )
    assert response.context["form"].errors["organism_name"] == [
        "Indiquez l'organisme complémentaire."
    ]
    amo = CoverageFactory(patient=patient)
    client.post(reverse("patients:coverage_end", args=[patient.pk, amo.pk]), {"end": "2026-02-01"})
    amo.refresh_from_db()
    assert amo.end == D(2026, 2, 1)


def test_rights_worklist(client_for: ClientFor) -> None:
    today = datetime.date.today()
    PatientFactory(last_name="Sansdroits")
    ending = PatientFactory(last_name="Bientot")
    CoverageFactory(patient=ending, start=D(2020, 1, 1), end=today + datetime.timedelta(days=20))
    fine = PatientFactory(last_name="Couvert")
    CoverageFactory(patient=fine, start=D(2020, 1, 1))
    html = client_for("mediation").get(reverse("patients:rights_worklist")).content.decode()
    assert "SANSDROITS" in html and "BIENTOT" in html and "COUVERT" not in html


def test_director_merges_from_the_duplicates_list(client_for: ClientFor) -> None:
    a = PatientFactory(last_name="Dupont", first_name="Hélène", birth_date=D(1984, 3, 12))
    b = PatientFactory(last_name="Dupont", first_name="Helene", birth_date=D(1984, 3, 12))
    client = client_for("direction")
    listing = client.get(reverse("patients:duplicates")).content.decode()
    merge_url = reverse("patients:merge", args=[a.pk, b.pk])
    assert merge_url in listing
    assert client.get(merge_url).status_code == 200
    response = client.post(merge_url)
    assert response["Location"] == reverse("patients:detail", args=[a.pk])
    # The merged record redirects to the kept one.
    response = client.get(reverse("patients:detail", args=[b.pk]))
    assert response["Location"] == reverse("patients:detail", args=[a.pk])


def test_gdpr_exports_are_audited(client_for: ClientFor) -> None:
    patient = PatientFactory(last_name="Dupont")
    CoverageFactory(patient=patient)
    client = client_for("direction")
    response = client.get(reverse("patients:export_json", args=[patient.pk]))
    data = json.loads(response.content)
    assert data["identity"]["last_name"] == "Dupont" and len(data["coverages"]) == 1
    pdf = client.get(reverse("patients:export_pdf", args=[patient.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"patient.export_json", "patient.export_pdf"} <= actions


def test_the_gdpr_pdf_dates_identity_checks_without_naming_the_other_person(
    client_for: ClientFor, staff: dict[str, User]
) -> None:
    from pypdf import PdfReader

    from patients.services import duplicates

    twin, sister = PatientFactory(), PatientFactory()
    duplicates.patients_mark_not_duplicates(
        first=twin, second=sister, by=staff["direction"], reason="jumelles"
    )
    pdf = client_for("direction").get(reverse("patients:export_pdf", args=[twin.pk]))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Vérifications d'identité" in text
    assert f"vérification du {timezone.localdate():%d/%m/%Y}" in text
    assert "jumelles" not in text and not re.search(rf"n° {sister.pk}\b", text)


def test_anonymise_needs_typed_confirmation(client_for: ClientFor) -> None:
    patient = PatientFactory(last_name="Dupont")
    client = client_for("direction")
    url = reverse("patients:anonymise", args=[patient.pk])
    client.post(url, {"confirm": "oui"})
    patient.refresh_from_db()
    assert patient.anonymised_at is None
    client.post(url, {"confirm": "ANONYMISER"})
    patient.refresh_from_db()
    assert patient.anonymised_at is not None and patient.last_name == "ANONYME"


def test_accueil_home_has_the_search_box_first(client_for: ClientFor) -> None:
    html = client_for("accueil").get(reverse("home_accueil")).content.decode()
    assert html.index('id="patient-q"') < html.index("Votre journée à l'accueil")
