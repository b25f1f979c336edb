"""The identity status and the INS on the record page, in search results, on the edit form."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from centre.models import User
from patients.models import Patient
from patients.services import identity_status
from tests.patients.factories import PatientFactory

pytestmark = pytest.mark.django_db
ClientFor = Callable[[str | None], Client]
D = datetime.date


def qualified(by: User) -> Patient:
    patient = PatientFactory.create(
        last_name="Dupont",
        birth_name="Martin",
        first_name="Léna",
        birth_first_names=["Hélène", "Marie"],
        first_birth_first_name="Hélène",
        sex="F",
        birth_date=D(1984, 3, 12),
        birth_place_id="86194",
    )
    identity_status.identity_document_check(by=by, patient=patient, document="passeport")
    identity_status.ins_search(by=by, patient=patient)
    patient.refresh_from_db()
    return patient


def test_record_page_shows_status_strict_traits_and_ins_to_nir_roles_only(
    client_for: ClientFor, staff: dict[str, User]
) -> None:
    patient = qualified(staff["accueil"])
    url = reverse("patients:detail", args=[patient.pk])
    for role in ("accueil", "facturation", "direction", "soignant", "mediation"):
        page = client_for(role).get(url).content.decode()
        assert 'data-status="qualifiee">Identité qualifiée</span>' in page, role
        assert (
            "MARTIN HELENE, née le 12/03/1984 (F) — nom utilisé : DUPONT, prénom utilisé : Léna"
            in page
        )
        assert "Passeport vérifié·e le" in page
        assert ("OID 1.2.250.1.213.1.4.10" in page) == (
            role in ("accueil", "facturation", "direction")
        ), role


def test_search_results_show_the_status(client_for: ClientFor, staff: dict[str, User]) -> None:
    qualified(staff["accueil"])
    PatientFactory.create(last_name="Dupont", first_name="Paul", sex="M")
    page = client_for("accueil").get(reverse("patients:search"), {"q": "dupont"}).content.decode()
    assert page.count('data-status="qualifiee"') == 1
    assert page.count('data-status="provisoire"') == 1


def test_edit_form_freezes_strict_traits_of_a_qualified_identity(
    client_for: ClientFor, staff: dict[str, User]
) -> None:
    patient = qualified(staff["accueil"])
    page = client_for("accueil").get(reverse("patients:edit", args=[patient.pk])).content.decode()
    assert 'name="birth_name"' in page
    assert page.count("Identité qualifiée : trait issu d&#x27;INSi.") == 6
    # A plain text input for the INSEE code, not a 37 000-option list.
    assert '<input type="text" name="birth_place" value="86194"' in page


def test_editing_from_the_page_keeps_the_strict_traits(
    client_for: ClientFor, staff: dict[str, User]
) -> None:
    patient = PatientFactory.create(
        last_name="Dupont",
        birth_name="Ben Saïd",
        first_name="Aïcha",
        birth_first_names=["Aïcha", "Nour"],
        first_birth_first_name="Aïcha",
        sex="F",
        birth_date=D(1990, 1, 2),
        birth_place_id="99351",
    )
    identity_status.identity_document_check(by=staff["accueil"], patient=patient, document="cni")
    url = reverse("patients:edit", args=[patient.pk])
    response = client_for("accueil").post(
        url,
        {
            "last_name": "Dupont",
            "birth_name": "Ben Saïd",
            "first_name": "Aïcha",
            "birth_first_names": "Aïcha, Nour",
            "first_birth_first_name": "Aïcha",
            "birth_place": "99351",
            "sex": "F",
            "birth_date": "1990-01-02",
            "language": "ar",
            "phone": "06 12 34 56 78",
        },
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.birth_first_names == ["Aïcha", "Nour"]
    assert (patient.birth_place_id, patient.identity_status) == ("99351", "validee")
    assert patient.phone == "+33612345678"


def test_day_sheet_prints_strict_traits_beside_used_names_and_the_status() -> None:
    from types import SimpleNamespace

    from django.template.loader import render_to_string

    patient = Patient(
        last_name="Dupont",
        birth_name="Martin",
        first_name="Léna",
        birth_first_names=["Hélène"],
        first_birth_first_name="Hélène",
        sex="F",
        birth_date=D(1984, 3, 12),
        identity_status="validee",
    )
    start = datetime.datetime(2026, 12, 7, 9, 0)
    appointment = SimpleNamespace(
        patient=patient,
        start=start,
        end=start + datetime.timedelta(minutes=20),
        is_active=True,
        consultation_type=SimpleNamespace(label="Consultation"),
        interpreter_language="",
        get_status_display="Prévu",
    )
    practitioner = SimpleNamespace(get_profession_display="Médecin", __str__=lambda self: "Dr X")
    html = render_to_string(
        "appointments/day_sheet_pdf.html",
        {
            "site": SimpleNamespace(name="Site"),
            "day": D(2026, 12, 7),
            "columns": [{"practitioner": practitioner, "appointments": [appointment]}],
            "printed_at": start,
        },
    )
    assert (
        "MARTIN HELENE, née le 12/03/1984 (F) — nom utilisé : DUPONT, prénom utilisé : Léna" in html
    )
    assert "Identité validée" in html
