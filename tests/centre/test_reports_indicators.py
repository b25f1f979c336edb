"""Each indicator on the hand-built month of tests/centre/reports_data.py; the expected numbers
are counted by hand in the comments."""

from __future__ import annotations

from decimal import Decimal

import pytest

from centre.models import Site, User
from centre.reports import figures
from centre.reports.indicators import (
    SHARE,
    Breakdown,
    Indicator,
    Result,
    compute,
    persons,
    registry,
)
from outreach.models import TriState
from tests.centre.reports_data import JANUARY, build
from tests.outreach.factories import PersonFactory, PlaceFactory, SessionFactory

pytestmark = pytest.mark.django_db


def run(key: str, sites: list[Site] | None = None) -> Result:
    (result,) = compute([key], JANUARY, sites)
    return result


@pytest.fixture
def january(site: Site, other_site: Site, staff: dict[str, User]) -> None:
    build(site=site, other_site=other_site, staff=staff)


def test_registry_collects_every_app_and_tolerates_missing_modules() -> None:
    keys = registry().keys()
    apps = {key.split(".")[0] for key in keys}
    assert {"centre", "patients", "appointments", "billing", "outreach"} <= apps
    assert "outreach.sessions" in keys and "appointments.consultations" in keys
    # Asking for an indicator of an app that has none is not an error: it is skipped.
    assert compute(["absent.indicator"], JANUARY, None) == []


@pytest.mark.usefixtures("january")
def test_consultations_by_profession_and_week() -> None:
    # Held (seen/arrived) in January, Paris days: p1 Jan 5 + Jan 12 (GP), p2 Jan 6 (nurse),
    # p3 Jan 7 (GP, walk-in), p5 Jan 31 23:00 (GP, other site) = 5; Dec 31 23:30 and
    # Feb 1 00:30 are outside; no-shows, excused and booked do not count.
    result = run("appointments.consultations")
    assert result.value == 5
    assert result.breakdown == {"Médecin généraliste": 4, "Infirmier·e": 1}
    weeks = run("appointments.consultations_by_week")
    # Every week of January, zeros included: Mon Dec 29 (Jan 1–4 in the period, partial),
    # Jan 5, 12, 19, 26 (Jan 26–31: 6 days, partial).
    assert weeks.breakdown == {
        "2025-12-29": 0,
        "2026-01-05": 3,
        "2026-01-12": 1,
        "2026-01-19": 0,
        "2026-01-26": 1,
    }
    assert weeks.partial == {"2025-12-29": 4, "2026-01-26": 6}
    # A rate, not the month's total: 5 consultations over 31 days = 31/7 weeks → 1.129… → 1.1.
    assert (weeks.value, weeks.total) == (Decimal("1.1"), 5)
    assert weeks.headline_unit.noun == "consultations par semaine"
    assert run("appointments.walk_ins").value == 1


@pytest.mark.usefixtures("january")
def test_patients_seen_and_new(site: Site) -> None:
    # Seen: p1, p2, p3, p5 = 4. New: p1 was seen on Dec 10 and p2 on Dec 31 → p3, p5 = 2.
    result = run("appointments.patients_seen")
    assert (result.value, result.breakdown) == (4, {"nouveaux patients": 2})
    # Main site only: p5 was seen at the other site.
    assert run("appointments.patients_seen", [site]).value == 3
    assert run("appointments.consultations", [site]).value == 4


@pytest.mark.usefixtures("january")
def test_coverage_mix_counts_rights_valid_during_the_period() -> None:
    # p1 C2S; p2 AME (its AMO starts in February); p3's AMO ended in December: no rights;
    # p5 AMO only. 1 of 4 each = 25.0 %.
    result = run("appointments.coverage_mix")
    assert result.value == 4
    assert result.breakdown == {
        "C2S": 1,
        "AME": 1,
        "sans droits": 1,
        "part C2S (%)": Decimal("25.0"),
        "part AME (%)": Decimal("25.0"),
        "part sans droits (%)": Decimal("25.0"),
    }


@pytest.mark.usefixtures("january")
def test_qpv_no_show_interpreting_and_medecin_traitant() -> None:
    # QPV among seen: p1 yes, p2 no, p3 unknown, p5 yes → 2 / 3 known = 66.7 %.
    qpv = run("appointments.qpv_share")
    assert qpv.value == Decimal("66.7")
    assert qpv.breakdown == {"en QPV": 2, "hors QPV": 1, "non renseigné": 1}
    # No-shows: p2 Jan 20, p4 Jan 8 = 2; 2 / (5 + 2) = 28.571… → 28.6 %.
    no_show = run("appointments.no_show_rate")
    assert no_show.value == Decimal("28.6")
    assert no_show.breakdown["absences non excusées"] == 2
    assert no_show.breakdown["annulés par le·la patient·e"] == 1
    assert run("appointments.interpreting").breakdown == {"ar": 1, "ps": 1}
    # Médecin traitant at the centre among the seen: p1 only (p4 was not seen, p5's is
    # outside) → 1 of 4 = 25.0 %.
    mt = run("appointments.medecin_traitant")
    assert mt.value == 1
    assert mt.breakdown["avec un médecin traitant déclaré"] == 2
    assert mt.breakdown["part médecin traitant au centre (%)"] == Decimal("25.0")


@pytest.mark.usefixtures("january")
def test_billing_amounts(site: Site) -> None:
    # Invoices of January: 30.00 + 30.00 + 26.50 = 86.50 (the Feb 2 one is out).
    billed = run("billing.billed")
    assert billed.value == Decimal("86.50")
    assert billed.breakdown == {
        "assurance maladie (AMO)": Decimal("39.55"),
        "complémentaires (AMC)": Decimal("9.00"),
        "reste à charge des patient·e·s": Decimal("37.95"),
        "factures": 3,
    }
    # Payments received in January: AMO 21.00; patients 10.00 + 7.95 (Feb 3 is out).
    paid = run("billing.paid")
    assert paid.value == Decimal("38.95")
    assert paid.breakdown == {"Assurance maladie": Decimal("21.00"), "Patient·e": Decimal("17.95")}
    rejected = run("billing.rejected")
    assert (rejected.value, rejected.breakdown) == (Decimal("9.00"), {"demandes rejetées": 1})
    # Still due: AMC rejected 9.00 + AMO sent 18.55; patient p3 30.00 − 10.00.
    unpaid = run("billing.unpaid")
    assert unpaid.value == Decimal("47.55")
    assert unpaid.breakdown == {
        "caisses et complémentaires": Decimal("27.55"),
        "patient·e·s": Decimal("20.00"),
    }
    # Tiers payant: invoices 1 and 3 have claims, 2 does not → 66.7 %.
    assert run("billing.tiers_payant").value == Decimal("66.7")
    assert run("billing.billed", [site]).value == Decimal("60.00")


@pytest.mark.usefixtures("january")
def test_centre_team_and_hours(site: Site) -> None:
    # Practitioners: the fixture's GP and the nurse (main site), a GP at the other site.
    team = run("centre.practitioners")
    assert (team.value, team.breakdown) == (3, {"Infirmier·e": 1, "Médecin généraliste": 2})
    assert run("centre.practitioners", [site]).value == 2
    # Plages valid on Jan 31: GP Mon 3 h + Thu 4.5 h, other GP Fri 3 h; the nurse's ended.
    hours = run("centre.weekly_hours")
    assert hours.value == Decimal("10.5")
    assert hours.breakdown == {"Médecin généraliste": Decimal("10.5")}
    assert run("centre.weekly_hours", [site]).value == Decimal("7.5")
    # Accounts: one per role (fixture) + nurse + other GP = 7, of which 3 soignant.
    roles = run("centre.staff_by_role")
    assert roles.value == 7
    assert roles.breakdown["Soignant"] == 3


@pytest.mark.usefixtures("january")
def test_new_patient_records(site: Site) -> None:
    # Created in January: p3 (needs an interpreter, main site) and p5 (other site).
    result = run("patients.new_records")
    assert (result.value, result.breakdown) == (2, {"avec besoin d'interprète": 1})
    assert run("patients.new_records", [site]).value == 1


def test_outreach_indicators_are_adapted_with_their_own_labels(site: Site) -> None:
    place = PlaceFactory(site=site, name="Centre social des Trois-Cités")
    for day in (5, 19):
        SessionFactory(
            place=place,
            person=PersonFactory(in_qpv=TriState.YES),
            held_on=JANUARY.start.replace(day=day),
        )
    SessionFactory(place=place, held_on=JANUARY.end.replace(month=2, day=1))  # February
    result = run("outreach.sessions")
    assert result.app == "outreach"
    assert result.label == "Entretiens d'accès aux droits"
    assert (result.value, result.breakdown) == (2, {"Centre social des Trois-Cités": 2})
    assert run("outreach.distinct_people").value == 2


def test_indicator_functions_may_return_a_plain_number() -> None:
    indicator = Indicator("x.n", "N", "Définition.", persons("personnes"), lambda p, s: 3)
    result = indicator.run(JANUARY, None)
    assert (result.value, result.breakdown) == (3, {})
    both = Indicator("x.b", "B", "", persons("personnes"), lambda p, s: Breakdown(4, {"a": 4}))
    assert both.run(JANUARY, None).breakdown == {"a": 4}


def test_small_counts_are_suppressed_in_reports_not_on_the_dashboard() -> None:
    result = Result(
        key="x.k",
        app="x",
        label="Personnes",
        definition="",
        unit=persons("personnes"),
        value=12,
        breakdown={"a": 4, "b": 0, "c": 5, "part (%)": Decimal("33.3"), "d": 1},
        part_units={"part (%)": SHARE},
    )
    shown = figures.figure(result, threshold=5)
    assert shown["value"] == 12
    assert shown["breakdown"] == [
        ["a", "< 5"],
        ["b", 0],  # zero identifies nobody
        ["c", 5],
        ["part (%)", "33.3"],  # shares and amounts are not counts
        ["d", "< 5"],
    ]
    assert shown["suppressed"] is True
    exact = figures.figure(result, threshold=None)
    assert exact["breakdown"][0] == ["a", 4] and exact["suppressed"] is False
    assert figures.figure(result, threshold=3)["breakdown"][0] == ["a", 4]


def test_shares_that_would_reveal_a_hidden_count_are_hidden_too() -> None:
    mix = Result(
        key="x.mix",
        app="x",
        label="Droits",
        definition="",
        unit=persons("patient·e·s"),
        part_units={"part C2S (%)": SHARE, "part AME (%)": SHARE},
        value=553,
        breakdown={
            "C2S": 3,
            "AME": 40,
            "part C2S (%)": Decimal("0.5"),  # 0.5 % of 553 would give the 3 back
            "part AME (%)": Decimal("7.2"),
        },
    )
    shown = figures.figure(mix, threshold=5)
    assert dict(shown["breakdown"]) == {
        "C2S": "< 5",
        "AME": 40,
        "part C2S (%)": "secret",
        "part AME (%)": "7.2",
    }
    rate = Result(
        key="x.rate",
        app="x",
        label="Taux",
        definition="",
        unit=SHARE,
        value=Decimal("28.6"),
        breakdown={"honorés": 5, "absences": 2},
        parts_unit=persons("rendez-vous"),
        part_units={"honorés": persons("rendez-vous"), "absences": persons("rendez-vous")},
    )
    assert figures.figure(rate, threshold=5)["value"] == "secret"
    assert figures.figure(rate, threshold=None)["value"] == "28.6"
    assert figures.display("secret", "%") == "secret"


def test_counts_written_in_a_definition_are_hidden_too() -> None:
    result = Result(
        key="x.t",
        app="x",
        label="Interprétariat",
        definition="Avec interprète ; dont 2 avec un·e professionnel·le, dont 12 sur place.",
        unit=persons("entretiens"),
        value=20,
        breakdown={},
    )
    assert figures.figure(result, threshold=5)["definition"] == (
        "Avec interprète ; dont < 5 avec un·e professionnel·le, dont 12 sur place."
    )
    assert "dont 2 " in figures.figure(result, threshold=None)["definition"]


def test_french_display() -> None:
    assert figures.display(1234567) == "1\u202f234\u202f567"
    assert figures.display("86.5", "€") == "86,50\u202f€"
    assert figures.display("66.7", "%") == "66,7\u202f%"
    assert figures.display(3, "€") == "3"  # a count inside an amount's breakdown
    assert figures.display("< 5") == "< 5"
    assert figures.display(None) == "—"


def test_time_series_categories_are_shown_in_french() -> None:
    from centre.reports.presentation import category_label

    assert category_label("a.x_by_week", "2026-01-05") == "semaine du 05/01/2026"
    assert category_label("a.x_by_month", "2026-02") == "février 2026"
    assert category_label("a.x_by_month", "pas une date") == "pas une date"
    assert category_label("a.x", "2026-01-05") == "2026-01-05"
