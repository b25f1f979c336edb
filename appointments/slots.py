"""Slot arithmetic: free slots = opening plages − absences − public holidays − booked
appointments. Everything here is a pure function of its arguments (no database), so that the
property tests can explore it freely; `appointments.selectors.find_slots` loads the data.

Plages are written in Paris wall-clock time (« lundi 9:00–12:30 ») and turned into aware
datetimes day by day, so that a plage keeps its wall-clock hours across DST changes. All
arithmetic after that is done on aware datetimes (absolute time), so that a slot of 20 minutes
lasts 20 real minutes even on the night the clocks change.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

PARIS = ZoneInfo("Europe/Paris")
UTC = datetime.UTC


@dataclass(frozen=True, order=True)
class Interval:
    start: datetime.datetime
    end: datetime.datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class WeeklyPlage:
    practitioner_id: int
    site_id: int
    weekday: int  # 0 = Monday
    start_time: datetime.time
    end_time: datetime.time
    valid_from: datetime.date
    valid_until: datetime.date | None = None
    open_on_public_holidays: bool = False


@dataclass(frozen=True)
class ExtraPlage:
    practitioner_id: int
    site_id: int
    date: datetime.date
    start_time: datetime.time
    end_time: datetime.time


@dataclass(frozen=True, order=True)
class Slot:
    start: datetime.datetime
    end: datetime.datetime
    practitioner_id: int
    site_id: int


@dataclass(frozen=True)
class Opening:
    practitioner_id: int
    site_id: int
    interval: Interval


@lru_cache(maxsize=32)
def french_public_holidays(year: int) -> frozenset[datetime.date]:
    """Public holidays of metropolitan France (the `holidays` package follows the Code du
    travail, art. L3133-1)."""
    return frozenset(holidays.France(years=year).keys())


def public_holidays_between(start: datetime.date, end: datetime.date) -> frozenset[datetime.date]:
    days: set[datetime.date] = set()
    for year in range(start.year, end.year + 1):
        days |= french_public_holidays(year)
    return frozenset(d for d in days if start <= d <= end)


def local_datetime(
    day: datetime.date, time: datetime.time, tz: ZoneInfo = PARIS
) -> datetime.datetime:
    """The instant (in UTC) of wall-clock `time` on `day`. A time that does not exist (inside the
    spring-forward gap, 2:00–3:00 in Paris) is moved forward past the gap, as a wall clock
    would be; an ambiguous one (autumn, 2:00–3:00 twice) takes its first occurrence."""
    naive = datetime.datetime.combine(day, time)
    aware = naive.replace(tzinfo=tz, fold=0)
    # Returned in UTC: Python subtracts two datetimes that share a tzinfo by wall clock,
    # ignoring the offset change, so slot arithmetic in Paris time would be wrong on the DST
    # nights. The round trip through UTC also normalises non-existent wall times.
    return aware.astimezone(UTC)


def expand_plages(
    *,
    weekly: Iterable[WeeklyPlage],
    extra: Iterable[ExtraPlage],
    first_day: datetime.date,
    last_day: datetime.date,
    closed_days: frozenset[datetime.date] = frozenset(),
    tz: ZoneInfo = PARIS,
) -> list[Opening]:
    """Concrete openings for each day from `first_day` to `last_day` inclusive. Weekly plages
    are skipped on `closed_days` (public holidays) unless they say otherwise; one-off plages
    are explicit and always count."""
    weekly_by_day: dict[int, list[WeeklyPlage]] = {}
    for plage in weekly:
        weekly_by_day.setdefault(plage.weekday, []).append(plage)
    openings: list[Opening] = []
    day = first_day
    while day <= last_day:
        for plage in weekly_by_day.get(day.weekday(), ()):
            if day < plage.valid_from or (plage.valid_until and day > plage.valid_until):
                continue
            if day in closed_days and not plage.open_on_public_holidays:
                continue
            start = local_datetime(day, plage.start_time, tz)
            end = local_datetime(day, plage.end_time, tz)
            if end > start:
                openings.append(Opening(plage.practitioner_id, plage.site_id, Interval(start, end)))
        day += datetime.timedelta(days=1)
    for one in extra:
        if first_day <= one.date <= last_day:
            start = local_datetime(one.date, one.start_time, tz)
            end = local_datetime(one.date, one.end_time, tz)
            if end > start:
                openings.append(Opening(one.practitioner_id, one.site_id, Interval(start, end)))
    return openings


def subtract(base: Interval, removals: Sequence[Interval]) -> list[Interval]:
    """Parts of `base` not covered by any of `removals`, in order."""
    pieces = [base]
    for cut in sorted(removals):
        if cut.end <= base.start or cut.start >= base.end:
            continue
        next_pieces: list[Interval] = []
        for piece in pieces:
            if not piece.overlaps(cut):
                next_pieces.append(piece)
                continue
            if piece.start < cut.start:
                next_pieces.append(Interval(piece.start, cut.start))
            if cut.end < piece.end:
                next_pieces.append(Interval(cut.end, piece.end))
        pieces = next_pieces
    return pieces


def tile(free: Interval, duration: datetime.timedelta) -> list[Interval]:
    """Consecutive slots of `duration` from the start of `free`; a remainder too short for
    one consultation is left out."""
    if duration <= datetime.timedelta(0):
        raise ValueError("duration must be positive")
    slots: list[Interval] = []
    cursor = free.start
    while cursor + duration <= free.end:
        slots.append(Interval(cursor, cursor + duration))
        cursor += duration
    return slots


def free_slots(
    *,
    openings: Iterable[Opening],
    busy: dict[int, list[Interval]],
    duration: datetime.timedelta,
    not_before: datetime.datetime | None = None,
) -> list[Slot]:
    """Slots of `duration` inside `openings`, avoiding each practitioner's `busy` intervals
    (appointments and absences) and anything starting before `not_before` (now)."""
    slots: list[Slot] = []
    for opening in openings:
        removals = list(busy.get(opening.practitioner_id, ()))
        if not_before is not None and not_before > opening.interval.start:
            removals.append(Interval(opening.interval.start, not_before))
        for piece in subtract(opening.interval, removals):
            for interval in tile(piece, duration):
                slots.append(
                    Slot(interval.start, interval.end, opening.practitioner_id, opening.site_id)
                )
    slots.sort()
    return slots
