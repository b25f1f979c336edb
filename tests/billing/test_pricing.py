"""The worked examples of docs/billing.md (« Exemples chiffrés »), to the cent, and the
invariants of the split."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.money import share, to_cents
from billing.pricing import (
    ActKind,
    AlreadyCharged,
    Deductibles,
    PayerType,
    PricedAct,
    compute_split,
)
from patients.coverage import ComplementaryCover, CoverageSummary

D = Decimal
ON = datetime.date(2025, 3, 10)
MUTUELLE_TP = ComplementaryCover("Mutuelle du Poitou", "12345678", "C1", tiers_payant=True)


def g(price: str = "30.00") -> PricedAct:
    return PricedAct("G", "Consultation", D(price), D(1), D("0.70"), ActKind.DOCTOR, False, True)


def cover(**kw: object) -> CoverageSummary:
    defaults: dict[str, object] = {
        "on": ON,
        "age": 40,
        "has_amo": True,
        "amo_caisse": "861",
        "has_medecin_traitant": True,
        "medecin_traitant_in_centre": True,
    }
    defaults.update(kw)
    return CoverageSummary(**defaults)  # type: ignore[arg-type]


def row(split: object) -> tuple[str, str, str, str]:
    s = split  # amo, amc, at the desk, PF
    return (str(s.amo), str(s.amc), str(s.patient_due), str(s.recoverable_by_amo))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("label", "coverage", "ald", "expected"),
    [
        (
            "adulte MT, mutuelle TP",
            cover(amc=MUTUELLE_TP),
            False,
            ("21.00", "9.00", "0.00", "2.00"),
        ),
        ("adulte MT, sans mutuelle", cover(), False, ("21.00", "0.00", "9.00", "2.00")),
        (
            "hors parcours, mutuelle",
            cover(has_medecin_traitant=False, amc=MUTUELLE_TP),
            False,
            ("9.00", "9.00", "12.00", "2.00"),
        ),
        ("C2S", cover(c2s=True), False, ("21.00", "9.00", "0.00", "0.00")),
        (
            "AME",
            cover(ame=True, has_amo=False, has_medecin_traitant=False),
            False,
            ("30.00", "0.00", "0.00", "0.00"),
        ),
        ("ALD, soins en rapport", cover(ald=True), True, ("30.00", "0.00", "0.00", "2.00")),
        (
            "enfant de 10 ans sans mutuelle",
            cover(age=10, has_medecin_traitant=False),
            False,
            ("21.00", "0.00", "9.00", "0.00"),
        ),
        (
            "enceinte, 7e mois",
            cover(age=29, maternity=True),
            False,
            ("30.00", "0.00", "0.00", "0.00"),
        ),
    ],
)
def test_worked_examples_consultation_g_2025_03_10(
    label: str, coverage: CoverageSummary, ald: bool, expected: tuple[str, ...]
) -> None:
    split = compute_split(acts=[g()], coverage=coverage, related_to_ald=ald)
    assert split.total == D("30.00")
    assert row(split) == expected, label
    assert split.amo + split.amc + split.patient_share == split.total


def test_who_is_paid_by_whom() -> None:
    assert compute_split(acts=[g()], coverage=cover(amc=MUTUELLE_TP)).claims() == {
        PayerType.AMO: D("21.00"),
        PayerType.AMC: D("9.00"),
    }
    c2s = compute_split(acts=[g()], coverage=cover(c2s=True))
    assert c2s.full_tiers_payant
    assert c2s.claims() == {PayerType.AMO: D("21.00"), PayerType.C2S: D("9.00")}
    no_tp = ComplementaryCover("Mutuelle X", "999", "C", tiers_payant=False)
    split = compute_split(acts=[g()], coverage=cover(amc=no_tp))
    assert (split.amc, split.patient_due) == (D("9.00"), D("9.00"))
    assert split.claims() == {PayerType.AMO: D("21.00")}


def test_before_the_revaluation_base_26_50() -> None:
    split = compute_split(acts=[g("26.50")], coverage=cover(on=datetime.date(2024, 12, 1)))
    assert (split.amo, split.patient_due, split.pf) == (D("18.55"), D("7.95"), D("2.00"))


def test_speech_therapy_amo_10_at_2_60() -> None:
    act = PricedAct("AMO", "Orthophonie", D("2.60"), D("10"), D("0.60"), ActKind.AUXILIARY)
    split = compute_split(acts=[act], coverage=cover())
    assert split.total == D("26.00")
    assert split.amo == D("15.60")
    assert split.lines[0].ticket_moderateur == D("10.40")
    assert (split.franchise, split.pf) == (D("1.00"), D("0.00"))


def test_nurse_act_ami_1() -> None:
    act = PricedAct("AMI", "Soin infirmier", D("3.15"), D("1"), D("0.60"), ActKind.AUXILIARY)
    split = compute_split(acts=[act], coverage=cover())
    # 0.60 × 3.15 = 1.89; TM 1.26; franchise 1 € recovered by the CPAM.
    assert (split.total, split.amo, split.patient_due, split.franchise) == (
        D("3.15"),
        D("1.89"),
        D("1.26"),
        D("1.00"),
    )


def test_child_under_six_g_plus_meg() -> None:
    meg = PricedAct(
        "MEG", "Majoration enfant", D("5.00"), D(1), D("0.70"), ActKind.DOCTOR, True, True
    )
    split = compute_split(acts=[g(), meg], coverage=cover(age=4, has_medecin_traitant=False))
    assert (split.total, split.amo, split.pf) == (D("35.00"), D("24.50"), D("0.00"))


def test_no_rights_goes_to_the_pending_payer() -> None:
    split = compute_split(acts=[g()], coverage=cover(has_amo=False))
    assert (split.pending, split.patient_due, split.amo) == (D("30.00"), D("0.00"), D("0.00"))
    assert split.claims() == {PayerType.PENDING: D("30.00")}


def test_emergency_is_exempt_from_the_pathway_rule() -> None:
    split = compute_split(
        acts=[g()], coverage=cover(has_medecin_traitant=False), pathway_exempt=True
    )
    assert split.amo == D("21.00")


def test_deductible_caps_per_day_and_year() -> None:
    split = compute_split(
        acts=[g()], coverage=cover(), already=AlreadyCharged(pf_day=D("7.00"), pf_year=D("10"))
    )
    assert split.pf == D("1.00")
    split = compute_split(acts=[g()], coverage=cover(), already=AlreadyCharged(pf_year=D("50")))
    assert split.pf == D("0.00")
    old = compute_split(
        acts=[g("26.50")], coverage=cover(), deductibles=Deductibles(pf_amount=D(1))
    )
    assert old.pf == D("1.00")


def test_rounding_is_half_up_once() -> None:
    assert to_cents(D("0.005")) == D("0.01")
    assert share(D("3.15"), D("0.70")) == D("2.21")  # 2.205 → 2.21


amounts = st.decimals(min_value=D("0.01"), max_value=D("500"), places=2)
rates = st.sampled_from([D("0.60"), D("0.70"), D("1.00"), D("0.30")])
coverages = st.builds(
    CoverageSummary,
    on=st.just(ON),
    age=st.integers(0, 100),
    has_amo=st.booleans(),
    c2s=st.booleans(),
    ame=st.booleans(),
    ald=st.booleans(),
    maternity=st.booleans(),
    work_accident=st.booleans(),
    has_medecin_traitant=st.booleans(),
    amc=st.one_of(
        st.none(),
        st.builds(ComplementaryCover, st.just("M"), st.just("1"), st.just("C"), st.booleans()),
    ),
)
acts_strategy = st.lists(
    st.builds(
        PricedAct,
        code=st.just("X"),
        label=st.just("Acte"),
        unit_price=amounts,
        coefficient=st.sampled_from([D(1), D("1.5"), D("13.5"), D(2)]),
        amo_rate=rates,
        kind=st.sampled_from([ActKind.DOCTOR, ActKind.AUXILIARY, ActKind.NONE]),
        is_modifier=st.booleans(),
        care_pathway=st.booleans(),
    ),
    min_size=1,
    max_size=5,
)


@given(acts=acts_strategy, coverage=coverages, ald=st.booleans(), exempt=st.booleans())
def test_shares_add_up_and_are_never_negative(
    acts: list[PricedAct], coverage: CoverageSummary, ald: bool, exempt: bool
) -> None:
    split = compute_split(acts=acts, coverage=coverage, related_to_ald=ald, pathway_exempt=exempt)
    parts = (split.amo, split.amc, split.patient_share, split.pending)
    assert all(p >= 0 for p in (*parts, split.patient_due, split.pf, split.franchise))
    assert sum(parts) == split.total == sum(a.amount for a in acts)
    claimed = sum(split.claims().values(), D(0))
    assert claimed + split.patient_due == split.total
    assert split.pf <= D("8.00") and split.franchise <= D("4.00")
    assert all(p == to_cents(p) for p in parts)
