"""Layout of the agenda's time grid (day: one column per practitioner; week: one column per
day). Pure functions of their arguments: `appointments.selectors.day_grid` / `week_grid` load
the data, templates render the result as a CSS grid.

Rows are 5-minute steps (`STEP`) of Paris wall-clock time, from the first opening (or
appointment) of the columns to the last, rounded to the hour; 8:00–19:00 when nothing is
open. Each column lists blocks, each placed at a row (`row`, 1-based) with a height in rows
(`span`): the openings (free time is the part of an opening no appointment or absence
covers), the appointments with their motif's colour, the absences and public holidays
(shaded, with their label), and, when a motif is chosen, its bookable slots
(`appointments.slots.free_slots`). The CSS classes `r-<row>` and `s-<span>` place a block:
no inline style, as the Content-Security-Policy wants."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from appointments.slots import PARIS, Interval, Opening, Slot, subtract

STEP_MINUTES = 5
STEP = datetime.timedelta(minutes=STEP_MINUTES)
# Free time is offered in quarter hours: each a link to book there (or Enter on it).
FREE_CHUNK_MINUTES = 15
DEFAULT_HOURS = (8, 19)
MAX_LANES = 3


@dataclass
class Block:
    kind: str  # "open", "free", "slot", "appointment", "absence", "holiday", "busy"
    start: datetime.datetime
    end: datetime.datetime
    row: int = 1
    span: int = 1
    label: str = ""
    obj: Any = None  # the Appointment of an "appointment" block
    lane: int = 0
    lanes: int = 1
    bookable: bool = False  # free time or slot in the future: a link to book there
    site_id: int | None = None  # where free time or a slot is (the week spans sites)

    @property
    def local_start(self) -> datetime.datetime:
        return self.start.astimezone(PARIS)

    @property
    def local_end(self) -> datetime.datetime:
        return self.end.astimezone(PARIS)


@dataclass
class ColumnInput:
    """What one column shows, already loaded: `key` is the practitioner's id (day grid) or
    the day (week grid)."""

    key: Any
    day: datetime.date
    practitioner: Any
    openings: list[Opening] = field(default_factory=list)
    appointments: list[Any] = field(default_factory=list)  # shown with their patient
    other_busy: list[Interval] = field(default_factory=list)  # busy elsewhere (other site)
    absences: list[tuple[Interval, str]] = field(default_factory=list)
    holiday: str = ""
    slots: list[Slot] = field(default_factory=list)
    title: str = ""


@dataclass
class GridColumn:
    key: Any
    day: datetime.date
    practitioner: Any
    title: str
    holiday: str
    background: list[Block]  # openings, absences, holiday: shaded layers
    blocks: list[Block]  # free time or slots, appointments: the things one acts on
    inactive: list[Any]  # cancelled, excused, no-show: listed under the column
    appointments: list[Any]  # every appointment of the column, time order


@dataclass
class TimeGrid:
    first_minute: int  # minutes after midnight of the first row
    rows: int
    columns: list[GridColumn]
    hour_labels: list[Block]

    @property
    def appointment_count(self) -> int:
        return sum(len(c.appointments) for c in self.columns)


def _minute_of_day(moment: datetime.datetime) -> int:
    local = moment.astimezone(PARIS)
    return local.hour * 60 + local.minute


def bounds(columns: Sequence[ColumnInput]) -> tuple[int, int]:
    """First and last minute of the grid (whole hours)."""
    starts: list[int] = []
    ends: list[int] = []
    for c in columns:
        for opening in c.openings:
            starts.append(_minute_of_day(opening.interval.start))
            ends.append(_minute_of_day(opening.interval.end) or 24 * 60)
        for a in c.appointments:
            starts.append(_minute_of_day(a.start))
            ends.append(_minute_of_day(a.end) or 24 * 60)
    if not starts:
        return DEFAULT_HOURS[0] * 60, DEFAULT_HOURS[1] * 60
    first = min(starts) // 60 * 60
    last = -(-max(ends) // 60) * 60
    return first, max(last, first + 60)


def _place(block: Block, first_minute: int, rows: int, day: datetime.date) -> Block | None:
    """Row and span of a block clipped to the grid and to its day; None when outside."""
    day_start = datetime.datetime.combine(day, datetime.time.min, tzinfo=PARIS)
    start = max(block.start, day_start + datetime.timedelta(minutes=first_minute))
    end = min(block.end, day_start + datetime.timedelta(minutes=first_minute + rows * 5))
    if end <= start:
        return None
    start_minute = _minute_of_day(start)
    end_minute = _minute_of_day(end) or 24 * 60
    if start.astimezone(PARIS).date() != day:
        return None
    block.row = (start_minute - first_minute) // STEP_MINUTES + 1
    block.span = max(1, -(-(end_minute - first_minute) // STEP_MINUTES) - block.row + 1)
    return block


def _chunks(free: Interval, minutes: int) -> list[Interval]:
    """`free` cut at the wall-clock multiples of `minutes` (9:20–10:00 → 9:20–9:30,
    9:30–9:45, 9:45–10:00)."""
    pieces: list[Interval] = []
    cursor = free.start
    while cursor < free.end:
        m = _minute_of_day(cursor)
        step = minutes - m % minutes
        nxt = min(free.end, cursor + datetime.timedelta(minutes=step))
        pieces.append(Interval(cursor, nxt))
        cursor = nxt
    return pieces


def _lanes(blocks: list[Block]) -> None:
    """Side by side blocks that overlap (a walk-in squeezed over a booking)."""
    cluster: list[Block] = []
    cluster_end: datetime.datetime | None = None
    lanes_end: list[datetime.datetime] = []

    def close() -> None:
        for b in cluster:
            b.lanes = min(MAX_LANES, len(lanes_end))

    for b in sorted(blocks, key=lambda b: (b.start, b.end)):
        if cluster_end is not None and b.start >= cluster_end:
            close()
            cluster, lanes_end = [], []
        for i, end in enumerate(lanes_end):
            if end <= b.start:
                lanes_end[i] = b.end
                b.lane = min(i, MAX_LANES - 1)
                break
        else:
            lanes_end.append(b.end)
            b.lane = min(len(lanes_end) - 1, MAX_LANES - 1)
        cluster.append(b)
        cluster_end = b.end if cluster_end is None else max(cluster_end, b.end)
    close()


def build_grid(
    columns: Sequence[ColumnInput],
    *,
    now: datetime.datetime,
    active_statuses: Iterable[str],
    with_slots: bool,
) -> TimeGrid:
    active = set(active_statuses)
    first, last = bounds(columns)
    rows = (last - first) // STEP_MINUTES
    out: list[GridColumn] = []
    for c in columns:
        background: list[Block] = []
        blocks: list[Block] = []
        if c.holiday:
            day_start = datetime.datetime.combine(c.day, datetime.time.min, tzinfo=PARIS)
            background.append(
                Block("holiday", day_start, day_start + datetime.timedelta(days=1), label=c.holiday)
            )
        for opening in c.openings:
            background.append(Block("open", opening.interval.start, opening.interval.end))
        for interval, label in c.absences:
            background.append(Block("absence", interval.start, interval.end, label=label))
        shown = [a for a in c.appointments if a.status in active]
        busy = [Interval(a.start, a.end) for a in shown] + list(c.other_busy)
        busy += [interval for interval, _ in c.absences]
        for interval in c.other_busy:
            blocks.append(Block("busy", interval.start, interval.end, label="Autre site"))
        appointment_blocks = [Block("appointment", a.start, a.end, obj=a) for a in shown]
        _lanes(appointment_blocks)
        blocks += appointment_blocks
        free_parts = [
            (part, o.site_id) for o in c.openings for part in subtract(o.interval, sorted(busy))
        ]
        if with_slots:
            for slot in c.slots:
                blocks.append(
                    Block("slot", slot.start, slot.end, bookable=True, site_id=slot.site_id)
                )
            covered = [Interval(s.start, s.end) for s in c.slots]
            for part, site_id in free_parts:
                for rest in subtract(part, covered):
                    blocks.append(Block("free", rest.start, rest.end, site_id=site_id))
        else:
            for part, site_id in free_parts:
                for piece in _chunks(part, FREE_CHUNK_MINUTES):
                    blocks.append(
                        Block(
                            "free",
                            piece.start,
                            piece.end,
                            bookable=piece.start >= now,
                            site_id=site_id,
                        )
                    )
        placed_bg = [p for b in background if (p := _place(b, first, rows, c.day))]
        placed = [p for b in blocks if (p := _place(b, first, rows, c.day))]
        placed.sort(key=lambda b: (b.start, b.lane, b.kind))
        out.append(
            GridColumn(
                key=c.key,
                day=c.day,
                practitioner=c.practitioner,
                title=c.title,
                holiday=c.holiday,
                background=placed_bg,
                blocks=placed,
                inactive=[a for a in c.appointments if a.status not in active],
                appointments=list(c.appointments),
            )
        )
    labels: list[Block] = []
    minute = first
    while minute < last:
        labels.append(
            Block(
                "hour",
                datetime.datetime.min,
                datetime.datetime.min,
                row=(minute - first) // STEP_MINUTES + 1,
                span=3,
                label=f"{minute // 60:02d}:{minute % 60:02d}",
            )
        )
        minute += 15
    return TimeGrid(first_minute=first, rows=rows, columns=out, hour_labels=labels)
