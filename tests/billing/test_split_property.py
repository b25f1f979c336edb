"""Property: for any act of the loaded fee schedule, any coverage and any date from
2023-01-01, the shares add up to the total to the cent and none is negative."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from billing import selectors
from billing.models import Act, Tariff
from billing.money import to_cents
from billing.pricing import (
    AlreadyCharged,
    Exemption,
    Pathway,
    PathwayError,
    PricedAct,
    compute_split,
)
from patients.coverage import ComplementaryCover, CoverageSummary, WorkAccident

D = Decimal
ZERO = D("0.00")


@pytest.mark.django_db
def test_shares_add_up_for_any_act_coverage_and_date() -> None:
    tariffs: dict[str, list[Tariff]] = {}
    for tariff in Tariff.objects.select_related("act").order_by("-valid_from"):
        tariffs.setdefault(tariff.act.code, []).append(tariff)
    acts = {a.code: a for a in Act.objects.filter(is_active=True)}
    assert len(acts) == 26  # the whole fee schedule (0002, 0004, 0006), every profession
    deductibles = {}

    def priced(code: str, on: datetime.date, coefficient: Decimal) -> PricedAct | None:
        act = acts[code]
        tariff = next((t for t in tariffs.get(code, []) if t.valid_from <= on), None)
        if tariff is None:
            return None
        return PricedAct(
            code=code,
            label=act.label,
            unit_price=tariff.unit_price,
            coefficient=coefficient,
            amo_rate=tariff.amo_rate,
            kind=act.kind,
            is_modifier=act.is_modifier,
            care_pathway=act.care_pathway,
            exemption=act.exemption,
        )

    coverages = st.builds(
        CoverageSummary,
        on=st.just(datetime.date(2025, 1, 1)),
        age=st.integers(0, 100),
        has_amo=st.booleans(),
        age_on_january_1=st.none() | st.integers(0, 100),
        c2s=st.booleans(),
        ame=st.booleans(),
        ald=st.booleans(),
        maternity=st.booleans(),
        work_accident=st.booleans(),
        work_accidents=st.lists(
            st.builds(
                WorkAccident,
                number=st.sampled_from(["AT1", "AT2"]),
                date=st.just(datetime.date(2024, 5, 2)),
            ),
            max_size=2,
        ).map(tuple),
        invalidity=st.booleans(),
        has_medecin_traitant=st.booleans(),
        medecin_traitant_in_centre=st.booleans(),
        amc=st.none()
        | st.builds(ComplementaryCover, st.just("M"), st.just("1"), st.just("C"), st.booleans()),
    )

    @settings(
        max_examples=200,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(
        codes=st.lists(st.sampled_from(sorted(acts)), min_size=1, max_size=4),
        coefficients=st.lists(st.sampled_from([D(1), D("1.5"), D(3), D("13.5")]), min_size=4),
        on=st.dates(datetime.date(2023, 1, 1), datetime.date(2026, 12, 31)),
        coverage=coverages,
        pathway=st.none() | st.sampled_from([code for code, _ in Pathway.CHOICES]),
        flags=st.tuples(st.booleans(), st.booleans(), st.booleans(), st.booleans()),
        direct_access=st.booleans(),
        charged=st.tuples(*(st.integers(0, 60) for _ in range(4))),
    )
    def check(
        codes: list[str],
        coefficients: list[Decimal],
        on: datetime.date,
        coverage: CoverageSummary,
        pathway: str | None,
        flags: tuple[bool, bool, bool, bool],
        direct_access: bool,
        charged: tuple[int, int, int, int],
    ) -> None:
        lines = [priced(c, on, k) for c, k in zip(codes, coefficients, strict=False)]
        assume(all(line is not None for line in lines))
        chosen = [line for line in lines if line is not None]
        if on not in deductibles:
            deductibles[on] = selectors.deductibles_on(on)
        params = deductibles[on]
        already = AlreadyCharged(*(D(n) for n in charged))
        ald, work, exempt, prenatal = flags
        try:
            split = compute_split(
                acts=chosen,
                coverage=coverage,
                related_to_ald=ald,
                pathway_exempt=exempt,
                pathway=pathway,
                direct_access=direct_access,
                related_to_work_accident=work,
                work_accident_number="AT2",
                prenatal_exam=prenatal,
                deductibles=params,
                already=already,
            )
        except PathwayError:
            # Only an indicator that contradicts the record is refused.
            assert pathway in (Pathway.MEDECIN_TRAITANT, Pathway.UNDER_16)
            return
        parts = (split.amo, split.amc, split.patient_share, split.pending)
        money = (*parts, split.patient_due, split.pf, split.franchise)
        assert all(p >= ZERO and p == to_cents(p) for p in money)
        assert (
            sum(parts) == split.total == sum(to_cents(a.unit_price * a.coefficient) for a in chosen)
        )
        if coverage.no_rights:  # the « rights pending » payer carries it all
            assert (split.pending, split.patient_due) == (split.total, ZERO)
        for line in split.lines if not coverage.no_rights else ():
            assert line.amo + line.ticket_moderateur + line.out_of_pathway_extra == line.amount
            assert min(line.amo, line.ticket_moderateur, line.out_of_pathway_extra) >= ZERO
        assert sum(split.claims().values(), ZERO) + split.patient_due == split.total
        assert split.pf <= max(
            ZERO, min(params.pf_day_cap - already.pf_day, params.pf_year_cap - already.pf_year)
        )
        assert split.franchise <= max(
            ZERO,
            min(
                params.franchise_day_cap - already.franchise_day,
                params.franchise_year_cap - already.franchise_year,
            ),
        )
        if split.exemption != Exemption.NONE and not coverage.no_rights:
            assert split.amo == split.total
        if split.out_of_pathway:
            assert split.pathway == Pathway.OUT

    check()
