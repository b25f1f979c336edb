"""Staff screens for opening schedules and absences: audited services, clear refusals, and
the slots they open or hide."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appointments import selectors
from appointments.models import Absence, ExtraSchedule, WeeklySchedule
from appointments.services import booking, schedules
from centre.models import AuditEntry, Site, User
from tests.appointments.factories import ConsultationTypeFactory, appointment, paris, practitioner

pytestmark = pytest.mark.django_db
ClientFor = Callable[[str | None], Client]
MONDAY = datetime.date(2030, 1, 7)


def slots_on(day: datetime.date, doctor_id: int) -> list[str]:
    query = selectors.SlotQuery(
        consultation_type=ConsultationTypeFactory(),
        first_day=day,
        last_day=day,
        practitioner_ids=[doctor_id],
        now=paris(2029, 12, 1),
    )
    return [f"{timezone.localtime(s.start):%H:%M}" for s in selectors.find_slots(query)]


def test_reception_creates_edits_and_ends_a_weekly_schedule(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    doctor = practitioner(site=site)
    client = client_for("accueil")
    response = client.post(
        reverse("appointments:weekly_create"),
        {
            "practitioner": doctor.pk,
            "site": site.pk,
            "weekday": 0,
            "start_time": "09:00",
            "end_time": "10:00",
            "valid_from": "2030-01-07",
        },
    )
    assert response.status_code == 302
    schedule = WeeklySchedule.objects.get()
    assert slots_on(MONDAY, doctor.pk) == ["09:00", "09:20", "09:40"]
    created = AuditEntry.objects.get(action="schedule.weekly.create")
    assert created.actor_id == staff["accueil"].pk
    assert created.changes["start_time"] == "09:00:00"
    # An overlapping plage for the same practitioner is refused with a French message.
    refused = client.post(
        reverse("appointments:weekly_create"),
        {
            "practitioner": doctor.pk,
            "site": site.pk,
            "weekday": 0,
            "start_time": "09:30",
            "end_time": "11:00",
            "valid_from": "2030-03-04",
        },
    )
    assert "chevauche une autre plage" in refused.content.decode()
    assert WeeklySchedule.objects.count() == 1
    # Edit: one hour more; the audit keeps before and after.
    client.post(
        reverse("appointments:weekly_edit", args=[schedule.pk]),
        {
            "site": site.pk,
            "weekday": 0,
            "start_time": "09:00",
            "end_time": "11:00",
            "valid_from": "2030-01-07",
        },
    )
    assert len(slots_on(MONDAY, doctor.pk)) == 6
    edited = AuditEntry.objects.get(action="schedule.weekly.update")
    assert edited.changes == {"end_time": ["10:00:00", "11:00:00"]}
    # End it: a booked appointment after the end is reported, not cancelled.
    appointment(
        practitioner=doctor,
        site=site,
        start=paris(2030, 1, 21, 9, 0),
        booked_by=staff["accueil"],
    )
    page = client.post(
        reverse("appointments:weekly_end", args=[schedule.pk]),
        {"last_day": "2030-01-13"},
        follow=True,
    ).content.decode()
    assert "1 rendez-vous prévu(s) après cette date" in page
    schedule.refresh_from_db()
    assert schedule.valid_until == datetime.date(2030, 1, 13)
    assert slots_on(MONDAY, doctor.pk) != []
    assert slots_on(MONDAY + datetime.timedelta(days=7), doctor.pk) == []
    ended = AuditEntry.objects.get(action="schedule.weekly.end")
    assert ended.changes == {"valid_until": [None, "2030-01-13"]}
    assert ended.extra == {"booked_after_end": 1}
    # Ending before the start is refused.
    with pytest.raises(booking.BookingError, match="choisissez une date"):
        schedules.weekly_schedule_end(
            schedule=schedule, last_day=datetime.date(2029, 1, 1), by=staff["accueil"]
        )


def test_extra_plage_and_absence_open_and_hide_slots(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    doctor = practitioner(site=site)
    client = client_for("direction")
    saturday = datetime.date(2030, 1, 12)
    client.post(
        reverse("appointments:extra_create"),
        {
            "practitioner": doctor.pk,
            "site": site.pk,
            "date": "2030-01-12",
            "start_time": "10:00",
            "end_time": "11:00",
        },
    )
    extra = ExtraSchedule.objects.get()
    assert slots_on(saturday, doctor.pk) == ["10:00", "10:20", "10:40"]
    bad = client.post(
        reverse("appointments:extra_edit", args=[extra.pk]),
        {"site": site.pk, "date": "2030-01-12", "start_time": "11:00", "end_time": "10:00"},
    )
    assert "L&#x27;heure de fin doit être après l&#x27;heure de début." in bad.content.decode()
    # Absence (training) from 10:00 to 10:30: the first two slots disappear.
    response = client.post(
        reverse("appointments:absence_create"),
        {
            "practitioner": doctor.pk,
            "start_date": "2030-01-12",
            "start_time": "10:00",
            "end_date": "2030-01-12",
            "end_time": "10:30",
            "reason": "formation",
            "note": "DU plaies",
        },
    )
    assert response.status_code == 302
    absence = Absence.objects.get()
    assert timezone.localtime(absence.start).hour == 10
    assert slots_on(saturday, doctor.pk) == ["10:30"]  # free again from the end of absence
    page = client.get(reverse("appointments:schedules") + f"?soignant={doctor.pk}")
    assert "DU plaies" in page.content.decode()
    assert "samedi 12 janvier 2030" in page.content.decode()
    client.post(
        reverse("appointments:absence_edit", args=[absence.pk]),
        {
            "start_date": "2030-01-12",
            "start_time": "10:00",
            "end_date": "2030-01-12",
            "end_time": "10:10",
            "reason": "formation",
            "note": "",
        },
    )
    assert slots_on(saturday, doctor.pk) == ["10:10", "10:30"]
    client.post(reverse("appointments:absence_delete", args=[absence.pk]))
    client.post(reverse("appointments:extra_delete", args=[extra.pk]))
    assert slots_on(saturday, doctor.pk) == []
    actions = list(
        AuditEntry.objects.filter(actor=staff["direction"])
        .exclude(action__startswith="auth.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "schedule.extra.create",
        "absence.add",
        "absence.update",
        "absence.delete",
        "schedule.extra.delete",
    ]
    deleted = AuditEntry.objects.get(action="absence.delete")
    assert deleted.changes["reason"] == ["formation", None]


def test_schedule_list_query_count_is_fixed(
    client_for: ClientFor,
    site: Site,
    staff: dict[str, User],
    django_assert_num_queries: Callable[..., object],
) -> None:
    client = client_for("accueil")
    doctors = [practitioner(site=site) for _ in range(3)]
    for i, doctor in enumerate(doctors):
        schedules.weekly_schedule_create(
            practitioner=doctor,
            site=site,
            weekday=i,
            start_time=datetime.time(9),
            end_time=datetime.time(12),
            valid_from=datetime.date(2030, 1, 7),
            by=staff["accueil"],
        )
    client.get(reverse("appointments:schedules"))  # warm the session and caches
    with django_assert_num_queries(10) as captured:  # type: ignore[operator]
        client.get(reverse("appointments:schedules"))
    for doctor in doctors:
        schedules.extra_schedule_create(
            practitioner=doctor,
            site=site,
            date=datetime.date(2030, 2, 1),
            start_time=datetime.time(14),
            end_time=datetime.time(15),
            by=staff["accueil"],
        )
    with django_assert_num_queries(len(captured)):  # type: ignore[operator]
        client.get(reverse("appointments:schedules"))
