"""The waiting list: patients waiting for a slot of a consultation type."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from appointments.models import (
    Appointment,
    ConsultationType,
    WaitingListEntry,
    WaitingStatus,
)
from appointments.services.booking import (
    BookingError,
)
from centre import audit
from centre.models import Site, StaffProfile, User
from patients.models import Patient


def waiting_list_add(
    *,
    patient: Patient,
    consultation_type: ConsultationType,
    by: User,
    practitioner: StaffProfile | None = None,
    site: Site | None = None,
    before: datetime.date | None = None,
    note: str = "",
) -> WaitingListEntry:
    with transaction.atomic():
        if WaitingListEntry.objects.filter(
            patient=patient, consultation_type=consultation_type, status=WaitingStatus.WAITING
        ).exists():
            raise BookingError(
                "Ce·tte patient·e attend déjà un créneau pour ce motif.", field="patient"
            )
        entry = WaitingListEntry.objects.create(
            patient=patient,
            consultation_type=consultation_type,
            practitioner=practitioner,
            site=site,
            before=before,
            note=note,
            created_by=by,
        )
        audit.record(
            actor=by,
            action="waiting_list.add",
            obj=entry,
            changes={"patient": patient.pk, "consultation_type": consultation_type.pk},
        )
    return entry


def waiting_list_close(*, entry: WaitingListEntry, by: User, booked: bool) -> WaitingListEntry:
    with transaction.atomic():
        locked = WaitingListEntry.objects.select_for_update().get(pk=entry.pk)
        if locked.status != WaitingStatus.WAITING:
            raise BookingError("Cette inscription n'est plus en attente.")
        locked.status = WaitingStatus.BOOKED if booked else WaitingStatus.WITHDRAWN
        locked.save(update_fields=["status"])
        audit.record(
            actor=by,
            action="waiting_list.close",
            obj=locked,
            changes={"status": [WaitingStatus.WAITING, locked.status]},
        )
    return locked


def waiting_list_mark_notified(*, entry: WaitingListEntry, by: User) -> WaitingListEntry:
    with transaction.atomic():
        locked = WaitingListEntry.objects.select_for_update().get(pk=entry.pk)
        locked.notified_at = timezone.now()
        locked.save(update_fields=["notified_at"])
        audit.record(actor=by, action="waiting_list.notified", obj=locked)
    return locked


def waiting_list_offer(*, entry: WaitingListEntry, freed: Appointment, by: User) -> list[str]:
    """Reception offers the freed slot to one person of the waiting list (SMS / e-mail if
    consented, never twice on a channel, audited)."""
    from appointments import reminders

    return [o.reason for o in reminders.offer_slot(freed_id=freed.pk, entry_id=entry.pk, by=by)]
