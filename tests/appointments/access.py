from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from appointments.models import (
    Absence,
    Appointment,
    CalendarFeed,
    ExtraSchedule,
    WaitingListEntry,
    WeeklySchedule,
)
from tests.access import ALL_STAFF, PUBLIC, Access, World, roles
from tests.appointments.factories import ConsultationTypeFactory, PatientFactory

AGENDA = roles("accueil", "soignant", "direction")
READ = roles("accueil", "soignant", "direction", "facturation")


def _appointment(w: World) -> dict[str, Any]:
    """A booked appointment tomorrow with the `soignant` account as practitioner."""
    if "appointment" not in w.cache:
        start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=1)
        w.cache["appointment"] = Appointment.objects.create(
            patient=PatientFactory(),
            practitioner=w.staff["soignant"].profile,
            consultation_type=ConsultationTypeFactory(),
            site=w.site,
            start=start,
            end=start + datetime.timedelta(minutes=20),
            booked_by=w.staff["accueil"],
        )
    return {"pk": w.cache["appointment"].pk}


def _waiting(w: World) -> dict[str, Any]:
    entry = WaitingListEntry.objects.create(
        patient=PatientFactory(),
        consultation_type=ConsultationTypeFactory(),
        created_by=w.staff["accueil"],
    )
    return {"pk": entry.pk}


def _feed(w: World) -> dict[str, Any]:
    feed = CalendarFeed.objects.create(practitioner=w.staff["soignant"].profile)
    return {"token": feed.token}


def _weekly(w: World) -> dict[str, Any]:
    schedule = WeeklySchedule.objects.create(
        practitioner=w.staff["soignant"].profile,
        site=w.site,
        weekday=0,
        start_time=datetime.time(9),
        end_time=datetime.time(12),
        valid_from=datetime.date(2026, 1, 5),
    )
    return {"pk": schedule.pk}


def _extra(w: World) -> dict[str, Any]:
    extra = ExtraSchedule.objects.create(
        practitioner=w.staff["soignant"].profile,
        site=w.site,
        date=timezone.localdate() + datetime.timedelta(days=3),
        start_time=datetime.time(14),
        end_time=datetime.time(17),
    )
    return {"pk": extra.pk}


def _absence(w: World) -> dict[str, Any]:
    start = timezone.now() + datetime.timedelta(days=10)
    absence = Absence.objects.create(
        practitioner=w.staff["soignant"].profile,
        start=start,
        end=start + datetime.timedelta(days=2),
        reason="formation",
    )
    return {"pk": absence.pk}


def _type(w: World) -> dict[str, Any]:
    """A type of its own (bookable by mediators, so their API read finds it) per URL."""
    ctype = ConsultationTypeFactory(label=f"Motif de la matrice {len(w.cache)}")
    w.cache[f"type-{ctype.pk}"] = ctype
    return {"pk": ctype.pk}


# Opening schedules and absences: reception and direction (docs/roles.md: the director runs
# the centre's organisation, reception keeps the agenda).
SCHEDULES = roles("accueil", "direction")

ACCESS = {
    "appointments:schedules": Access(SCHEDULES),
    "appointments:weekly_create": Access(SCHEDULES),
    "appointments:weekly_edit": Access(SCHEDULES, kwargs=_weekly),
    "appointments:weekly_end": Access(SCHEDULES, method="post", kwargs=_weekly),
    "appointments:extra_create": Access(SCHEDULES),
    "appointments:extra_edit": Access(SCHEDULES, kwargs=_extra),
    "appointments:extra_delete": Access(SCHEDULES, method="post", kwargs=_extra),
    "appointments:absence_create": Access(SCHEDULES),
    "appointments:absence_edit": Access(SCHEDULES, kwargs=_absence),
    "appointments:absence_delete": Access(SCHEDULES, method="post", kwargs=_absence),
    # Consultation types: reception and direction (perms.MANAGE_TYPES), as the plannings.
    "appointments:types": Access(SCHEDULES),
    "appointments:type_create": Access(SCHEDULES),
    "appointments:type_edit": Access(SCHEDULES, kwargs=_type),
    "appointments:type_deactivate": Access(SCHEDULES, method="post", kwargs=_type),
    "appointments:type_reactivate": Access(SCHEDULES, method="post", kwargs=_type),
    "appointments:type_delete": Access(SCHEDULES, method="post", kwargs=_type),
    "appointments:index": Access(AGENDA),
    "appointments:day": Access(AGENDA),
    "appointments:week": Access(
        AGENDA, kwargs=lambda w: {"practitioner_id": w.staff["soignant"].profile.pk}
    ),
    "appointments:my_agenda": Access(roles("soignant")),
    "appointments:my_today": Access(roles("soignant")),
    "appointments:calendar_feed": Access(roles("soignant")),
    "appointments:next_slot": Access(roles("accueil")),
    "appointments:book": Access(roles("accueil")),
    "appointments:walk_in": Access(roles("accueil")),
    "appointments:patient_picker": Access(roles("accueil")),
    "appointments:to_fill_in": Access(AGENDA),
    # Consultations by period: who reads appointments (READ_APPOINTMENTS); a practitioner
    # only their own (tested in test_consultations.py); mediation none.
    "appointments:consultations": Access(READ),
    "appointments:consultations_csv": Access(READ),
    "appointments:waiting_list": Access(roles("accueil")),
    "appointments:waiting_close": Access(roles("accueil"), method="post", kwargs=_waiting),
    "appointments:waiting_notify": Access(roles("accueil"), method="post", kwargs=_waiting),
    "appointments:waiting_offer": Access(
        roles("accueil"),
        method="post",
        kwargs=lambda w: {"pk": _waiting(w)["pk"], "appointment_id": _appointment(w)["pk"]},
    ),
    "appointments:day_sheet": Access(roles("accueil", "direction")),
    "appointments:detail": Access(READ, kwargs=_appointment),
    "appointments:move": Access(roles("accueil"), kwargs=_appointment),
    "appointments:arrive": Access(roles("accueil", "soignant"), method="post", kwargs=_appointment),
    "appointments:undo_arrival": Access(roles("accueil"), method="post", kwargs=_appointment),
    "appointments:seen": Access(roles("accueil", "soignant"), method="post", kwargs=_appointment),
    "appointments:book_panel": Access(roles("accueil")),
    "appointments:move_to": Access(roles("accueil"), method="post", kwargs=_appointment),
    "appointments:call_in": Access(
        roles("accueil", "soignant"), method="post", kwargs=_appointment
    ),
    "appointments:waiting_room": Access(roles("accueil", "soignant", "direction")),
    "appointments:no_show": Access(roles("accueil"), method="post", kwargs=_appointment),
    "appointments:cancel": Access(roles("accueil"), method="post", kwargs=_appointment),
    # Public URL guarded by its secret token (calendar apps cannot log in); a bad token is a
    # 404, tested in test_views.py.
    "appointments:ics": Access(PUBLIC, kwargs=_feed),
    # API
    "api:consultation-types": Access(ALL_STAFF, api=True),
    # Read by every staff role (perms.READ_TYPES); PATCH (reception, direction) is tested in
    # test_types.py.
    "api:consultation-type-detail": Access(ALL_STAFF, api=True, kwargs=_type),
    "api:slots": Access(ALL_STAFF, api=True),
    "api:appointments": Access(READ, api=True),
    "api:appointment-detail": Access(READ, api=True, kwargs=_appointment),
    "api:appointment-arrive": Access(
        roles("accueil", "soignant"), api=True, method="post", kwargs=_appointment
    ),
    "api:appointment-call-in": Access(
        roles("accueil", "soignant"), api=True, method="post", kwargs=_appointment
    ),
    "api:waiting-room": Access(roles("accueil", "soignant", "direction"), api=True),
    "api:appointment-seen": Access(
        roles("accueil", "soignant"), api=True, method="post", kwargs=_appointment
    ),
    "api:appointment-no-show": Access(
        roles("accueil"), api=True, method="post", kwargs=_appointment
    ),
    "api:appointment-cancel": Access(
        roles("accueil"), api=True, method="post", kwargs=_appointment
    ),
}
