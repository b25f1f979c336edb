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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
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


@lru_cache(maxsize=64)
def _holiday_calendar(year: int, subdivision: str) -> dict[datetime.date, str]:
    return dict(holidays.France(subdiv=subdivision or None, years=year, language="fr").items())


def public_holiday_names(
    start: datetime.date, end: datetime.date, subdivision: str = ""
) -> dict[datetime.date, str]:
    """Public holidays from `start` to `end` inclusive, with their French names, in the
    calendar of `subdivision` (`centre.models.HolidaySubdivision`; "" = metropolitan France).

    The `holidays` package follows the Code du travail: art. L3133-1 lists the eleven public
    holidays of the whole country; art. L3134-13 adds Good Friday (where there is a Protestant
    church) and 26 December in Moselle, Bas-Rhin and Haut-Rhin (subdivisions "57", "6AE");
    the overseas departments add the commemoration of the abolition of slavery (loi
    n° 83-550 of 30 June 1983) on their own date ("971"…"976")."""
    days: dict[datetime.date, str] = {}
    for year in range(start.year, end.year + 1):
        days |= _holiday_calendar(year, subdivision)
    return {d: name for d, name in days.items() if start <= d <= end}


def french_public_holidays(year: int, subdivision: str = "") -> frozenset[datetime.date]:
    """Public holidays of one year (metropolitan France unless `subdivision` says otherwise)."""
    return frozenset(_holiday_calendar(year, subdivision))


def public_holidays_between(
    start: datetime.date, end: datetime.date, subdivision: str = ""
) -> frozenset[datetime.date]:
    return frozenset(public_holiday_names(start, end, subdivision))


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
    closed_days_by_site: Mapping[int, frozenset[datetime.date]] | None = None,
    tz: ZoneInfo = PARIS,
) -> list[Opening]:
    """Concrete openings for each day from `first_day` to `last_day` inclusive. Weekly plages
    are skipped on `closed_days` (public holidays) unless they say otherwise; one-off plages
    are explicit and always count. `closed_days_by_site` gives a site its own calendar (a
    site in Moselle closes on 26 December); a site missing from it uses `closed_days`."""
    weekly_by_day: dict[int, list[WeeklyPlage]] = {}
    for plage in weekly:
        weekly_by_day.setdefault(plage.weekday, []).append(plage)
    openings: list[Opening] = []
    day = first_day
    while day <= last_day:
        for plage in weekly_by_day.get(day.weekday(), ()):
            if day < plage.valid_from or (plage.valid_until and day > plage.valid_until):
                continue
            closed = (
                closed_days_by_site.get(plage.site_id, closed_days)
                if closed_days_by_site is not None
                else closed_days
            )
            if day in closed and not plage.open_on_public_holidays:
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


# --- booking rules ----------------------------------------------------------------------------


class Rule(StrEnum):
    """A booking rule that reception or direction may override with a reason."""

    OUTSIDE_PLAGE = "hors_plage"
    ABSENCE = "absence"
    PUBLIC_HOLIDAY = "jour_ferie"


RULE_LABELS = {
    Rule.OUTSIDE_PLAGE: "Hors plage",
    Rule.ABSENCE: "Pendant une absence",
    Rule.PUBLIC_HOLIDAY: "Jour férié",
}


@dataclass(frozen=True)
class Breach:
    rule: Rule
    message: str


def local_days(interval: Interval, tz: ZoneInfo = PARIS) -> list[datetime.date]:
    """The wall-clock days an interval touches (its end excluded: 10:00–00:00 is one day)."""
    first = interval.start.astimezone(tz).date()
    last = (interval.end - datetime.timedelta(microseconds=1)).astimezone(tz).date()
    days = [first]
    while days[-1] < last:
        days.append(days[-1] + datetime.timedelta(days=1))
    return days


def is_covered(interval: Interval, by: Iterable[Interval]) -> bool:
    """True when every instant of `interval` lies in one of `by` (adjacent plages join)."""
    return not subtract(interval, list(by))


def booking_breaches(
    *,
    interval: Interval,
    practitioner_id: int,
    site_id: int,
    weekly: Iterable[WeeklyPlage],
    extra: Iterable[ExtraPlage],
    absences: Iterable[Interval],
    holidays: Mapping[datetime.date, str],
    require_plage: bool = True,
    tz: ZoneInfo = PARIS,
) -> list[Breach]:
    """The rules a booking of `interval` with this practitioner at this site breaks, the same
    arithmetic as the slot search (`expand_plages`, `subtract`), so that every slot offered
    books without a breach (property-tested).

    - inside an opening of the practitioner at that site (weekly plage, one-off plage) —
      unless `require_plage` is false (a walk-in: the patient came without an appointment);
    - not overlapping an absence of the practitioner;
    - not on a public holiday of the site's calendar (`holidays`), unless an opening covers
      the time anyway (a weekly plage « ouvert les jours fériés » or a one-off plage)."""
    weekly = [p for p in weekly if p.practitioner_id == practitioner_id and p.site_id == site_id]
    extra = [p for p in extra if p.practitioner_id == practitioner_id and p.site_id == site_id]
    days = local_days(interval, tz)
    closed = frozenset(d for d in days if d in holidays)

    def openings(closed_days: frozenset[datetime.date]) -> list[Interval]:
        return [
            o.interval
            for o in expand_plages(
                weekly=weekly,
                extra=extra,
                first_day=days[0],
                last_day=days[-1],
                closed_days=closed_days,
                tz=tz,
            )
        ]

    breaches: list[Breach] = []
    open_now = is_covered(interval, openings(closed))
    if not open_now and closed:
        names = ", ".join(f"{holidays[d]} ({d:%d/%m/%Y})" for d in sorted(closed))
        breaches.append(Breach(Rule.PUBLIC_HOLIDAY, f"ce jour est férié pour ce site : {names}"))
    if require_plage and not open_now and not is_covered(interval, openings(frozenset())):
        breaches.append(
            Breach(
                Rule.OUTSIDE_PLAGE,
                "cet horaire est en dehors des plages d'ouverture de ce·tte soignant·e sur ce site",
            )
        )
    if any(interval.overlaps(a) for a in absences):
        breaches.append(Breach(Rule.ABSENCE, "ce·tte soignant·e est absent·e à ce moment-là"))
    return breaches
