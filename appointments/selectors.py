"""Reads of appointment data, for this app's views and API and for other apps. Each function
runs a fixed number of queries whatever the number of appointments."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from appointments import grid, perms
from appointments.models import (
    ACTIVE_STATUSES,
    HELD_STATUSES,
    Absence,
    Appointment,
    AppointmentQuerySet,
    ConsultationType,
    ExtraSchedule,
    Status,
    WaitingListEntry,
    WaitingStatus,
    WeeklySchedule,
)
from appointments.slots import (
    PARIS,
    ExtraPlage,
    Interval,
    Slot,
    WeeklyPlage,
    expand_plages,
    free_slots,
    public_holiday_names,
    public_holidays_between,
)
from centre import audit
from centre.models import Site, StaffProfile, User
from centre.roles import Role
from patients.hooks import TimelineEvent
from patients.models import Patient


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=PARIS)
    end = datetime.datetime.combine(
        day + datetime.timedelta(days=1), datetime.time.min, tzinfo=PARIS
    )
    return start, end


def with_related(qs: QuerySet[Appointment]) -> QuerySet[Appointment]:
    return qs.select_related("patient", "practitioner__user", "consultation_type", "site")


def practitioners_qs(*, active_only: bool = True) -> QuerySet[StaffProfile]:
    """Practitioners by name; `active_only=False` adds those whose account is closed (their
    past consultations are still listed and filtered on)."""
    qs = StaffProfile.objects.exclude(profession="")
    if active_only:
        qs = qs.filter(user__is_active=True)
    return qs.select_related("user").order_by("user__last_name", "user__first_name")


def practitioner_of(user: User) -> StaffProfile | None:
    profile: StaffProfile | None = getattr(user, "profile", None)
    if profile is not None and profile.is_practitioner:
        return profile
    return None


# --- slot search ----------------------------------------------------------------------------


@dataclass
class SlotQuery:
    consultation_type: ConsultationType
    first_day: datetime.date
    last_day: datetime.date
    practitioner_ids: list[int] | None = None
    site_id: int | None = None
    women_only: bool = False
    morning_only: bool = False
    language: str = ""
    limit: int | None = None
    now: datetime.datetime | None = None


def find_slots(query: SlotQuery) -> list[Slot]:
    """Free slots for `query.consultation_type` among the practitioners of its profession.
    Six queries: practitioners, weekly plages, the sites' holiday calendars, one-off plages,
    appointments, absences."""
    practitioners = StaffProfile.objects.filter(
        profession=query.consultation_type.profession, user__is_active=True
    )
    if query.practitioner_ids is not None:
        practitioners = practitioners.filter(pk__in=query.practitioner_ids)
    if query.women_only:
        practitioners = practitioners.filter(sex="F")
    if query.language:
        practitioners = practitioners.filter(languages__icontains=query.language.strip())
    practitioner_ids = list(practitioners.values_list("pk", flat=True))
    if not practitioner_ids:
        return []
    first_dt, _ = day_bounds(query.first_day)
    _, last_dt = day_bounds(query.last_day)

    weekly_qs = WeeklySchedule.objects.filter(
        practitioner_id__in=practitioner_ids, valid_from__lte=query.last_day
    ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=query.first_day))
    extra_qs = ExtraSchedule.objects.filter(
        practitioner_id__in=practitioner_ids, date__range=(query.first_day, query.last_day)
    )
    if query.site_id is not None:
        weekly_qs = weekly_qs.filter(site_id=query.site_id)
        extra_qs = extra_qs.filter(site_id=query.site_id)
    weekly, extra = _plage_rows(weekly_qs, extra_qs)
    # Each site closes on the public holidays of its own calendar (26 December in Moselle).
    subdivisions = dict(
        Site.objects.filter(pk__in={w.site_id for w in weekly}).values_list(
            "pk", "holiday_subdivision"
        )
    )
    by_calendar = {
        sub: public_holidays_between(query.first_day, query.last_day, sub)
        for sub in set(subdivisions.values()) | {""}
    }
    openings = expand_plages(
        weekly=weekly,
        extra=extra,
        first_day=query.first_day,
        last_day=query.last_day,
        closed_days=by_calendar[""],
        closed_days_by_site={pk: by_calendar[sub] for pk, sub in subdivisions.items()},
    )
    busy: dict[int, list[Interval]] = {}
    for pid, start, end in (
        Appointment.objects.active_between(first_dt, last_dt)
        .filter(practitioner_id__in=practitioner_ids)
        .values_list("practitioner_id", "start", "end")
    ):
        busy.setdefault(pid, []).append(Interval(start, end))
    for pid, start, end in Absence.objects.filter(
        practitioner_id__in=practitioner_ids, start__lt=last_dt, end__gt=first_dt
    ).values_list("practitioner_id", "start", "end"):
        busy.setdefault(pid, []).append(Interval(start, end))

    slots = free_slots(
        openings=openings,
        busy=busy,
        duration=query.consultation_type.duration,
        not_before=query.now or timezone.now(),
    )
    if query.morning_only:
        slots = [s for s in slots if s.start.astimezone(PARIS).hour < 12]
    if query.limit is not None:
        slots = slots[: query.limit]
    return slots


def next_free_slot(query: SlotQuery, *, horizon_days: int = 90) -> Slot | None:
    """The first free slot, looking ahead week by week up to `horizon_days`."""
    first = query.first_day
    last = first + datetime.timedelta(days=horizon_days)
    cursor = first
    while cursor <= last:
        week_end = min(cursor + datetime.timedelta(days=13), last)
        query.first_day, query.last_day, query.limit = cursor, week_end, 1
        found = find_slots(query)
        if found:
            return found[0]
        cursor = week_end + datetime.timedelta(days=1)
    return None


# --- day and week views ---------------------------------------------------------------------


@dataclass
class Column:
    practitioner: StaffProfile
    appointments: list[Appointment] = field(default_factory=list)
    slots: list[Slot] = field(default_factory=list)


def day_columns(
    *, site: Site, day: datetime.date, consultation_type: ConsultationType | None = None
) -> list[Column]:
    """One column per practitioner who works at `site` on `day` (a plage there or an
    appointment there). Fixed number of queries: appointments, plages (weekly + one-off),
    practitioners, and when a type is given the slot search (four more)."""
    start, end = day_bounds(day)
    appointments = list(
        with_related(
            Appointment.objects.filter(site=site, start__gte=start, start__lt=end)
        ).order_by("start", "id")
    )
    weekly_ids = set(
        WeeklySchedule.objects.filter(site=site, weekday=day.weekday(), valid_from__lte=day)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
        .values_list("practitioner_id", flat=True)
    )
    weekly_ids |= set(
        ExtraSchedule.objects.filter(site=site, date=day).values_list("practitioner_id", flat=True)
    )
    ids = weekly_ids | {a.practitioner_id for a in appointments}
    columns = {p.pk: Column(p) for p in practitioners_qs().filter(pk__in=ids)}
    for appointment in appointments:
        columns[appointment.practitioner_id].appointments.append(appointment)
    if consultation_type is not None:
        slots = find_slots(
            SlotQuery(
                consultation_type=consultation_type,
                first_day=day,
                last_day=day,
                practitioner_ids=list(columns),
                site_id=site.pk,
            )
        )
        for slot in slots:
            columns[slot.practitioner_id].slots.append(slot)
    return list(columns.values())


# --- time grids (day: practitioners of a site; week: days of a practitioner) -----------------


def _plage_rows(
    weekly_qs: QuerySet[WeeklySchedule], extra_qs: QuerySet[ExtraSchedule]
) -> tuple[list[WeeklyPlage], list[ExtraPlage]]:
    weekly = [
        WeeklyPlage(
            practitioner_id=w.practitioner_id,
            site_id=w.site_id,
            weekday=w.weekday,
            start_time=w.start_time,
            end_time=w.end_time,
            valid_from=w.valid_from,
            valid_until=w.valid_until,
            open_on_public_holidays=w.open_on_public_holidays,
        )
        for w in weekly_qs
    ]
    extra = [
        ExtraPlage(e.practitioner_id, e.site_id, e.date, e.start_time, e.end_time) for e in extra_qs
    ]
    return weekly, extra


def _absence_label(absence: Absence) -> str:
    label = f"Absence : {absence.get_reason_display()}"
    return f"{label} — {absence.note}" if absence.note else label


def day_grid(
    *,
    by: User,
    site: Site,
    day: datetime.date,
    consultation_type: ConsultationType | None = None,
    now: datetime.datetime | None = None,
) -> grid.TimeGrid:
    """The reception's day as a time grid: one column per practitioner with a plage at `site`
    on `day` or an appointment there. Five queries whatever the number of practitioners and
    appointments (weekly plages, one-off plages, appointments, practitioners, absences); the
    bookable slots of `consultation_type` come from the same rows through
    `slots.free_slots`, as the slot search computes them. Journaled like the agenda's day
    (`appointment.list`, the site's appointments in time order)."""
    now = now or timezone.now()
    start, end = day_bounds(day)
    weekly, extra = _plage_rows(
        WeeklySchedule.objects.filter(site=site, weekday=day.weekday(), valid_from__lte=day).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day)
        ),
        ExtraSchedule.objects.filter(site=site, date=day),
    )
    holidays = public_holiday_names(day, day, site.holiday_subdivision)
    plage_ids = {p.practitioner_id for p in weekly} | {p.practitioner_id for p in extra}
    rows = list(
        with_related(
            Appointment.objects.filter(start__gte=start, start__lt=end).filter(
                Q(site=site) | Q(practitioner_id__in=plage_ids, status__in=ACTIVE_STATUSES)
            )
        ).order_by("start", "id")
    )
    here = [a for a in rows if a.site_id == site.pk]
    ids = plage_ids | {a.practitioner_id for a in here}
    practitioners = list(practitioners_qs().filter(pk__in=ids))
    absences: dict[int, list[tuple[Interval, str]]] = {}
    for absence in Absence.objects.filter(
        practitioner_id__in=ids, start__lt=end, end__gt=start
    ).order_by("start"):
        absences.setdefault(absence.practitioner_id, []).append(
            (Interval(absence.start, absence.end), _absence_label(absence))
        )
    openings = expand_plages(
        weekly=weekly,
        extra=extra,
        first_day=day,
        last_day=day,
        closed_days=frozenset(holidays),
    )
    slots: list[Slot] = []
    if consultation_type is not None:
        eligible = {p.pk for p in practitioners if p.profession == consultation_type.profession}
        busy: dict[int, list[Interval]] = {}
        for a in rows:
            if a.status in ACTIVE_STATUSES:
                busy.setdefault(a.practitioner_id, []).append(Interval(a.start, a.end))
        for pid, spans in absences.items():
            busy.setdefault(pid, []).extend(interval for interval, _ in spans)
        slots = free_slots(
            openings=[o for o in openings if o.practitioner_id in eligible],
            busy=busy,
            duration=consultation_type.duration,
            not_before=now,
        )
    columns = []
    for p in practitioners:
        columns.append(
            grid.ColumnInput(
                key=p.pk,
                day=day,
                practitioner=p,
                title=str(p),
                openings=[o for o in openings if o.practitioner_id == p.pk],
                appointments=[a for a in here if a.practitioner_id == p.pk],
                other_busy=[
                    Interval(a.start, a.end)
                    for a in rows
                    if a.practitioner_id == p.pk and a.site_id != site.pk
                ],
                absences=absences.get(p.pk, []),
                holiday=holidays.get(day, ""),
                slots=[s for s in slots if s.practitioner_id == p.pk],
            )
        )
    result = grid.build_grid(
        columns,
        now=now,
        active_statuses=ACTIVE_STATUSES,
        with_slots=consultation_type is not None,
    )
    appointments_shown(by=by, appointments=here)
    return result


def week_grid(
    *,
    by: User,
    practitioner: StaffProfile,
    monday: datetime.date,
    consultation_type: ConsultationType | None = None,
    now: datetime.datetime | None = None,
) -> grid.TimeGrid:
    """A practitioner's week as a time grid: one column per day (Monday to Friday, and the
    weekend when something is open or booked). Five queries; journaled like the week view."""
    now = now or timezone.now()
    sunday = monday + datetime.timedelta(days=6)
    start, _ = day_bounds(monday)
    _, end = day_bounds(sunday)
    weekly, extra = _plage_rows(
        WeeklySchedule.objects.filter(practitioner=practitioner, valid_from__lte=sunday).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=monday)
        ),
        ExtraSchedule.objects.filter(practitioner=practitioner, date__range=(monday, sunday)),
    )
    subdivisions = dict(
        Site.objects.filter(pk__in={w.site_id for w in weekly}).values_list(
            "pk", "holiday_subdivision"
        )
    )
    by_calendar = {
        sub: public_holiday_names(monday, sunday, sub) for sub in set(subdivisions.values()) | {""}
    }
    openings = expand_plages(
        weekly=weekly,
        extra=extra,
        first_day=monday,
        last_day=sunday,
        closed_days=frozenset(by_calendar[""]),
        closed_days_by_site={pk: frozenset(by_calendar[sub]) for pk, sub in subdivisions.items()},
    )
    appointments = practitioner_appointments(practitioner, start, end)
    absences = [
        (Interval(a.start, a.end), _absence_label(a))
        for a in Absence.objects.filter(practitioner=practitioner, start__lt=end, end__gt=start)
    ]
    slots: list[Slot] = []
    if consultation_type is not None and consultation_type.profession == practitioner.profession:
        busy = {
            practitioner.pk: [
                Interval(a.start, a.end) for a in appointments if a.status in ACTIVE_STATUSES
            ]
            + [interval for interval, _ in absences]
        }
        slots = free_slots(
            openings=openings, busy=busy, duration=consultation_type.duration, not_before=now
        )
    holiday_names = {d: n for names in by_calendar.values() for d, n in names.items()}
    columns = []
    for offset in range(7):
        day = monday + datetime.timedelta(days=offset)
        day_start, day_end = day_bounds(day)
        day_openings = [o for o in openings if o.interval.start.astimezone(PARIS).date() == day]
        day_appointments = [a for a in appointments if day_start <= a.start < day_end]
        if offset >= 5 and not day_openings and not day_appointments:
            continue
        columns.append(
            grid.ColumnInput(
                key=day,
                day=day,
                practitioner=practitioner,
                title=day.isoformat(),
                openings=day_openings,
                appointments=day_appointments,
                absences=[
                    (i, label) for i, label in absences if i.start < day_end and i.end > day_start
                ],
                holiday=holiday_names.get(day, ""),
                slots=[s for s in slots if day_start <= s.start < day_end],
            )
        )
    result = grid.build_grid(
        columns,
        now=now,
        active_statuses=ACTIVE_STATUSES,
        with_slots=consultation_type is not None,
    )
    appointments_shown(by=by, appointments=appointments)
    return result


# --- waiting room and the next working day -------------------------------------------------


@dataclass
class WaitingRoom:
    """Today's waiting room of a site (or of one practitioner): arrived and not yet called,
    called in (« en consultation »), and seen today."""

    waiting: list[Appointment] = field(default_factory=list)
    in_consultation: list[Appointment] = field(default_factory=list)
    seen: list[Appointment] = field(default_factory=list)

    @property
    def all(self) -> list[Appointment]:
        return [*self.waiting, *self.in_consultation, *self.seen]


def waiting_room(
    *,
    by: User,
    day: datetime.date,
    site: Site | None = None,
    practitioner: StaffProfile | None = None,
) -> WaitingRoom:
    """One query, journaled (`appointment.list`, the appointments shown). The waiting list
    is in arrival order (first come, first called); seen ones last seen first."""
    start, end = day_bounds(day)
    qs = with_related(perms.appointments_for(by)).filter(
        start__gte=start, start__lt=end, status__in=(Status.ARRIVED, Status.SEEN)
    )
    if site is not None:
        qs = qs.filter(site=site)
    if practitioner is not None:
        qs = qs.filter(practitioner=practitioner)
    room = WaitingRoom()
    epoch = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    for a in sorted(qs, key=lambda a: (a.arrived_at or a.start, a.pk)):
        if a.status == Status.SEEN:
            room.seen.append(a)
        elif a.called_at is None:
            room.waiting.append(a)
        else:
            room.in_consultation.append(a)
    room.seen.sort(key=lambda a: a.status_changed_at or epoch, reverse=True)
    appointments_shown(by=by, appointments=room.all)
    return room


def next_working_day(site: Site, after: datetime.date) -> datetime.date:
    """The site's next open day after `after` (« prochain jour ouvré » of the day sheet):
    Friday → Monday, a public holiday of the site's calendar skipped, a day when nobody
    consults there skipped. Two queries (weekly and one-off plages of the next 3 weeks); with
    no plage at all, the next Monday-to-Friday day that is not a public holiday."""
    horizon = after + datetime.timedelta(days=21)
    weekly = list(
        WeeklySchedule.objects.filter(site=site, valid_from__lte=horizon)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=after))
        .values_list("weekday", "valid_from", "valid_until", "open_on_public_holidays")
    )
    extra_days = set(
        ExtraSchedule.objects.filter(site=site, date__gt=after, date__lte=horizon).values_list(
            "date", flat=True
        )
    )
    holidays = public_holidays_between(after, horizon, site.holiday_subdivision)
    day = after + datetime.timedelta(days=1)
    while day <= horizon:
        if day in extra_days:
            return day
        for weekday, valid_from, valid_until, on_holidays in weekly:
            if (
                weekday == day.weekday()
                and valid_from <= day
                and (valid_until is None or valid_until >= day)
                and (on_holidays or day not in holidays)
            ):
                return day
        day += datetime.timedelta(days=1)
    day = after + datetime.timedelta(days=1)
    while day.weekday() >= 5 or day in holidays:
        day += datetime.timedelta(days=1)
    return day


# --- journaled reads: lists that name patients -------------------------------------------------

LIST_ACTION = "appointment.list"
DAY_SHEET_ACTION = "appointment.day_sheet"


def appointments_shown(
    *, by: User, appointments: Iterable[Appointment], action: str = LIST_ACTION, **extra: Any
) -> None:
    """Journal a list of appointments shown to `by` (one entry naming them, in the order
    shown): an agenda names patients and their consultations. The agenda's day, the week
    views and the API's list leave the same entry (`appointment.list`)."""
    audit.record_list_read(
        actor=by, action=action, model=Appointment, ids=[a.pk for a in appointments], **extra
    )


def appointment_detail(*, by: User, pk: int) -> Appointment:
    """One appointment `by` may read (404 otherwise), journaled (`appointment.read`): the
    detail page and the API's detail leave the same entry."""
    appointment = get_object_or_404(with_related(perms.appointments_for(by)), pk=pk)
    audit.record_read(actor=by, action="appointment.read", obj=appointment)
    return appointment


def day_agenda(
    *,
    by: User,
    site: Site,
    day: datetime.date,
    consultation_type: ConsultationType | None = None,
) -> list[Column]:
    """The agenda's day (`day_columns`), journaled with the appointments it shows."""
    columns = day_columns(site=site, day=day, consultation_type=consultation_type)
    appointments_shown(by=by, appointments=_by_time(columns))
    return columns


def _by_time(columns: list[Column]) -> list[Appointment]:
    """The appointments of the columns in time order (as the API's list orders them), so
    that the same day read through both doors names the same ids in the same order."""
    return sorted((a for c in columns for a in c.appointments), key=lambda a: (a.start, a.pk))


def day_sheet_columns(*, by: User, site: Site, day: datetime.date) -> list[Column]:
    """The printable day sheet's columns (those with appointments), journaled: a printed list
    of the day's patients leaves the building."""
    columns = [c for c in day_columns(site=site, day=day) if c.appointments]
    appointments_shown(
        by=by,
        appointments=_by_time(columns),
        action=DAY_SHEET_ACTION,
        site=site.pk,
        day=day.isoformat(),
    )
    return columns


def week_agenda(
    *, by: User, practitioner: StaffProfile, start: datetime.datetime, end: datetime.datetime
) -> list[Appointment]:
    """A practitioner's appointments between two instants (week view, « my day »), journaled."""
    appointments = practitioner_appointments(practitioner, start, end)
    appointments_shown(by=by, appointments=appointments)
    return appointments


def practitioner_appointments(
    practitioner: StaffProfile, start: datetime.datetime, end: datetime.datetime
) -> list[Appointment]:
    return list(
        with_related(
            Appointment.objects.filter(practitioner=practitioner, start__gte=start, start__lt=end)
        ).order_by("start")
    )


def to_fill_in(
    *, site: Site | None = None, practitioner: StaffProfile | None = None
) -> QuerySet[Appointment]:
    qs = with_related(Appointment.objects.to_fill_in()).order_by("start")
    if site is not None:
        qs = qs.filter(site=site)
    if practitioner is not None:
        qs = qs.filter(practitioner=practitioner)
    return qs


# --- consultations by period ---------------------------------------------------------------


@dataclass(frozen=True)
class ConsultationFilter:
    """What the consultations list and its CSV show. By default the statuses of
    « consultations réalisées » (arrived or seen), as the reports' indicators count them."""

    first_day: datetime.date
    last_day: datetime.date
    site: Site | None = None
    practitioner: StaffProfile | None = None
    statuses: tuple[str, ...] = tuple(HELD_STATUSES)
    consultation_type: ConsultationType | None = None
    walk_in: bool | None = None


@dataclass(frozen=True)
class ConsultationTotals:
    """Counts of the filter. `by_status` ignores the status filter (every status of the same
    period, site, practitioner, type and walk-in choice) so that the no-show rate can be read
    next to the consultations held; the other counts are those of the listed rows."""

    by_status: dict[str, int]
    listed: int
    walk_ins: int
    patients: int

    @property
    def held(self) -> int:
        return sum(self.by_status.get(s, 0) for s in HELD_STATUSES)

    @property
    def no_show(self) -> int:
        return self.by_status.get(Status.NO_SHOW, 0)


def _consultations_base(
    appointments: AppointmentQuerySet, f: ConsultationFilter
) -> AppointmentQuerySet:
    qs = appointments.on_days(f.first_day, f.last_day)
    if f.site is not None:
        qs = qs.filter(site=f.site)
    if f.practitioner is not None:
        qs = qs.filter(practitioner=f.practitioner)
    if f.consultation_type is not None:
        qs = qs.filter(consultation_type=f.consultation_type)
    if f.walk_in is not None:
        qs = qs.filter(is_walk_in=f.walk_in)
    return qs


def consultations(
    appointments: AppointmentQuerySet, f: ConsultationFilter
) -> QuerySet[Appointment]:
    """The rows of the list, oldest first, with what a row shows joined (one query).
    `appointments` is the reader's scope (`perms.appointments_for`)."""
    qs = _consultations_base(appointments, f).filter(status__in=f.statuses)
    return with_related(qs).order_by("start", "id")


def consultation_totals(
    appointments: AppointmentQuerySet, f: ConsultationFilter
) -> ConsultationTotals:
    """One aggregate query."""
    listed = Q(status__in=f.statuses)
    agg = _consultations_base(appointments, f).aggregate(
        listed=Count("pk", filter=listed),
        walk_ins=Count("pk", filter=listed & Q(is_walk_in=True)),
        patients=Count("patient", filter=listed, distinct=True),
        **{f"n_{s.value}": Count("pk", filter=Q(status=s)) for s in Status},
    )
    return ConsultationTotals(
        by_status={s.value: agg[f"n_{s.value}"] for s in Status},
        listed=agg["listed"],
        walk_ins=agg["walk_ins"],
        patients=agg["patients"],
    )


def waiting_candidates(appointment: Appointment) -> QuerySet[WaitingListEntry]:
    """Patients waiting for a slot of the freed appointment's type (oldest first)."""
    local_day = timezone.localtime(appointment.start).date()
    return (
        WaitingListEntry.objects.filter(
            status=WaitingStatus.WAITING, consultation_type_id=appointment.consultation_type_id
        )
        .filter(Q(practitioner__isnull=True) | Q(practitioner_id=appointment.practitioner_id))
        .filter(Q(site__isnull=True) | Q(site_id=appointment.site_id))
        .filter(Q(before__isnull=True) | Q(before__gte=local_day))
        .exclude(patient_id=appointment.patient_id)
        .select_related("patient", "consultation_type")
        .order_by("created_at")
    )


# --- providers for the patient record (registered in AppConfig.ready) -----------------------


def next_appointment_provider(patient_ids: Iterable[int]) -> dict[int, datetime.datetime]:
    """One query: the earliest upcoming active appointment of each patient."""
    rows = (
        Appointment.objects.filter(
            patient_id__in=list(patient_ids), status=Status.BOOKED, start__gte=timezone.now()
        )
        .order_by("patient_id", "start")
        .distinct("patient_id")
        .values_list("patient_id", "start")
    )
    return dict(rows)


def timeline_provider(patient: Patient) -> list[TimelineEvent]:
    """One query: every appointment of the patient as a timeline event."""
    rows = (
        Appointment.objects.filter(patient=patient)
        .select_related("consultation_type", "practitioner__user")
        .order_by("-start")
    )
    staff_roles = frozenset({Role.ACCUEIL, Role.SOIGNANT, Role.DIRECTION, Role.FACTURATION})
    return [
        TimelineEvent(
            at=a.start,
            kind="appointment",
            label=f"{a.consultation_type.label} — {a.practitioner}",
            status=a.get_status_display(),
            url=reverse("appointments:detail", args=[a.pk]),
            roles=staff_roles,
        )
        for a in rows
    ]


PATIENT_CHOSEN = "appointment.patient_chosen"


def patient_chosen(*, by: User, pk: int) -> Patient | None:
    """The patient a reception form was opened for (booking panel, booking page, walk-in,
    waiting list), journaled as `appointment.patient_chosen`: the form shows their name and
    birth date."""
    patient = Patient.objects.active().filter(pk=pk).first()
    if patient is not None:
        audit.record_read(actor=by, action=PATIENT_CHOSEN, obj=patient)
    return patient
