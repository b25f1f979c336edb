"""Twenty receptionists click the same slot at the same moment: PostgreSQL's exclusion
constraint lets exactly one booking through; the others get the French conflict message."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from appointments.models import Appointment
from appointments.services import booking
from centre.models import Site, User
from tests.appointments.factories import (
    ConsultationTypeFactory,
    PatientFactory,
    open_plages,
    paris,
    practitioner,
)

THREADS = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_one_slot_exactly_one_wins(site: Site, staff: dict[str, User]) -> None:
    doctor = practitioner(site=site)
    open_plages(doctor, site)
    ctype = ConsultationTypeFactory()
    patients = [PatientFactory() for _ in range(THREADS)]
    start = paris(2030, 5, 6, 10)
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        try:
            barrier.wait()
            booking.appointment_book(
                patient=patients[index],
                practitioner=doctor,
                consultation_type=ctype,
                site=site,
                start=start,
                by=staff["accueil"],
            )
            result = "ok"
        except booking.SlotUnavailable as error:
            result = error.message
        except Exception as error:
            result = f"unexpected: {error!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(outcomes) == THREADS
    assert outcomes.count("ok") == 1
    assert outcomes.count("Ce créneau vient d'être pris : choisissez-en un autre.") == THREADS - 1
    assert Appointment.objects.filter(practitioner=doctor).count() == 1
