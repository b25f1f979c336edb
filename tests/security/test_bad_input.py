"""Forms and the API given oversized, malformed, script and SQL-looking values.

What is accepted is stored as typed (inert: the ORM binds every value as a parameter) and
shown escaped; what is refused gets a French message and nothing is half-saved. The return
file parser has its own hypothesis fuzzing in tests/billing/test_formats.py (every bad file
refused with a message, nothing imported).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from appointments.models import Appointment
from billing.models import Act, Tariff
from centre.models import AuditEntry, Site, User
from outreach.models import Referral, RightsSession
from patients.models import Patient
from tests.appointments.factories import ConsultationTypeFactory, open_plages, practitioner
from tests.billing.factories import ensure_fee_schedule
from tests.factories import api_token_for
from tests.outreach.factories import PermanenceFactory
from tests.patients.factories import PatientFactory, make_nir

pytestmark = pytest.mark.django_db

ClientFor = Callable[[str | None], Client]

SCRIPT = '<script>alert("pwned")</script>'
ESCAPED_SCRIPT = "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;"
IMG = '<img src=x onerror="alert(1)">'
SQL = "Robert'); DROP TABLE patients_patient;--"
SQL_ESCAPED = "Robert&#x27;); DROP TABLE patients_patient;--"
OVERSIZED = "A" * 5000


def _intake(**extra: str) -> dict[str, str]:
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


def _no_raw_markup(html: str) -> None:
    lowered = html.lower()  # names may be shown upper-case
    assert SCRIPT not in lowered and IMG not in lowered
    assert 'alert("pwned")' not in lowered


# --- patient registration ------------------------------------------------------------------


def test_script_and_sql_in_a_registration_are_stored_inert_and_shown_escaped(
    client_for: ClientFor,
) -> None:
    client = client_for("accueil")
    response = client.post(
        reverse("patients:create"),
        _intake(last_name=SCRIPT, first_name=SQL, admin_notes=IMG, city=SQL),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    patient = Patient.objects.get()
    assert patient.last_name == SCRIPT and patient.first_name == SQL
    assert patient.admin_notes == IMG
    assert Patient.objects.count() == 1  # the table is still there, with the one record
    for url in (
        reverse("patients:detail", args=[patient.pk]),
        reverse("patients:search_results") + "?q=pwned",
        reverse("patients:edit", args=[patient.pk]),
    ):
        html = client.get(url).content.decode()
        _no_raw_markup(html)
        assert "&lt;script&gt;" in html.lower(), url
    detail = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert ESCAPED_SCRIPT.upper() in detail.upper()  # the name may be shown upper-case
    assert SQL_ESCAPED in detail
    assert "&lt;img src=x onerror=" in detail
    # Searching with SQL-looking text is only a search.
    response = client.get(reverse("patients:search_results"), {"q": "' OR 1=1 --"})
    assert response.status_code == 200
    assert Patient.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("last_name", OVERSIZED, "Assurez-vous que cette valeur comporte au plus 100 caractères"),
        ("first_name", "Léa\x00", "Le caractère nul n’est pas autorisé."),
        ("birth_date", "31/02/2020", "Saisissez une date valide."),
        ("birth_date", "2999-01-01", "La date de naissance ne peut pas être dans le futur."),
        ("email", "pas-une-adresse", "Saisissez une adresse e-mail valide."),
        ("phone", "06'; DROP--", "numéro"),
        ("nir", "1' OR '1'='1", "NIR"),
        ("sex", "<b>X</b>", "Sélectionnez un choix valide"),
    ],
)
def test_bad_registration_values_are_refused_in_french_and_nothing_is_saved(
    field: str, value: str, message: str, client_for: ClientFor
) -> None:
    response = client_for("accueil").post(reverse("patients:create"), _intake(**{field: value}))
    assert response.status_code == 200
    html = response.content.decode()
    errors = " ".join(str(e) for e in response.context["form"].errors.get(field, []))
    assert message.lower() in errors.lower(), (field, errors)
    assert "<b>X</b>" not in html
    assert Patient.objects.count() == 0
    assert not AuditEntry.objects.filter(action="patient.create").exists()


def test_the_api_stores_script_inert_and_refuses_oversized_values_per_field(
    staff: dict[str, User],
) -> None:
    token = api_token_for(staff["accueil"])
    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    body = {"last_name": SCRIPT, "first_name": SQL, "sex": "F", "birth_date": "1990-01-02"}
    response = api.post(reverse("api:patients"), body, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["last_name"] == SCRIPT  # JSON carries the text, not markup
    assert response["Content-Type"] == "application/json"
    response = api.post(
        reverse("api:patients"),
        {**body, "last_name": OVERSIZED, "coverages": [{"kind": "nope"}]},
        content_type="application/json",
    )
    assert response.status_code == 400
    errors = response.json()
    assert "au plus 100\xa0caractères" in errors["last_name"][0]
    assert Patient.objects.count() == 1
    response = api.post(reverse("api:patients"), "{not json", content_type="application/json")
    assert response.status_code == 400
    assert Patient.objects.count() == 1


def test_an_api_change_that_breaks_the_nir_is_a_400_not_a_server_error(
    staff: dict[str, User],
) -> None:
    """Found by schemathesis: a new sex or birth date checked without the NIR on record got
    past the serializer and the service refused it with an exception (500)."""
    patient = PatientFactory(sex="F", nir=make_nir())
    token = api_token_for(staff["accueil"])
    response = Client(HTTP_AUTHORIZATION=f"Token {token}").patch(
        reverse("api:patient-detail", args=[patient.pk]),
        {"sex": "M"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "NIR" in response.json()["nir"][0]
    patient.refresh_from_db()
    assert patient.sex == "F"


# --- booking -------------------------------------------------------------------------------


def test_booking_note_with_script_is_inert_and_oversized_values_are_refused(
    site: Site, client_for: ClientFor
) -> None:
    profile = practitioner(site=site)
    open_plages(profile, site)  # inside the booking rules
    patient = PatientFactory()
    data = {
        "patient": patient.pk,
        "consultation_type": ConsultationTypeFactory().pk,
        "practitioner": profile.pk,
        "site": site.pk,
        "date": "2030-03-04",
        "time": "09:20",
        "interpreter_language": OVERSIZED,
        "note": SCRIPT,
    }
    client = client_for("accueil")
    response = client.post(reverse("appointments:book"), data)
    assert response.status_code == 200
    assert "au plus 40 caractères" in response.content.decode()
    assert Appointment.objects.count() == 0
    for field, value in (("patient", "1 OR 1=1"), ("time", "25:99"), ("date", "demain")):
        response = client.post(
            reverse("appointments:book"), {**data, "interpreter_language": "", field: value}
        )
        assert response.status_code == 200, field
        assert response.context["form"].errors, field
        assert Appointment.objects.count() == 0
    response = client.post(reverse("appointments:book"), {**data, "interpreter_language": SQL[:40]})
    assert response.status_code == 302
    booked = Appointment.objects.get()
    assert booked.note == SCRIPT
    html = client.get(reverse("appointments:detail", args=[booked.pk])).content.decode()
    _no_raw_markup(html)
    assert ESCAPED_SCRIPT in html


# --- outreach session ---------------------------------------------------------------------


def test_session_notes_with_script_are_escaped_and_bad_values_save_nothing(
    site: Site, staff: dict[str, User], client_for: ClientFor
) -> None:
    permanence = PermanenceFactory(place__site=site, mediator=staff["mediation"])
    ctype = ConsultationTypeFactory()
    data: dict[str, object] = {
        "permanence": permanence.pk,
        "person_mode": "anonyme",
        "sex": "F",
        "age_band": "45_64",
        "in_qpv": "oui",
        "neighbourhood": SQL,
        "language": "fr",
        "first_contact": "1",
        "topics": ["c2s"],
        "actions": ["information"],
        "interpreting": "aucun",
        "duration_minutes": "15",
        "outcome": "en_cours",
        "referral_urgency": "normale",
        "notes": SCRIPT,
        "referral_target": "centre",
        "referral_consultation_type": ctype.pk,
        "referral_reason": IMG,
    }
    client = client_for("mediation")
    for field, value in (
        ("duration_minutes", "-5"),
        ("duration_minutes", "99999999999999999999"),
        ("age_band", "'; DELETE FROM outreach_person;--"),
    ):
        response = client.post(reverse("outreach_session_new"), {**data, field: value})
        assert response.status_code == 200, (field, value)
        assert RightsSession.objects.count() == 0 and Referral.objects.count() == 0
    # A tampered permanence id is refused, not dropped (the session would land elsewhere).
    response = client.post(reverse("outreach_session_new"), {**data, "permanence": "0 OR 1=1"})
    assert response.status_code == 404
    assert RightsSession.objects.count() == 0
    response = client.post(reverse("outreach_session_new"), data)
    assert response.status_code == 302
    session = RightsSession.objects.get()
    assert session.notes == SCRIPT
    html = client.get(reverse("outreach_session", args=[session.pk])).content.decode()
    _no_raw_markup(html)
    assert ESCAPED_SCRIPT in html
    queue = client_for("accueil").get(reverse("outreach_referral_queue")).content.decode()
    _no_raw_markup(queue)
    assert "&lt;img src=x" in queue


# --- invite staff --------------------------------------------------------------------------


def test_invite_with_script_in_the_name_is_escaped_everywhere(
    site: Site, client_for: ClientFor, django_capture_on_commit_callbacks: object
) -> None:
    client = client_for("direction")
    data = {
        "first_name": SCRIPT,
        "last_name": SQL,
        "email": "pas-une-adresse",
        "roles": ["accueil"],
        "sites": [site.pk],
    }
    response = client.post(reverse("staff_invite"), data)
    assert response.status_code == 200
    assert "Saisissez une adresse e-mail valide." in response.content.decode()
    _no_raw_markup(response.content.decode())  # the form shows the typed value escaped
    assert not User.objects.filter(last_name=SQL).exists()
    for bad in ({"roles": ["superuser"]}, {"first_name": OVERSIZED}, {"rpps": "1' OR 1=1"}):
        response = client.post(reverse("staff_invite"), {**data, "email": "a@test.fr", **bad})
        assert response.status_code == 200, bad
        assert not User.objects.filter(email="a@test.fr").exists()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = client.post(reverse("staff_invite"), {**data, "email": "b@test.fr"})
    assert response.status_code == 302
    invited = User.objects.get(email="b@test.fr")
    assert invited.first_name == SCRIPT
    html = client.get(reverse("staff_list")).content.decode()
    _no_raw_markup(html)
    assert "&lt;script&gt;" in html
    journal = client.get(reverse("audit_journal")).content.decode()
    _no_raw_markup(journal)
    # The invitation e-mail is plain text; if it has an HTML part, the name is escaped there.
    for message in mail.outbox:
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                assert SCRIPT not in str(content)


# --- fee schedule --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("unit_price", "-1", "supérieure ou égale à 0"),
        ("unit_price", "12,345.67abc", "Saisissez un nombre."),
        ("unit_price", "99999999999", "chiffres au total"),
        ("unit_price", "1e400", "chiffres au total"),
        ("amo_rate", "1.5", "inférieure ou égale à 1"),
        ("amo_rate", "NaN", "Saisissez un nombre."),
        ("valid_from", "2025-13-45", "Saisissez une date valide."),
        ("act", "1; DROP TABLE billing_act", "Sélectionnez un choix valide"),
        ("source", "", "Ce champ est obligatoire."),
    ],
)
def test_bad_tariffs_are_refused_in_french_and_nothing_is_saved(
    field: str, value: str, message: str, client_for: ClientFor
) -> None:
    ensure_fee_schedule()
    act = Act.objects.filter(is_active=True).order_by("code").first()
    assert act is not None
    before = Tariff.objects.count()
    data = {
        "act": act.pk,
        "unit_price": "30.00",
        "amo_rate": "0.70",
        "valid_from": "2031-01-01",
        "source": SCRIPT,
        field: value,
    }
    response = client_for("direction").post(reverse("billing:tariff_add"), data)
    assert response.status_code == 200
    errors = " ".join(str(e) for e in response.context["form"].errors.get(field, []))
    assert message in errors, errors
    assert Tariff.objects.count() == before


def test_a_tariff_source_with_script_is_shown_escaped(client_for: ClientFor) -> None:
    ensure_fee_schedule()
    act = Act.objects.filter(is_active=True).order_by("code").first()
    assert act is not None
    client = client_for("direction")
    response = client.post(
        reverse("billing:tariff_add"),
        {
            "act": act.pk,
            "unit_price": "30.00",
            "amo_rate": "0.70",
            "valid_from": "2031-01-01",
            "source": SCRIPT,
        },
    )
    assert response.status_code == 302
    assert Tariff.objects.filter(source=SCRIPT, unit_price=Decimal("30.00")).exists()
    html = client.get(reverse("billing:fee_schedule")).content.decode()
    _no_raw_markup(html)
