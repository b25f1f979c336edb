"""Indicators against numbers computed by hand from a small, fully known data set."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from appointments.models import Appointment
from centre.models import Site, User
from outreach import indicators
from outreach.indicators import Period
from outreach.models import Decision, FileStatus
from tests.outreach.factories import (
    CollectiveActionFactory,
    ConsultationTypeFactory,
    FileFactory,
    PatientFactory,
    PersonFactory,
    PlaceFactory,
    ReferralFactory,
    SessionFactory,
)

D = datetime.date
PERIOD = Period(D(2026, 1, 1), D(2026, 3, 31))


@pytest.fixture
def world(site: Site, other_site: Site, staff: dict[str, User]) -> dict[str, object]:
    """Q1 2026 at two places of `site` and one of `other_site`:

    people: A (QPV yes), B (QPV no), C (QPV unknown), D (QPV yes, other site)
    sessions in Q1: A×2 at Couronneries (Jan, Feb), B×1 at CCAS (Jan), C×1 phone (Mar),
                    D×1 at Antenne (Feb); A×1 on 2025-12-20 (outside the period)
    """
    couronneries = PlaceFactory(name="Couronneries", site=site)
    ccas = PlaceFactory(name="CCAS", site=site)
    antenne = PlaceFactory(name="Antenne", site=other_site)
    a = PersonFactory(in_qpv="oui")
    b = PersonFactory(in_qpv="non")
    c = PersonFactory(in_qpv="nsp")
    d = PersonFactory(in_qpv="oui")
    SessionFactory(
        person=a, place=couronneries, held_on=D(2026, 1, 6), topics=["c2s", "medecin_traitant"]
    )
    SessionFactory(
        person=a,
        place=couronneries,
        held_on=D(2026, 2, 3),
        first_contact=False,
        topics=["c2s"],
        interpreting="pro_telephone",
        interpreter_language="ar",
    )
    SessionFactory(
        person=b,
        place=ccas,
        held_on=D(2026, 1, 13),
        topics=["ame"],
        interpreting="benevole",
        interpreter_language="ps",
    )
    SessionFactory(
        person=c, place=None, site=site, channel="telephone", held_on=D(2026, 3, 2), topics=["c2s"]
    )
    SessionFactory(
        person=d,
        place=antenne,
        held_on=D(2026, 2, 10),
        topics=["amo"],
        interpreting="pro_sur_place",
        interpreter_language="ar",
    )
    SessionFactory(person=a, place=couronneries, held_on=D(2025, 12, 20), topics=["amo"])
    return {
        "site": site,
        "other": other_site,
        "a": a,
        "b": b,
        "c": c,
        "d": d,
        "places": [couronneries, ccas, antenne],
    }


def test_sessions_people_and_qpv(world: dict[str, object], site: Site) -> None:
    ind = indicators.sessions(PERIOD)
    assert ind.value == 5
    assert ind.breakdown == {
        "Antenne": 1,
        "CCAS": 1,
        "Couronneries": 2,
        "Hors permanence (téléphone, domicile, centre)": 1,
    }
    assert indicators.sessions(PERIOD, [site]).value == 4
    assert indicators.sessions_by_month(PERIOD).breakdown == {
        "2026-01": 2,
        "2026-02": 2,
        "2026-03": 1,
    }
    people = indicators.distinct_people(PERIOD)
    assert people.value == 4  # A counted once
    assert people.breakdown == {"premier contact": 4}  # A's first-contact session is in January
    # QPV: known for A (yes), B (no), D (yes) → 2/3 = 66.7 %; C unknown.
    qpv = indicators.qpv_share(PERIOD)
    assert qpv.value == Decimal("66.7")
    assert qpv.breakdown == {"en QPV": 2, "hors QPV": 1, "non renseigné": 1}
    assert indicators.qpv_share(PERIOD, [site]).value == Decimal("50.0")  # A yes, B no


def test_topics_and_interpreting(world: dict[str, object]) -> None:
    topics = indicators.topics(PERIOD)
    assert topics.value == 6
    assert topics.breakdown == {
        "Complémentaire santé solidaire (C2S)": 3,
        "Aide médicale de l'État (AME)": 1,
        "AMO / PUMa (ouverture, renouvellement)": 1,
        "Médecin traitant": 1,
    }
    interp = indicators.interpreting(PERIOD)
    assert interp.value == 3
    assert interp.breakdown == {"ar": 2, "ps": 1}
    assert "dont 2 avec un·e interprète professionnel·le" in interp.definition


def test_rights_opened_and_median_days(world: dict[str, object], site: Site) -> None:
    a, b, c = world["a"], world["b"], world["c"]

    def decided(person: object, kind: str, filed: datetime.date, days: int, decision: str) -> None:
        file = FileFactory(
            person=person,
            kind=kind,
            opened_on=filed - datetime.timedelta(days=5),
            filed_on=filed,
            decided_on=filed + datetime.timedelta(days=days),
            decision=decision,
            effective_from=filed,
            status=FileStatus.DECIDED,
        )
        SessionFactory(person=person, place=world["places"][0], held_on=filed, file=file)  # type: ignore[index]

    decided(a, "c2s", D(2026, 1, 5), 20, Decision.GRANTED)
    decided(b, "c2s", D(2026, 1, 10), 40, Decision.PARTIAL)
    decided(c, "c2s", D(2026, 2, 1), 31, Decision.GRANTED)
    decided(c, "ame", D(2026, 1, 2), 60, Decision.GRANTED)
    decided(b, "amo", D(2026, 1, 2), 10, Decision.REFUSED)  # refused: not an opening
    decided(a, "amo", D(2026, 3, 20), 30, Decision.GRANTED)  # decided 19 April: outside
    FileFactory(person=a, kind="c2s")  # still open

    opened = indicators.rights_opened(PERIOD)
    assert opened.value == 4
    assert opened.breakdown == {"AME": 1, "C2S": 3}
    median = indicators.median_days_to_opening(PERIOD)
    # days: 20, 40, 31, 60 → median (31 + 40) / 2 = 35.5; C2S: 20, 40, 31 → 31
    assert median.value == Decimal("35.5")
    assert median.breakdown == {"AME": Decimal("60.0"), "C2S": Decimal("31.0")}
    other = world["other"]
    assert indicators.rights_opened(PERIOD, [other]).value == 0  # type: ignore[list-item]


def test_referrals_and_consultations(
    world: dict[str, object], site: Site, staff: dict[str, User]
) -> None:
    from django.utils import timezone

    ctype = ConsultationTypeFactory()

    def at(day: datetime.date) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))

    def appointment(status: str, day: datetime.date) -> Appointment:
        return Appointment.objects.create(
            patient=PatientFactory(),
            practitioner=staff["soignant"].profile,
            consultation_type=ctype,
            site=site,
            start=at(day),
            end=at(day) + datetime.timedelta(minutes=20),
            status=status,
            booked_by=staff["accueil"],
        )

    ReferralFactory(
        site=site,
        created_at=at(D(2026, 1, 7)),
        status="programmee",
        appointment=appointment("seen", D(2026, 1, 14)),
    )
    ReferralFactory(
        site=site,
        created_at=at(D(2026, 1, 8)),
        status="programmee",
        appointment=appointment("no_show", D(2026, 1, 15)),
    )
    ReferralFactory(
        site=site,
        created_at=at(D(2026, 2, 8)),
        status="programmee",
        appointment=appointment("booked", D(2026, 4, 15)),
    )
    ReferralFactory(site=site, created_at=at(D(2026, 2, 9)))  # pending
    ReferralFactory(site=site, created_at=at(D(2026, 2, 9)), target="cpam", reason="Dossier")
    ReferralFactory(site=site, created_at=at(D(2026, 2, 9)), target="pass", reason="PASS")
    ReferralFactory(site=site, created_at=at(D(2025, 12, 9)))  # outside
    refs = indicators.referrals(PERIOD)
    assert refs.value == 6
    assert refs.breakdown == {"CPAM": 1, "Le centre de santé (rendez-vous)": 4, "PASS": 1}
    consult = indicators.referrals_to_consultation(PERIOD)
    assert consult.value == 1
    assert consult.breakdown == {"orientations vers le centre": 4, "programmées": 3}


def test_collective_actions(site: Site, other_site: Site) -> None:
    place = PlaceFactory(site=site)
    far = PlaceFactory(site=other_site)
    patients = [PatientFactory(), PatientFactory()]
    cafe = CollectiveActionFactory(place=place, held_on=D(2026, 2, 5), participants_count=14)
    cafe.attendees.set(patients)
    CollectiveActionFactory(
        place=place, held_on=D(2026, 3, 5), participants_count=9, kind="depistage"
    )
    CollectiveActionFactory(
        place=far, held_on=D(2026, 3, 6), participants_count=30, kind="vaccination"
    )
    CollectiveActionFactory(place=place, held_on=D(2026, 4, 1), participants_count=100)
    actions = indicators.collective_actions(PERIOD)
    assert actions.value == 3
    assert actions.breakdown == {"Café Santé": 1, "Dépistage": 1, "Journée de vaccination": 1}
    people = indicators.collective_participants(PERIOD)
    assert people.value == 53
    assert people.breakdown == {"patient·e·s nommé·e·s": 2}
    assert indicators.collective_participants(PERIOD, [site]).value == 23


def test_empty_period_and_bad_period(db: None) -> None:
    assert indicators.qpv_share(PERIOD).value is None
    assert indicators.median_days_to_opening(PERIOD).value is None
    assert indicators.collective_participants(PERIOD).value == 0
    assert all(i.label and i.definition for i in indicators.compute_all(PERIOD))
    with pytest.raises(ValueError, match="La fin de la période"):
        Period(D(2026, 2, 1), D(2026, 1, 1))
