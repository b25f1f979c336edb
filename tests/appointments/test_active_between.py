"""`active_between` (used by the slot search, written so PostgreSQL can use the GiST index of
the exclusion constraint) returns exactly `active().between()`."""

from __future__ import annotations

import datetime

import pytest

from appointments.models import Appointment, Status
from centre.models import Site, User
from tests.appointments.factories import appointment, paris, practitioner

pytestmark = pytest.mark.django_db


def test_active_between_is_active_and_between(site: Site, staff: dict[str, User]) -> None:
    doctor = practitioner(site=site)
    made = [
        appointment(
            practitioner=doctor,
            site=site,
            start=paris(2030, 3, 4, 8) + datetime.timedelta(minutes=20 * i),
            booked_by=staff["accueil"],
        )
        for i in range(6)
    ]
    Appointment.objects.filter(pk=made[2].pk).update(status=Status.CANCELLED)
    Appointment.objects.filter(pk=made[3].pk).update(status=Status.SEEN)
    for start, end in [
        (paris(2030, 3, 4, 8, 10), paris(2030, 3, 4, 9, 0)),  # overlaps 8:00, ends at 9:00
        (paris(2030, 3, 4, 8, 20), paris(2030, 3, 4, 8, 40)),  # exact boundaries
        (paris(2030, 3, 4, 0), paris(2030, 3, 5, 0)),
        (paris(2030, 3, 5, 0), paris(2030, 3, 6, 0)),  # nothing that day
    ]:
        expected = set(Appointment.objects.active().between(start, end).values_list("pk"))
        assert set(Appointment.objects.active_between(start, end).values_list("pk")) == expected
    assert not Appointment.objects.active_between(paris(2030, 3, 4, 9), paris(2030, 3, 4, 8))
