"""Walk-ins (consultations sans rendez-vous): they enter the waiting room (arrived, with the
arrival time), are called in by the practitioner and seen like anyone else.

The booking rules of a walk-in are lighter than a booking's: the patient came without an
appointment, so the time need not be inside an opening plage (the practitioner may see them
between two plages), but the practitioner must not be absent then and the day must not be a
public holiday of the site (unless an opening covers it). Reception or direction force them
with a reason, as for a booking (docs/appointments.md)."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from appointments.models import (
    Appointment,
    ConsultationType,
    Status,
)
from appointments.services.booking import (
    AUDIT_FIELDS,
    admit,
    as_aware,
    save_or_conflict,
)
from centre import audit
from centre.models import Site, StaffProfile, User
from patients.models import Patient


def appointment_record_walk_in(
    *,
    patient: Patient,
    practitioner: StaffProfile,
    consultation_type: ConsultationType,
    site: Site,
    by: User,
    start: datetime.datetime | None = None,
    force_reason: str = "",
) -> Appointment:
    """A patient come without an appointment (sans rendez-vous): into the waiting room."""
    start = as_aware(start, "start") if start is not None else timezone.now()
    now = timezone.now()
    with transaction.atomic():
        # No plage needed for a walk-in: not absent and not a holiday are enough.
        admitted = admit(
            by=by,
            practitioner=practitioner,
            consultation_type=consultation_type,
            site=site,
            start=start,
            force_reason=force_reason,
            require_plage=False,
        )
        appointment = Appointment(
            patient=patient,
            practitioner=practitioner,
            consultation_type=admitted.consultation_type,
            site=site,
            start=start,
            end=admitted.end,
            status=Status.ARRIVED,
            arrived_at=now,
            is_walk_in=True,
            booked_by=by,
            status_changed_at=now,
            status_changed_by=by,
            forced_reason=admitted.forced_reason,
            forced_rules=admitted.forced_rules,
        )
        save_or_conflict(appointment)
        audit.record(
            actor=by,
            action="appointment.walk_in",
            obj=appointment,
            changes=audit.snapshot(appointment, (*AUDIT_FIELDS, "arrived_at")),
        )
    return appointment
