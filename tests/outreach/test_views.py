from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from centre.models import Site, User
from outreach.models import Permanence, Referral, ReferralStatus, RightsSession
from outreach.timeline import session_events
from patients import hooks
from tests.appointments.factories import open_plages
from tests.outreach.factories import (
    ConsultationTypeFactory,
    FileFactory,
    PatientFactory,
    PermanenceFactory,
    PersonFactory,
    ReferralFactory,
    SessionFactory,
)

ClientFor = Callable[[str | None], Client]


@pytest.fixture
def permanence(site: Site, staff: dict[str, User]) -> Permanence:
    return PermanenceFactory(place__site=site, mediator=staff["mediation"])


def _form(permanence: Permanence, **extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "permanence": permanence.pk,
        "person_mode": "anonyme",
        "sex": "F",
        "age_band": "45_64",
        "in_qpv": "oui",
        "neighbourhood": "Trois-Cités",
        "language": "fr",
        "first_contact": "1",
        "topics": ["c2s", "carte_vitale"],
        "actions": ["information", "dossier_rempli"],
        "interpreting": "aucun",
        "duration_minutes": "15",
        "outcome": "en_cours",
        "referral_urgency": "normale",
    }
    data.update(extra)
    return data


def test_mediator_logs_a_session_from_the_permanence_page(
    client_for: ClientFor, permanence: Permanence
) -> None:
    client = client_for("mediation")
    page = client.get(reverse("outreach_permanence", args=[permanence.pk]))
    assert page.status_code == 200
    assert "Nouvel entretien" in page.content.decode()
    ctype = ConsultationTypeFactory()
    response = client.post(
        reverse("outreach_session_new"),
        _form(
            permanence,
            notes="Situation de logement difficile",
            referral_target="centre",
            referral_consultation_type=ctype.pk,
            referral_reason="Pas de médecin traitant",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("outreach_permanence", args=[permanence.pk])
    session = RightsSession.objects.get()
    assert session.topics == ["c2s", "carte_vitale"]
    assert session.duration_minutes == 15 and session.person.age_band == "45_64"
    referral = Referral.objects.get()
    assert referral.consultation_type == ctype and referral.status == ReferralStatus.PENDING


def test_htmx_invalid_form_comes_back_as_partial_with_french_errors(
    client_for: ClientFor, permanence: Permanence
) -> None:
    client = client_for("mediation")
    past = (timezone.localdate() - datetime.timedelta(days=3)).isoformat()
    response = client.post(
        reverse("outreach_session_new"),
        _form(permanence, topics=["horoscope"], followup_on=past),
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith("<form")
    assert "horoscope" in body  # Django: « Sélectionnez un choix valide »
    assert RightsSession.objects.count() == 0
    response = client.post(
        reverse("outreach_session_new"), _form(permanence, followup_on=past), HTTP_HX_REQUEST="true"
    )
    assert "La date de suivi ne peut pas être dans le passé." in response.content.decode()
    assert RightsSession.objects.count() == 0
    response = client.post(
        reverse("outreach_session_new"), _form(permanence), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("outreach_permanence", args=[permanence.pk])


def test_reception_queue_shows_referral_but_never_mediator_notes(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    session = SessionFactory(
        place__site=site, mediator=staff["mediation"], notes="SECRET violences conjugales"
    )
    ReferralFactory(
        person=session.person, session=session, site=site, reason="Bilan de santé adulte"
    )
    body = client_for("accueil").get(reverse("outreach_referral_queue")).content.decode()
    assert "Bilan de santé adulte" in body
    assert "SECRET" not in body
    assert "à rattacher" in body
    assert (
        client_for("accueil").get(reverse("outreach_session", args=[session.pk])).status_code == 403
    )


def test_reception_books_a_referral_from_the_queue(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    ctype = ConsultationTypeFactory()
    patient = PatientFactory()
    open_plages(staff["soignant"].profile, site)  # the booking rules hold for referrals too
    referral = ReferralFactory(
        person=PersonFactory(patient=patient), site=site, consultation_type=ctype
    )
    response = client_for("accueil").post(
        reverse("outreach_referral_book", args=[referral.pk]),
        {
            "practitioner": staff["soignant"].profile.pk,
            "consultation_type": ctype.pk,
            "start": "2026-12-02T10:00",
        },
    )
    assert response.status_code == 302, response.content.decode()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.BOOKED
    assert referral.appointment is not None
    assert timezone.localtime(referral.appointment.start).hour == 10


def test_permanence_page_runs_a_constant_number_of_queries(
    client_for: ClientFor,
    permanence: Permanence,
    staff: dict[str, User],
    django_assert_num_queries: Any,
) -> None:
    client = client_for("mediation")
    url = reverse("outreach_permanence", args=[permanence.pk])
    for n in (1, 12):
        while RightsSession.objects.count() < n:
            SessionFactory(
                permanence=permanence, place=permanence.place, mediator=staff["mediation"]
            )
        client.get(url)
        # session, user, roles; the permanence; its sessions with people and patients; the
        # consultation types of the form; the journal entry naming the people received;
        # savepoint, session save, release.
        with django_assert_num_queries(10):
            assert client.get(url).status_code == 200


def test_home_panel_constant_queries(
    client_for: ClientFor, site: Site, staff: dict[str, User], django_assert_num_queries: Any
) -> None:
    client = client_for("mediation")
    url = reverse("outreach_home_panel")
    today = timezone.localdate()
    for n in (1, 6):
        for _ in range(n):
            SessionFactory(place__site=site, mediator=staff["mediation"], followup_on=today)
            PermanenceFactory(place__site=site, mediator=staff["mediation"])
            FileFactory(mediator=staff["mediation"])
            PatientFactory()
        client.get(url)
        # session, user, roles; permanences; follow-ups; open files; rights worklist and its
        # coverages; one journal entry each for the follow-ups, the files and the worklist
        # shown; savepoint, session save, release.
        with django_assert_num_queries(14):
            body = client.get(url).content.decode()
    assert "Suivis à faire (7)" in body
    assert "Dossiers ouverts (7)" in body


def test_programme_pdf(client_for: ClientFor, permanence: Permanence) -> None:
    response = client_for("direction").get(
        reverse("outreach_programme_pdf") + f"?mois={permanence.start:%Y-%m}"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_calendar_and_day_pages(client_for: ClientFor, permanence: Permanence) -> None:
    client = client_for("mediation")
    body = client.get(reverse("outreach_day")).content.decode()
    assert permanence.place.name in body
    body = client.get(
        reverse("outreach_calendar") + f"?mois={permanence.start:%Y-%m}"
    ).content.decode()
    assert permanence.place.name in body


def test_link_person_from_page(client_for: ClientFor, staff: dict[str, User]) -> None:
    person = PersonFactory()
    patient = PatientFactory()
    response = client_for("mediation").post(
        reverse("outreach_person_link", args=[person.pk]),
        {"patient": patient.pk, "consent_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.patient == patient


def test_timeline_events_only_for_mediation_and_direction(
    site: Site, staff: dict[str, User], django_assert_num_queries: Any
) -> None:
    patient = PatientFactory()
    person = PersonFactory(patient=patient)
    SessionFactory(person=person, place__site=site, topics=["ame"])
    SessionFactory(person=person, place__site=site, topics=["c2s"])
    hidden = hooks.timeline_for(patient, roles=["accueil", "soignant", "facturation"])
    assert not [e for e in hidden if e.kind == "outreach_session"]
    with django_assert_num_queries(1):
        assert len(list(session_events(patient))) == 2
    events = [
        e for e in hooks.timeline_for(patient, roles=["mediation"]) if e.kind == "outreach_session"
    ]
    assert len(events) == 2
    assert any("Aide médicale de l'État" in e.label for e in events)


def test_indicator_page(client_for: ClientFor, site: Site, staff: dict[str, User]) -> None:
    SessionFactory(place__site=site)
    body = client_for("direction").get(reverse("outreach_indicators")).content.decode()
    assert "Entretiens d&#x27;accès aux droits" in body or "Entretiens d'accès aux droits" in body
