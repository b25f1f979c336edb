"""What the appointments app erases and exports for a person (RGPD art. 17 and 15).

Registered with `patients.hooks` at import (imported by `PatientsConfig.ready`).

Erasure keeps the appointments themselves (date, practitioner, type, status): they are the
ground of the invoices kept as accounting pieces (art. L123-22 du Code de commerce) and of
the activity counts owed to the funders; they point to the anonymised record. Free texts
(remarks, reasons) and the addresses messages were sent to go: they may name the person.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from appointments.models import Appointment, Reminder, WaitingListEntry, WaitingListOffer
from patients import hooks
from patients.models import Patient


def erase(patient: Patient) -> hooks.Erasure:
    appointments = Appointment.objects.filter(patient=patient)
    texts = Q(note__gt="") | Q(cancel_reason__gt="") | Q(forced_reason__gt="")
    return hooks.Erasure(
        counts={
            "appointment_texts": appointments.filter(texts).update(
                note="", cancel_reason="", forced_reason=""
            ),
            "reminder_recipients": Reminder.objects.filter(appointment__patient=patient).update(
                to="", error=""
            ),
            "waiting_list_notes": WaitingListEntry.objects.filter(patient=patient).update(note=""),
            "waiting_list_recipients": WaitingListOffer.objects.filter(
                entry__patient=patient
            ).update(to="", error=""),
        }
    )


def export(patient: Patient) -> dict[str, list[dict[str, Any]]]:
    appointments = (
        Appointment.objects.filter(patient=patient)
        .select_related("practitioner__user", "consultation_type", "site")
        .order_by("start", "pk")
    )
    reminders = Reminder.objects.filter(appointment__patient=patient).order_by("created_at", "pk")
    entries = WaitingListEntry.objects.filter(patient=patient).order_by("pk")
    offers = WaitingListOffer.objects.filter(entry__patient=patient).order_by("created_at", "pk")
    return {
        "appointments": [
            {
                "id": a.pk,
                "start": a.start.isoformat(),
                "end": a.end.isoformat(),
                "type": a.consultation_type.label,
                "practitioner": str(a.practitioner),
                "site": a.site.name,
                "status": a.get_status_display(),
                "note": a.note,
                "cancel_reason": a.cancel_reason,
            }
            for a in appointments
        ],
        "reminders": [
            {
                "appointment_id": r.appointment_id,
                "kind": r.get_kind_display(),
                "channel": r.get_channel_display(),
                "to": r.to,
                "status": r.get_status_display(),
                "sent_at": r.sent_at.isoformat() if r.sent_at else None,
            }
            for r in reminders
        ],
        "waiting_list": [
            {
                "id": e.pk,
                "created_at": e.created_at.isoformat() if getattr(e, "created_at", None) else None,
                "before": e.before.isoformat() if e.before else None,
                "status": e.get_status_display(),
                "note": e.note,
            }
            for e in entries
        ],
        "waiting_list_offers": [
            {
                "slot_start": o.slot_start.isoformat(),
                "channel": o.get_channel_display(),
                "to": o.to,
                "status": o.get_status_display(),
                "sent_at": o.sent_at.isoformat() if o.sent_at else None,
            }
            for o in offers
        ],
    }


def records(patient: Patient) -> dict[str, list[str]]:
    return {
        "appointments.appointment": [
            str(pk)
            for pk in Appointment.objects.filter(patient=patient).values_list("pk", flat=True)
        ]
    }


hooks.register_erasure(erase)
hooks.register_export(export)
hooks.register_records(records)
