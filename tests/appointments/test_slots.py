"""Slot arithmetic: schedules − absences − public holidays − appointments, across DST."""

from __future__ import annotations

import datetime
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from appointments.slots import (
    PARIS,
    ExtraPlage,
    Interval,
    Opening,
    WeeklyPlage,
    expand_plages,
    free_slots,
    local_datetime,
    public_holidays_between,
    subtract,
    tile,
)

UTC = datetime.UTC
MIN = datetime.timedelta(minutes=1)


def paris(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime.datetime:
    return local_datetime(datetime.date(y, m, d), datetime.time(hh, mm))


def test_a_morning_plage_gives_consecutive_20_minute_slots() -> None:
    plage = WeeklyPlage(1, 1, 0, datetime.time(9), datetime.time(12, 30), datetime.date(2027, 1, 4))
    openings = expand_plages(
        weekly=[plage],
        extra=[],
        first_day=datetime.date(2027, 1, 4),
        last_day=datetime.date(2027, 1, 4),
    )
    slots = free_slots(openings=openings, busy={}, duration=20 * MIN)
    assert len(slots) == 10  # 3 h 30 = 10 × 20 min + 10 min left over
    assert slots[0].start == paris(2027, 1, 4, 9)
    assert slots[-1].end == paris(2027, 1, 4, 12, 20)


def test_validity_dates_and_weekday_are_respected() -> None:
    plage = WeeklyPlage(
        1,
        1,
        0,
        datetime.time(9),
        datetime.time(10),
        datetime.date(2027, 1, 4),
        datetime.date(2027, 1, 18),
    )
    openings = expand_plages(
        weekly=[plage],
        extra=[],
        first_day=datetime.date(2026, 12, 28),
        last_day=datetime.date(2027, 1, 31),
    )
    assert [o.interval.start.date() for o in openings] == [
        datetime.date(2027, 1, 4),
        datetime.date(2027, 1, 11),
        datetime.date(2027, 1, 18),
    ]


def test_public_holidays_close_weekly_plages_but_not_one_off_ones() -> None:
    # Monday 2026-04-06 is Easter Monday (lundi de Pâques).
    day = datetime.date(2026, 4, 6)
    assert day in public_holidays_between(day, day)
    weekly = WeeklyPlage(1, 1, 0, datetime.time(9), datetime.time(10), datetime.date(2026, 1, 5))
    closed = public_holidays_between(day, day)
    assert (
        expand_plages(weekly=[weekly], extra=[], first_day=day, last_day=day, closed_days=closed)
        == []
    )
    opened = WeeklyPlage(
        1,
        1,
        0,
        datetime.time(9),
        datetime.time(10),
        datetime.date(2026, 1, 5),
        open_on_public_holidays=True,
    )
    assert (
        len(
            expand_plages(
                weekly=[opened], extra=[], first_day=day, last_day=day, closed_days=closed
            )
        )
        == 1
    )
    extra = ExtraPlage(1, 1, day, datetime.time(14), datetime.time(15))
    assert (
        len(
            expand_plages(weekly=[], extra=[extra], first_day=day, last_day=day, closed_days=closed)
        )
        == 1
    )


def test_french_holidays_include_the_usual_days() -> None:
    days = public_holidays_between(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
    for expected in (
        "2026-01-01",
        "2026-05-01",
        "2026-05-08",
        "2026-07-14",
        "2026-11-11",
        "2026-12-25",
    ):
        assert datetime.date.fromisoformat(expected) in days
    assert len(days) == 11


def test_absences_and_appointments_hide_slots() -> None:
    opening = Opening(1, 1, Interval(paris(2027, 1, 4, 9), paris(2027, 1, 4, 11)))
    busy = {
        1: [
            Interval(paris(2027, 1, 4, 9, 20), paris(2027, 1, 4, 9, 40)),  # appointment
            Interval(paris(2027, 1, 4, 10), paris(2027, 1, 4, 23)),  # absence from 10:00
        ]
    }
    slots = free_slots(openings=[opening], busy=busy, duration=20 * MIN)
    assert [s.start.astimezone(PARIS).strftime("%H:%M") for s in slots] == ["09:00", "09:40"]


def test_slots_already_started_are_not_offered() -> None:
    opening = Opening(1, 1, Interval(paris(2027, 1, 4, 9), paris(2027, 1, 4, 10)))
    slots = free_slots(
        openings=[opening], busy={}, duration=20 * MIN, not_before=paris(2027, 1, 4, 9, 5)
    )
    assert [s.start for s in slots] == [paris(2027, 1, 4, 9, 5), paris(2027, 1, 4, 9, 25)]


# --- DST weekends (Europe/Paris): 2026-03-29, 2026-10-25, 2027-03-28, 2027-10-31 ------------


def test_spring_forward_sunday_night_plage_is_one_hour_shorter() -> None:
    for day in (datetime.date(2026, 3, 29), datetime.date(2027, 3, 28)):
        plage = WeeklyPlage(1, 1, 6, datetime.time(1), datetime.time(4), datetime.date(2026, 1, 1))
        [opening] = expand_plages(weekly=[plage], extra=[], first_day=day, last_day=day)
        assert opening.interval.end - opening.interval.start == datetime.timedelta(hours=2)
        slots = free_slots(openings=[opening], busy={}, duration=30 * MIN)
        assert len(slots) == 4
        # Each slot lasts 30 real minutes; the wall clock jumps from 01:30→03:00 offsets.
        assert all(s.end - s.start == 30 * MIN for s in slots)
        assert slots[2].start.astimezone(PARIS).strftime("%H:%M") == "03:00"


def test_fall_back_sunday_night_plage_is_one_hour_longer() -> None:
    for day in (datetime.date(2026, 10, 25), datetime.date(2027, 10, 31)):
        plage = WeeklyPlage(1, 1, 6, datetime.time(1), datetime.time(4), datetime.date(2026, 1, 1))
        [opening] = expand_plages(weekly=[plage], extra=[], first_day=day, last_day=day)
        assert opening.interval.end - opening.interval.start == datetime.timedelta(hours=4)
        assert len(free_slots(openings=[opening], busy={}, duration=30 * MIN)) == 8


def test_monday_after_dst_change_keeps_wall_clock_hours() -> None:
    for monday in (
        datetime.date(2026, 3, 30),
        datetime.date(2026, 10, 26),
        datetime.date(2027, 4, 5),  # 2027-03-29 is Easter Monday
        datetime.date(2027, 11, 8),  # 2027-11-01 is a holiday
    ):
        plage = WeeklyPlage(
            1, 1, 0, datetime.time(9), datetime.time(12, 30), datetime.date(2026, 1, 1)
        )
        openings = expand_plages(
            weekly=[plage],
            extra=[],
            first_day=monday - datetime.timedelta(days=14),
            last_day=monday,
        )
        for opening in openings:
            local = opening.interval.start.astimezone(PARIS)
            assert (local.hour, local.minute) == (9, 0)
            assert opening.interval.end - opening.interval.start == datetime.timedelta(
                hours=3, minutes=30
            )
        # 9:00 Paris is 08:00 UTC in winter and 07:00 UTC in summer.
        utc_hours = {o.interval.start.astimezone(UTC).hour for o in openings}
        assert utc_hours == {7, 8}


def test_non_existent_wall_time_moves_past_the_gap() -> None:
    moved = local_datetime(datetime.date(2026, 3, 29), datetime.time(2, 30))
    assert moved.astimezone(PARIS).strftime("%H:%M") == "03:30"


# --- properties ---------------------------------------------------------------------------

BASE = datetime.datetime(2026, 3, 28, 0, 0, tzinfo=UTC)  # the DST weekend is inside the range

minutes = st.integers(min_value=0, max_value=4 * 24 * 60)


@st.composite
def intervals(draw: st.DrawFn, max_len: int = 6 * 60) -> Interval:
    start = BASE + draw(minutes) * MIN
    return Interval(start, start + draw(st.integers(1, max_len)) * MIN)


@settings(max_examples=300, deadline=None)
@given(
    openings=st.lists(intervals(), min_size=1, max_size=4),
    busy=st.lists(intervals(max_len=120), max_size=12),
    duration=st.sampled_from([10, 15, 20, 30, 40, 60]),
)
def test_free_slots_lie_in_openings_avoid_busy_times_and_never_overlap(
    openings: list[Interval], busy: list[Interval], duration: int
) -> None:
    slots = free_slots(
        openings=[Opening(1, 1, o) for o in openings], busy={1: busy}, duration=duration * MIN
    )
    for slot in slots:
        assert slot.end - slot.start == duration * MIN
        assert any(o.start <= slot.start and slot.end <= o.end for o in openings)
        assert not any(Interval(slot.start, slot.end).overlaps(b) for b in busy)
    if len({(o.start, o.end) for o in openings}) == len(openings) and not any(
        a.overlaps(b) for i, a in enumerate(openings) for b in openings[i + 1 :]
    ):
        for a, b in itertools.pairwise(slots):
            assert a.end <= b.start


@settings(max_examples=300, deadline=None)
@given(base=intervals(max_len=24 * 60), cuts=st.lists(intervals(max_len=180), max_size=10))
def test_subtract_keeps_exactly_the_uncovered_minutes(base: Interval, cuts: list[Interval]) -> None:
    pieces = subtract(base, cuts)
    covered = 0
    for piece in pieces:
        assert base.start <= piece.start < piece.end <= base.end
        assert not any(piece.overlaps(c) for c in cuts)
        covered += int((piece.end - piece.start) / MIN)
    # Minute by minute, the pieces are the base minus the cuts.
    expected = 0
    t = base.start
    while t < base.end:
        if not any(c.start <= t < c.end for c in cuts):
            expected += 1
        t += MIN
    assert covered == expected


@settings(max_examples=200, deadline=None)
@given(free=intervals(max_len=12 * 60), duration=st.integers(1, 120))
def test_tile_is_maximal(free: Interval, duration: int) -> None:
    slots = tile(free, duration * MIN)
    length = int((free.end - free.start) / MIN)
    assert len(slots) == length // duration


@settings(max_examples=150, deadline=None)
@given(
    first=st.dates(min_value=datetime.date(2026, 1, 1), max_value=datetime.date(2027, 12, 1)),
    span=st.integers(0, 40),
    weekday=st.integers(0, 6),
    start_minute=st.integers(0, 23 * 60),
    length=st.integers(15, 8 * 60),
)
def test_expanded_plages_keep_wall_clock_start_and_skip_holidays(
    first: datetime.date, span: int, weekday: int, start_minute: int, length: int
) -> None:
    start = datetime.time(start_minute // 60, start_minute % 60)
    end_minute = min(start_minute + length, 24 * 60 - 1)
    end = datetime.time(end_minute // 60, end_minute % 60)
    last = first + datetime.timedelta(days=span)
    closed = public_holidays_between(first, last)
    plage = WeeklyPlage(1, 1, weekday, start, end, datetime.date(2026, 1, 1))
    openings = expand_plages(
        weekly=[plage], extra=[], first_day=first, last_day=last, closed_days=closed
    )
    for opening in openings:
        local_start = opening.interval.start.astimezone(PARIS)
        assert local_start.weekday() == weekday
        assert local_start.date() not in closed
        assert opening.interval.end > opening.interval.start
        # Wall clock kept, except inside the spring-forward gap where it moves one hour on.
        if local_start.time() != start:
            assert (
                local_start.time()
                == (datetime.datetime.combine(first, start) + datetime.timedelta(hours=1)).time()
            )
    expected_days = [
        first + datetime.timedelta(days=i)
        for i in range(span + 1)
        if (first + datetime.timedelta(days=i)).weekday() == weekday
        and first + datetime.timedelta(days=i) not in closed
    ]
    assert len(openings) <= len(expected_days)
