"""Moving a booked appointment to another time, practitioner or site."""

from __future__ import annotations

import datetime

from django.db import transaction

from appointments.models import (
    Appointment,
    Status,
)
from appointments.services.booking import (
    AUDIT_FIELDS,
    BookingError,
    as_aware,
    check_booking,
    enforce_rules,
    save_or_conflict,
)
from centre import audit
from centre.models import Site, StaffProfile, User


def appointment_move(
    *,
    appointment: Appointment,
    start: datetime.datetime,
    by: User,
    practitioner: StaffProfile | None = None,
    site: Site | None = None,
    force_reason: str = "",
) -> Appointment:
    """Move a booked appointment to another time (and optionally practitioner or site),
    keeping its duration. The new time follows the booking rules like a new booking (forced
    with a reason by reception or direction); a move inside the rules clears a forcing the
    old time had."""
    start = as_aware(start, "start")
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.status != Status.BOOKED:
            raise BookingError("Seul un rendez-vous prévu peut être déplacé.")
        before = audit.snapshot(locked, AUDIT_FIELDS)
        duration = locked.end - locked.start
        new_practitioner = practitioner or locked.practitioner
        new_site = site or locked.site
        check_booking(
            practitioner=new_practitioner,
            consultation_type=locked.consultation_type,
            site=new_site,
            start=start,
            end=start + duration,
            moving=True,
        )
        locked.forced_reason, locked.forced_rules = enforce_rules(
            by=by,
            practitioner=new_practitioner,
            site=new_site,
            start=start,
            end=start + duration,
            force_reason=force_reason,
        )
        locked.practitioner = new_practitioner
        locked.site = new_site
        locked.start = start
        locked.end = start + duration
        save_or_conflict(locked)
        audit.record(
            actor=by,
            action="appointment.move",
            obj=locked,
            changes=audit.diff(before, audit.snapshot(locked, AUDIT_FIELDS)),
        )
    return locked
