"""Properties of the booking rule (`slots.booking_breaches`), a pure function like the slot
search: every slot the search offers books without a breach, whatever the plages, absences,
holidays and DST changes; a time overlapping an absence always breaks the absence rule; a
holiday of the site's calendar breaks the holiday rule unless a plage opens that day."""

from __future__ import annotations

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from appointments.slots import (
    PARIS,
    ExtraPlage,
    Interval,
    Rule,
    WeeklyPlage,
    booking_breaches,
    expand_plages,
    free_slots,
    local_datetime,
    public_holiday_names,
)

MIN = datetime.timedelta(minutes=1)
FIRST = datetime.date(2030, 3, 25)  # the week of the spring DST change (31 March 2030)
LAST = FIRST + datetime.timedelta(days=13)
SUBDIVISIONS = st.sampled_from(["", "57", "6AE", "971", "974"])


@st.composite
def weekly_plages(draw: st.DrawFn) -> WeeklyPlage:
    start = draw(st.integers(0, 22 * 60))
    end = draw(st.integers(start + 15, 24 * 60 - 1))
    return WeeklyPlage(
        practitioner_id=1,
        site_id=draw(st.sampled_from([1, 2])),
        weekday=draw(st.integers(0, 6)),
        start_time=datetime.time(start // 60, start % 60),
        end_time=datetime.time(end // 60, end % 60),
        valid_from=FIRST - datetime.timedelta(days=draw(st.integers(0, 30))),
        open_on_public_holidays=draw(st.booleans()),
    )


@st.composite
def extra_plages(draw: st.DrawFn) -> ExtraPlage:
    start = draw(st.integers(0, 22 * 60))
    end = draw(st.integers(start + 15, 24 * 60 - 1))
    return ExtraPlage(
        1,
        draw(st.sampled_from([1, 2])),
        FIRST + datetime.timedelta(days=draw(st.integers(0, 13))),
        datetime.time(start // 60, start % 60),
        datetime.time(end // 60, end % 60),
    )


@st.composite
def absences(draw: st.DrawFn) -> Interval:
    start = local_datetime(FIRST, datetime.time()) + draw(st.integers(0, 14 * 24 * 60)) * MIN
    return Interval(start, start + draw(st.integers(1, 3 * 24 * 60)) * MIN)


@settings(max_examples=200, deadline=None)
@given(
    weekly=st.lists(weekly_plages(), max_size=5),
    extra=st.lists(extra_plages(), max_size=3),
    away=st.lists(absences(), max_size=3),
    subdivision=SUBDIVISIONS,
    duration=st.sampled_from([10, 20, 30, 45]),
)
def test_every_slot_offered_books_without_a_breach(
    weekly: list[WeeklyPlage],
    extra: list[ExtraPlage],
    away: list[Interval],
    subdivision: str,
    duration: int,
) -> None:
    holidays = public_holiday_names(FIRST, LAST, subdivision)
    openings = expand_plages(
        weekly=weekly,
        extra=extra,
        first_day=FIRST,
        last_day=LAST,
        closed_days=frozenset(holidays),
    )
    slots = free_slots(openings=openings, busy={1: away}, duration=duration * MIN)
    for slot in slots:
        assert (
            booking_breaches(
                interval=Interval(slot.start, slot.end),
                practitioner_id=1,
                site_id=slot.site_id,
                weekly=weekly,
                extra=extra,
                absences=away,
                holidays=holidays,
            )
            == []
        )


@settings(max_examples=200, deadline=None)
@given(
    weekly=st.lists(weekly_plages(), max_size=5),
    away=absences(),
    offset=st.integers(-60, 60),
    length=st.integers(5, 120),
    require_plage=st.booleans(),
)
def test_a_time_overlapping_an_absence_breaks_the_absence_rule(
    weekly: list[WeeklyPlage], away: Interval, offset: int, length: int, require_plage: bool
) -> None:
    start = max(away.start + offset * MIN, away.start - (length - 1) * MIN)
    interval = Interval(start, start + length * MIN)
    rules = {
        b.rule
        for b in booking_breaches(
            interval=interval,
            practitioner_id=1,
            site_id=1,
            weekly=weekly,
            extra=[],
            absences=[away],
            holidays={},
            require_plage=require_plage,
        )
    }
    assert (Rule.ABSENCE in rules) == interval.overlaps(away)


@settings(max_examples=100, deadline=None)
@given(
    subdivision=SUBDIVISIONS,
    year=st.integers(2026, 2040),
    hour=st.integers(0, 22),
    open_on_holidays=st.booleans(),
)
def test_a_holiday_of_the_site_breaks_the_holiday_rule_unless_a_plage_opens_it(
    subdivision: str, year: int, hour: int, open_on_holidays: bool
) -> None:
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    holidays = public_holiday_names(first, last, subdivision)
    for day in holidays:
        start = local_datetime(day, datetime.time(hour))
        plage = WeeklyPlage(
            1,
            1,
            day.weekday(),
            datetime.time(0),
            datetime.time(23, 59),
            first,
            open_on_public_holidays=open_on_holidays,
        )
        rules = [
            b.rule
            for b in booking_breaches(
                interval=Interval(start, start + 20 * MIN),
                practitioner_id=1,
                site_id=1,
                weekly=[plage],
                extra=[],
                absences=[],
                holidays=holidays,
            )
        ]
        assert rules == ([] if open_on_holidays else [Rule.PUBLIC_HOLIDAY])
        assert start.astimezone(PARIS).date() == day


def test_alsace_moselle_adds_good_friday_and_saint_stephen() -> None:
    """Code du travail art. L3134-13; in metropolitan France both are ordinary days."""
    first, last = datetime.date(2030, 1, 1), datetime.date(2030, 12, 31)
    for subdivision in ("57", "6AE"):
        names = public_holiday_names(first, last, subdivision)
        assert names[datetime.date(2030, 12, 26)] == "Saint-Étienne"
        assert datetime.date(2030, 4, 19) in names  # Good Friday
    metropolitan = public_holiday_names(first, last)
    assert datetime.date(2030, 12, 26) not in metropolitan
    assert datetime.date(2030, 4, 19) not in metropolitan
    assert len(metropolitan) == 11  # art. L3133-1
