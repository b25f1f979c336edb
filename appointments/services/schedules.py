"""Opening schedules (weekly and one-off plages) and absences of practitioners, managed by
reception and direction."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Q

from appointments.models import (
    Absence,
    Appointment,
    AppointmentQuerySet,
    ExtraSchedule,
    Status,
    WeeklySchedule,
)
from appointments.services.booking import (
    BookingError,
)
from appointments.slots import PARIS, local_datetime
from centre import audit
from centre.models import Site, StaffProfile, User

WEEKLY_FIELDS = (
    "practitioner",
    "site",
    "weekday",
    "start_time",
    "end_time",
    "valid_from",
    "valid_until",
    "open_on_public_holidays",
)
EXTRA_FIELDS = ("practitioner", "site", "date", "start_time", "end_time")
ABSENCE_FIELDS = ("practitioner", "start", "end", "reason", "note")
PlanningRow = TypeVar("PlanningRow", WeeklySchedule, ExtraSchedule, Absence)


def _check_times(start: datetime.time, end: datetime.time) -> None:
    if end <= start:
        raise BookingError("L'heure de fin doit être après l'heure de début.", field="end_time")


def _check_weekly(schedule: WeeklySchedule) -> None:
    """A practitioner is in one place at a time: weekly plages of the same weekday whose hours
    and validity periods overlap are refused (whatever the site)."""
    _check_times(schedule.start_time, schedule.end_time)
    if schedule.valid_until is not None and schedule.valid_until < schedule.valid_from:
        raise BookingError("La date de fin doit être après la date de début.", field="valid_until")
    clash = (
        WeeklySchedule.objects.filter(
            practitioner_id=schedule.practitioner_id,
            weekday=schedule.weekday,
            start_time__lt=schedule.end_time,
            end_time__gt=schedule.start_time,
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=schedule.valid_from))
        .exclude(pk=schedule.pk)
    )
    if schedule.valid_until is not None:
        clash = clash.filter(valid_from__lte=schedule.valid_until)
    other = clash.select_related("site").first()
    if other is not None:
        raise BookingError(
            f"Cette plage chevauche une autre plage de ce·tte soignant·e : {other} "
            f"({other.site}), à partir du {other.valid_from:%d/%m/%Y}.",
            field="start_time",
        )


def _check_extra(extra: ExtraSchedule) -> None:
    _check_times(extra.start_time, extra.end_time)
    other = (
        ExtraSchedule.objects.filter(
            practitioner_id=extra.practitioner_id,
            date=extra.date,
            start_time__lt=extra.end_time,
            end_time__gt=extra.start_time,
        )
        .exclude(pk=extra.pk)
        .first()
    )
    if other is not None:
        raise BookingError(
            f"Cette plage chevauche une autre plage ponctuelle : {other}.", field="start_time"
        )


def _booked_between(
    practitioner_id: int, start: datetime.datetime, end: datetime.datetime
) -> AppointmentQuerySet:
    return Appointment.objects.filter(
        practitioner_id=practitioner_id, status=Status.BOOKED
    ).between(start, end)


def booked_outside_weekly(schedule: WeeklySchedule, after: datetime.date) -> int:
    """Booked appointments of this plage (its weekday and hours, Paris time, at its site)
    after `after`: they stay booked when the plage ends, reception moves them."""
    start_after = datetime.datetime.combine(
        after + datetime.timedelta(days=1), datetime.time.min, tzinfo=PARIS
    )
    return Appointment.objects.filter(
        practitioner_id=schedule.practitioner_id,
        site_id=schedule.site_id,
        status=Status.BOOKED,
        start__gte=start_after,
        start__iso_week_day=schedule.weekday + 1,  # ISO: Monday = 1; in the current zone
        start__time__gte=schedule.start_time,
        start__time__lt=schedule.end_time,
    ).count()


def weekly_schedule_create(
    *,
    practitioner: StaffProfile,
    site: Site,
    weekday: int,
    start_time: datetime.time,
    end_time: datetime.time,
    valid_from: datetime.date,
    valid_until: datetime.date | None = None,
    open_on_public_holidays: bool = False,
    by: User,
) -> WeeklySchedule:
    schedule = WeeklySchedule(
        practitioner=practitioner,
        site=site,
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        valid_from=valid_from,
        valid_until=valid_until,
        open_on_public_holidays=open_on_public_holidays,
    )
    with transaction.atomic():
        # Serialise the plages of one practitioner: the overlap check and the insert are one.
        StaffProfile.objects.select_for_update().get(pk=practitioner.pk)
        _check_weekly(schedule)
        schedule.save()
        audit.record(
            actor=by,
            action="schedule.weekly.create",
            obj=schedule,
            changes=audit.snapshot(schedule, WEEKLY_FIELDS),
        )
    return schedule


def _planning_update(
    obj: PlanningRow,
    *,
    fields: dict[str, Any],
    audited: tuple[str, ...],
    check: Callable[[PlanningRow], None],
    action: str,
    by: User,
    lock_practitioner: bool,
) -> PlanningRow:
    """Change a plage or an absence (any of `audited` but the practitioner), checked and
    audited in one transaction."""
    unknown = set(fields) - set(audited[1:])
    if unknown:
        raise ValueError(f"Champs inconnus : {sorted(unknown)}")
    with transaction.atomic():
        if lock_practitioner:
            # Serialise the plages of one practitioner: the overlap check and the save are one.
            StaffProfile.objects.select_for_update().get(pk=obj.practitioner_id)
        locked = type(obj).objects.select_for_update().get(pk=obj.pk)
        before = audit.snapshot(locked, audited)
        for name, value in fields.items():
            setattr(locked, name, value)
        check(locked)
        locked.save()
        audit.record(
            actor=by,
            action=action,
            obj=locked,
            changes=audit.diff(before, audit.snapshot(locked, audited)),
        )
    return locked


def weekly_schedule_update(*, schedule: WeeklySchedule, by: User, **fields: Any) -> WeeklySchedule:
    """Change a weekly plage (fields among WEEKLY_FIELDS except the practitioner)."""
    return _planning_update(
        schedule,
        fields=fields,
        audited=WEEKLY_FIELDS,
        check=_check_weekly,
        action="schedule.weekly.update",
        by=by,
        lock_practitioner=True,
    )


def weekly_schedule_end(
    *, schedule: WeeklySchedule, last_day: datetime.date, by: User
) -> tuple[WeeklySchedule, int]:
    """End a weekly plage after `last_day` (included). Returns the plage and the number of
    booked appointments left outside any plage, for reception to move."""
    with transaction.atomic():
        # Serialise with the bookings of this practitioner (they key-share lock the
        # practitioner before reading the plages): the count of appointments left is exact.
        StaffProfile.objects.select_for_update().get(pk=schedule.practitioner_id)
        locked = WeeklySchedule.objects.select_for_update().get(pk=schedule.pk)
        if last_day < locked.valid_from:
            raise BookingError(
                f"La plage commence le {locked.valid_from:%d/%m/%Y} : choisissez une date de "
                "fin à partir de celle-ci.",
                field="last_day",
            )
        if locked.valid_until is not None and locked.valid_until <= last_day:
            raise BookingError(
                f"La plage se termine déjà le {locked.valid_until:%d/%m/%Y}.", field="last_day"
            )
        before = audit.snapshot(locked, WEEKLY_FIELDS)
        locked.valid_until = last_day
        locked.save(update_fields=["valid_until"])
        left = booked_outside_weekly(locked, last_day)
        audit.record(
            actor=by,
            action="schedule.weekly.end",
            obj=locked,
            changes=audit.diff(before, audit.snapshot(locked, WEEKLY_FIELDS)),
            extra={"booked_after_end": left},
        )
    return locked, left


def extra_schedule_create(
    *,
    practitioner: StaffProfile,
    site: Site,
    date: datetime.date,
    start_time: datetime.time,
    end_time: datetime.time,
    by: User,
) -> ExtraSchedule:
    extra = ExtraSchedule(
        practitioner=practitioner, site=site, date=date, start_time=start_time, end_time=end_time
    )
    with transaction.atomic():
        StaffProfile.objects.select_for_update().get(pk=practitioner.pk)
        _check_extra(extra)
        extra.save()
        audit.record(
            actor=by,
            action="schedule.extra.create",
            obj=extra,
            changes=audit.snapshot(extra, EXTRA_FIELDS),
        )
    return extra


def extra_schedule_update(*, extra: ExtraSchedule, by: User, **fields: Any) -> ExtraSchedule:
    return _planning_update(
        extra,
        fields=fields,
        audited=EXTRA_FIELDS,
        check=_check_extra,
        action="schedule.extra.update",
        by=by,
        lock_practitioner=True,
    )


def extra_schedule_delete(*, extra: ExtraSchedule, by: User) -> int:
    """Remove a one-off plage. Returns the number of booked appointments it held (they stay
    booked; reception moves them)."""
    with transaction.atomic():
        # Serialise with the bookings of this practitioner (they key-share lock the
        # practitioner before reading the plages): the count of appointments left is exact.
        StaffProfile.objects.select_for_update().get(pk=extra.practitioner_id)
        locked = ExtraSchedule.objects.select_for_update().get(pk=extra.pk)
        start = local_datetime(locked.date, locked.start_time)
        end = local_datetime(locked.date, locked.end_time)
        left = (
            _booked_between(locked.practitioner_id, start, end)
            .filter(site_id=locked.site_id)
            .count()
        )
        audit.record(
            actor=by,
            action="schedule.extra.delete",
            obj=locked,
            changes={k: [v, None] for k, v in audit.snapshot(locked, EXTRA_FIELDS).items()},
            extra={"booked": left},
        )
        locked.delete()
    return left


def _check_absence(absence: Absence) -> None:
    if absence.end <= absence.start:
        raise BookingError("La fin de l'absence doit être après son début.", field="end")


def absence_add(
    *,
    practitioner: StaffProfile,
    start: datetime.datetime,
    end: datetime.datetime,
    reason: str,
    note: str = "",
    by: User,
) -> Absence:
    absence = Absence(practitioner=practitioner, start=start, end=end, reason=reason, note=note)
    _check_absence(absence)
    with transaction.atomic():
        # Serialise with the bookings of this practitioner (they key-share lock the
        # practitioner before checking absences): a booking either sees this absence or is
        # counted in `booked_during`.
        StaffProfile.objects.select_for_update().get(pk=practitioner.pk)
        absence.save()
        audit.record(
            actor=by,
            action="absence.add",
            obj=absence,
            changes=audit.snapshot(absence, ("practitioner", "start", "end", "reason")),
            extra={"booked_during": booked_during_absence(absence)},
        )
    return absence


def booked_during_absence(absence: Absence) -> int:
    """Appointments still booked while the practitioner is away: reception moves them."""
    return _booked_between(absence.practitioner_id, absence.start, absence.end).count()


def absence_update(*, absence: Absence, by: User, **fields: Any) -> Absence:
    return _planning_update(
        absence,
        fields=fields,
        audited=ABSENCE_FIELDS,
        check=_check_absence,
        action="absence.update",
        by=by,
        lock_practitioner=True,
    )


def absence_delete(*, absence: Absence, by: User) -> None:
    with transaction.atomic():
        locked = Absence.objects.select_for_update().get(pk=absence.pk)
        audit.record(
            actor=by,
            action="absence.delete",
            obj=locked,
            changes={k: [v, None] for k, v in audit.snapshot(locked, ABSENCE_FIELDS).items()},
        )
        locked.delete()
