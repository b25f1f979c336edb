"""Complementary suppression: no hidden count can be given back by sums, by property.

The oracle is independent of `suppression.feasible` (interval reasoning): it enumerates, for
each hidden cell, every value it could take such that the other hidden cells (each within what
its publication says: « < t » is 1…t−1, « secret » is at least t) complete the published sum."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from centre.reports import figures
from centre.reports.indicators import Result, Span, events, persons
from centre.reports.suppression import State, protect


def _values(state: State, true: int, threshold: int, ceiling: int) -> range:
    if state is State.SHOWN:
        return range(true, true + 1)
    if state is State.PRIMARY:
        return range(1, threshold)
    if state is State.WITHHELD:
        return range(0, ceiling + 1)
    return range(threshold, ceiling + 1)


def _possible(
    total: int, parts: list[int], total_state: State, states: list[State], threshold: int
) -> list[set[int]]:
    """For [total, *parts]: the values each cell can take that are consistent with what is
    published and with total = Σ parts (brute force over reachable sums)."""
    ceiling = total + 3 * threshold  # « secret » has no upper bound: a window beyond the truth
    cells = [(total_state, total), *zip(states, parts, strict=True)]
    options = [set(_values(s, v, threshold, ceiling)) for s, v in cells]
    out: list[set[int]] = []
    for i in range(len(cells)):
        # Reachable values of (total − Σ parts) without cell i's term.
        reachable = {0}
        for j, values in enumerate(options):
            if j == i:
                continue
            sign = 1 if j == 0 else -1
            reachable = {r + sign * x for r in reachable for x in values}
        sign_i = 1 if i == 0 else -1
        out.append({x for x in options[i] if -(sign_i * x) in reachable})
    return out


@settings(max_examples=1500, deadline=None)
@given(
    parts=st.lists(st.integers(min_value=0, max_value=25), min_size=1, max_size=6),
    # « < 2 » can only be 1: a threshold protects from 3 up (the setting defaults to 5).
    threshold=st.integers(min_value=3, max_value=7),
)
def test_no_hidden_cell_is_recoverable_by_sums(parts: list[int], threshold: int) -> None:
    total = sum(parts)
    shown = protect(total, parts, threshold)
    states = list(shown.part_states)
    # Every small non-zero count is hidden; zeros are shown.
    for value, state in zip(parts, states, strict=True):
        if 0 < value < threshold:
            assert state in (State.PRIMARY, State.WITHHELD)
        if value == 0:
            assert state is State.SHOWN
    possible = _possible(total, parts, shown.total_state, states, threshold)
    for (state, value), values in zip(
        [(shown.total_state, total), *zip(states, parts, strict=True)], possible, strict=True
    ):
        assert value in values  # the truth is one of them
        if state is not State.SHOWN:
            assert len(values) >= 2, (parts, threshold, shown)


def test_the_issue_case_total_139_visible_parts_138() -> None:
    # Interpreting: 139 consultations, one language 1: without complementary suppression
    # 139 − 138 gives the 1 back. The smallest other part is hidden too.
    shown = protect(139, [1, 100, 38], 5)
    assert shown.part_states == (State.PRIMARY, State.SHOWN, State.SECONDARY)
    assert shown.total_state is State.SHOWN
    # Two small cells adding up to 2 would both be 1: a third cell is hidden.
    assert protect(52, [1, 1, 50], 5).part_states == (State.PRIMARY,) * 2 + (State.SECONDARY,)
    # Two small cells adding up to 6 (1…4 each): nothing more to hide.
    assert protect(56, [3, 3, 50], 5).part_states == (State.PRIMARY,) * 2 + (State.SHOWN,)
    # No other non-zero part: the total is hidden (it would be the hidden cell).
    assert protect(3, [3, 0], 5).total_state is State.PRIMARY
    # Four cells of 1 under a total « < 5 »: the total is at least 4, so exactly 4, and
    # each cell 1, although all are hidden. The partition is withheld (« secret »).
    withheld = protect(4, [1, 1, 1, 1, 0], 5)
    assert withheld.total_state is State.WITHHELD
    assert withheld.part_states == (State.WITHHELD,) * 4 + (State.SHOWN,)


def test_figures_apply_complementary_suppression_to_declared_partitions() -> None:
    result = Result(
        key="x.langues",
        app="x",
        label="Consultations avec interprète",
        definition="",
        unit=events("consultations"),
        value=139,
        breakdown={"ar": 100, "ps": 38, "ta": 1},
        partition=True,
    )
    fig = figures.figure(result, threshold=5)
    assert fig["value"] == 139
    assert fig["breakdown"] == [["ar", 100], ["ps", "secret"], ["ta", "< 5"]]
    # Not declared a partition (parts are subsets): only the small cell is hidden.
    subset = Result(**{**result.__dict__, "partition": False})
    assert figures.figure(subset, threshold=5)["breakdown"][1] == ["ps", 38]


def test_counts_that_are_not_about_people_are_never_hidden() -> None:
    staff = Result(
        key="centre.practitioners",
        app="centre",
        label="Professionnel·le·s de santé",
        definition="",
        unit=persons("professionnel·le·s", secret=False),
        value=7,
        breakdown={"Médecin généraliste": 4, "Sage-femme": 1, "Infirmier·e": 2},
        partition=True,
        span=Span.STOCK,
    )
    fig = figures.figure(staff, threshold=5)
    assert fig["breakdown"] == [["Médecin généraliste", 4], ["Sage-femme", 1], ["Infirmier·e", 2]]
    assert fig["suppressed"] is False
    meetings = Result(
        key="outreach.participation_committee_meetings",
        app="outreach",
        label="Réunions du comité d'usagers",
        definition="",
        unit=events("réunions", secret=False),
        value=2,
        breakdown={"participations": 3},
        part_units={"participations": persons("participations")},
    )
    fig = figures.figure(meetings, threshold=5)
    # The 2 meetings are shown; the 3 participants are people, hidden.
    assert fig["value"] == 2 and fig["breakdown"] == [["participations", "< 5"]]


def test_a_rate_is_hidden_when_its_total_is() -> None:
    weekly = Result(
        key="x.by_week",
        app="x",
        label="Consultations par semaine",
        definition="",
        unit=events("consultations"),
        value=Decimal("0.7"),
        breakdown={"2026-01-05": 3, "2026-01-12": 0},
        span=Span.PER_WEEK,
        partition=True,
        total=3,
    )
    fig = figures.figure(weekly, threshold=5)
    assert fig["value"] == "secret"
    assert fig["breakdown"] == [["2026-01-05", "< 5"], ["2026-01-12", 0]]


def test_survey_answers_get_complementary_suppression_too() -> None:
    from types import SimpleNamespace

    from outreach.participation import results
    from outreach.participation.models import QuestionKind

    # A single-choice question answered 40 times: 1 « Autre », 39 « Trois-Cités ». Without
    # complementary suppression 40 − 39 gives the 1 back.
    rows = [
        results.Row("Trois-Cités", 39, Decimal("97.5")),
        results.Row("Autre", 1, Decimal("2.5")),
    ]
    result = SimpleNamespace(
        question=SimpleNamespace(kind=QuestionKind.SINGLE), answered=40, rows=rows
    )
    for row in rows:
        row.shown = figures.mask(row.count, 5)
    results._protect_partition(result, 5)  # type: ignore[arg-type]
    assert [row.shown for row in rows] == ["secret", "< 5"]
    # A multiple-choice question's rows do not add up to its answers: left as they are.
    multi = SimpleNamespace(
        question=SimpleNamespace(kind=QuestionKind.MULTIPLE), answered=40, rows=rows[:1]
    )
    rows[0].shown = 39
    results._protect_partition(multi, 5)  # type: ignore[arg-type]
    assert rows[0].shown == 39
