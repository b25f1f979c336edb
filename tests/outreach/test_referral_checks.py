"""Referral checks: a motif that does not fit the person as recorded is warned about (never
refused) at every door, and each referral has a deadline from its urgency; late ones are
highlighted and counted in reception's queue."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appointments.models import ConsultationType
from appointments.services import consultation_types
from centre.models import AuditEntry, Site, User
from outreach import selectors
from outreach.models import Permanence, Referral
from outreach.services import referrals, sessions
from tests.outreach.factories import (
    PatientFactory,
    PermanenceFactory,
    PersonFactory,
    ReferralFactory,
)

ClientFor = Callable[[str | None], Client]


@pytest.fixture
def contraception(staff: dict[str, User]) -> ConsultationType:
    return consultation_types.consultation_type_create(
        label="Suivi de contraception",
        profession="gynecologue",
        duration_minutes=20,
        bookable_by_mediators=True,
        audience_sex="F",
        by=staff["direction"],
    )


@pytest.fixture
def permanence(site: Site, staff: dict[str, User]) -> Permanence:
    return PermanenceFactory(place__site=site, mediator=staff["mediation"])


def _session_input(permanence: Permanence) -> sessions.SessionInput:
    return sessions.SessionInput(
        held_on=timezone.localtime(permanence.start).date(),
        permanence=permanence,
        topics=["c2s"],
        actions=["information"],
    )


def _request(ctype: ConsultationType | None, urgency: str = "normale") -> referrals.ReferralRequest:
    return referrals.ReferralRequest(
        target="centre", reason="Souhaite un suivi", urgency=urgency, consultation_type=ctype
    )


# --- The fit of a motif -------------------------------------------------------------------


def test_audience_mismatch_says_why_in_french() -> None:
    women = ConsultationType(label="Suivi de contraception", audience_sex="F")
    assert women.audience_mismatch(sex="M") == (
        "« Suivi de contraception » est destiné aux femmes ; "
        "la personne est enregistrée comme un homme."
    )
    assert women.audience_mismatch(sex="F") == ""
    assert women.audience_mismatch(sex="") == ""  # not recorded: nothing to say
    adults = ConsultationType(label="Bilan adulte", audience_min_age=18, audience_max_age=64)
    assert (
        adults.audience_mismatch(ages=(0, 17)) == "« Bilan adulte » est prévu à partir de 18 ans."
    )
    assert adults.audience_mismatch(ages=(65, None)) == "« Bilan adulte » est prévu jusqu'à 64 ans."
    # An age band that straddles the bounds cannot tell: no warning.
    assert adults.audience_mismatch(ages=(18, 25)) == ""
    assert adults.audience_mismatch(ages=(None, None)) == ""


def test_a_man_referred_for_contraception_is_saved_with_a_warning(
    permanence: Permanence, staff: dict[str, User], contraception: ConsultationType
) -> None:
    patient = PatientFactory(sex="M", first_name="Karim")
    session = sessions.session_log(
        by=staff["mediation"],
        data=_session_input(permanence),
        patient=patient,
        referral=_request(contraception),
    )
    referral = Referral.objects.get(session=session)
    assert referral.fit_warning == (
        "« Suivi de contraception » est destiné aux femmes ; "
        "la personne est enregistrée comme un homme."
    )
    entry = AuditEntry.objects.get(action="outreach.referral.create", object_id=referral.pk)
    assert entry.changes["fit_warning"] == referral.fit_warning


def test_a_woman_referred_for_contraception_has_no_warning(
    permanence: Permanence, staff: dict[str, User], contraception: ConsultationType
) -> None:
    session = sessions.session_log(
        by=staff["mediation"],
        data=_session_input(permanence),
        anonymous=sessions.AnonymousPerson(sex="F", age_band="18_25"),
        referral=_request(contraception),
    )
    assert Referral.objects.get(session=session).fit_warning == ""


def test_a_minor_met_anonymously_referred_to_an_adult_motif_is_warned(
    permanence: Permanence, staff: dict[str, User]
) -> None:
    adults = consultation_types.consultation_type_create(
        label="Bilan de santé adulte",
        profession="medecin_generaliste",
        duration_minutes=30,
        audience_min_age=18,
        by=staff["direction"],
    )
    session = sessions.session_log(
        by=staff["mediation"],
        data=_session_input(permanence),
        anonymous=sessions.AnonymousPerson(sex="M", age_band="lt18"),
        referral=_request(adults),
    )
    assert (
        Referral.objects.get(session=session).fit_warning
        == "« Bilan de santé adulte » est prévu à partir de 18 ans."
    )


def test_the_page_saves_and_shows_the_warning(
    client_for: ClientFor,
    permanence: Permanence,
    contraception: ConsultationType,
) -> None:
    client = client_for("mediation")
    response = client.post(
        reverse("outreach_session_new"),
        {
            "permanence": permanence.pk,
            "person_mode": "anonyme",
            "sex": "M",
            "age_band": "26_44",
            "in_qpv": "oui",
            "language": "fr",
            "first_contact": "1",
            "topics": ["c2s"],
            "actions": ["information"],
            "duration_minutes": "20",
            "interpreting": "aucun",
            "outcome": "en_cours",
            "referral_target": "centre",
            "referral_reason": "Souhaite un suivi",
            "referral_urgency": "normale",
            "referral_consultation_type": contraception.pk,
        },
        follow=True,
    )
    assert response.status_code == 200
    [referral] = Referral.objects.filter(session__permanence=permanence)
    assert referral.fit_warning.startswith("« Suivi de contraception »")
    texts = [str(m) for m in response.context["messages"]]
    assert (
        "Orientation enregistrée, à vérifier : « Suivi de contraception » est destiné aux "
        "femmes ; la personne est enregistrée comme un homme." in texts
    )


def test_the_api_takes_a_referral_with_the_session_and_returns_the_warning(
    client_for: ClientFor, permanence: Permanence, contraception: ConsultationType
) -> None:
    patient = PatientFactory(sex="M")
    response = client_for("mediation").post(
        "/api/v1/outreach/sessions/",
        {
            "patient": patient.pk,
            "held_on": timezone.localtime(permanence.start).date().isoformat(),
            "permanence": permanence.pk,
            "topics": ["c2s"],
            "referral": {
                "target": "centre",
                "reason": "Souhaite un suivi",
                "urgency": "urgente",
                "consultation_type": contraception.pk,
            },
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    [made] = response.json()["referrals"]
    assert made["urgency"] == "urgente"
    assert made["fit_warning"].startswith("« Suivi de contraception » est destiné aux femmes")
    referral = Referral.objects.get(pk=made["id"])
    assert referral.due_at - referral.created_at == datetime.timedelta(hours=48)


def test_the_api_refuses_a_referral_without_reason_and_saves_no_session(
    client_for: ClientFor, permanence: Permanence
) -> None:
    response = client_for("mediation").post(
        "/api/v1/outreach/sessions/",
        {
            "patient": PatientFactory().pk,
            "held_on": timezone.localtime(permanence.start).date().isoformat(),
            "permanence": permanence.pk,
            "topics": ["c2s"],
            "referral": {"target": "centre", "reason": " "},
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["referral_reason"] == ["Indiquez le motif de l'orientation."]
    assert not permanence.sessions.exists()


def test_audience_rules_of_a_motif_are_checked_in_the_service(staff: dict[str, User]) -> None:
    with pytest.raises(consultation_types.ConsultationTypeInvalid) as refused:
        consultation_types.consultation_type_create(
            label="Bilan",
            profession="medecin_generaliste",
            duration_minutes=30,
            audience_min_age=40,
            audience_max_age=20,
            by=staff["direction"],
        )
    assert refused.value.errors == {
        "audience_max_age": ["L'âge maximum doit être supérieur ou égal à l'âge minimum."]
    }
    with pytest.raises(consultation_types.ConsultationTypeInvalid) as refused:
        consultation_types.consultation_type_create(
            label="Bilan",
            profession="medecin_generaliste",
            duration_minutes=30,
            audience_sex="X",
            by=staff["direction"],
        )
    assert set(refused.value.errors) == {"audience_sex"}
    assert not ConsultationType.objects.filter(label="Bilan").exists()


# --- Deadlines --------------------------------------------------------------------------------


def test_deadline_follows_the_urgency(site: Site) -> None:
    made = timezone.make_aware(datetime.datetime(2026, 10, 1, 16, 0))
    urgent = ReferralFactory(site=site, urgency="urgente", created_at=made)
    soon = ReferralFactory(site=site, urgency="rapide", created_at=made)
    normal = ReferralFactory(site=site, urgency="normale", created_at=made)
    assert urgent.due_at == made + datetime.timedelta(hours=48)
    assert soon.due_at == made + datetime.timedelta(days=7)
    assert normal.due_at == made + datetime.timedelta(days=30)


def test_queue_puts_late_referrals_first_and_counts_them(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    now = timezone.now()
    two_months = ReferralFactory(
        site=site, urgency="urgente", created_at=now - datetime.timedelta(days=60)
    )
    fresh_urgent = ReferralFactory(
        site=site, urgency="urgente", created_at=now - datetime.timedelta(hours=2)
    )
    old_normal = ReferralFactory(
        site=site, urgency="normale", created_at=now - datetime.timedelta(days=40)
    )
    fresh_normal = ReferralFactory(site=site, urgency="normale", created_at=now)
    queue = selectors.referral_queue_for(by=staff["accueil"])
    assert [r.pk for r in queue] == [two_months.pk, old_normal.pk, fresh_urgent.pk, fresh_normal.pk]
    assert [r.is_overdue() for r in queue] == [True, True, False, False]
    assert two_months.days_late == 58 and old_normal.days_late == 10
    assert Referral.objects.overdue().count() == 2

    response = client_for("accueil").get(reverse("outreach_referral_queue"))
    assert response.status_code == 200
    assert response.context["overdue_count"] == 2
    html = response.content.decode()
    assert 'dont <strong class="overdue-count">2 en retard</strong>' in html
    assert "en retard de 58 j" in html and "en retard de 10 j" in html


def test_a_booked_referral_is_never_late(site: Site, staff: dict[str, User]) -> None:
    late = ReferralFactory(
        site=site,
        urgency="urgente",
        created_at=timezone.now() - datetime.timedelta(days=10),
        status="programmee",
    )
    assert late.is_overdue() is False
    assert Referral.objects.overdue().count() == 0


def test_api_lists_deadline_and_lateness(client_for: ClientFor, site: Site) -> None:
    person = PersonFactory(patient=PatientFactory())
    ReferralFactory(
        site=site,
        person=person,
        urgency="rapide",
        created_at=timezone.now() - datetime.timedelta(days=9),
    )
    [row] = client_for("accueil").get("/api/v1/outreach/referrals/").json()["results"]
    assert row["overdue"] is True
    assert row["urgency"] == "rapide"
    assert row["due_at"] is not None
