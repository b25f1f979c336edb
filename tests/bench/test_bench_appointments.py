"""Benchmarks of the appointments app on the generated centre (`make bench`): the day view of
the main site (10 practitioners, ~330 appointments), the slot search over four weeks, and
booking throughput under 20 concurrent clients compared with raw SQL INSERTs of the same rows
(the in-run baseline)."""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from appointments.models import Appointment, ConsultationType
from appointments.selectors import SlotQuery, find_slots
from appointments.services import booking
from patients.models import Patient
from tests.bench.generator import PARIS, Generated
from tests.bench.report import measure, record, summarise, value


def _count_queries(client: Client, url: str) -> int:
    # request_started resets Django's query log, so count with an execute wrapper instead.
    queries: list[str] = []
    with connection.execute_wrapper(
        lambda execute, sql, *a: (queries.append(sql), execute(sql, *a))[1]
    ):
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_bench_day_view_and_slots(generated: Generated) -> None:
    site = generated.site
    day = generated.busiest_day()
    on_day = Appointment.objects.filter(
        site=site, start__date=day, practitioner__in=generated.practitioners
    ).count()
    client = Client()
    client.force_login(
        generated.receptionists[0], backend="django.contrib.auth.backends.ModelBackend"
    )
    ctype = ConsultationType.objects.get(label__contains="(medecin_generaliste)")
    url = f"{reverse('appointments:day')}?site={site.pk}&date={day:%Y-%m-%d}"
    typed = f"{url}&type={ctype.pk}"
    queries = _count_queries(client, typed)
    grid = f"{url}&type={ctype.pk}"
    record(
        summarise(
            f"agenda du jour, 10 soignant·e·s, {on_day} RDV",
            measure(lambda: client.get(typed), repeat=20),
            target_ms=300,
            baseline=f"{queries} requêtes SQL",
        ),
        summarise(
            "  même vue, grille seule (HTMX)",
            measure(lambda: client.get(grid, headers={"HX-Request": "true"}), repeat=20),
            target_ms=300,
        ),
    )

    # Slot search: four weeks ahead of the generated history (60 % booked), 10 practitioners.
    first = generated.anchor
    query = SlotQuery(
        consultation_type=ctype,
        first_day=first,
        last_day=first + datetime.timedelta(days=27),
        now=datetime.datetime.combine(first, datetime.time(7), tzinfo=PARIS),
    )
    found = len(find_slots(query))
    record(
        summarise(
            f"recherche de créneaux, 4 semaines ({found} libres)",
            measure(lambda: find_slots(query), repeat=20),
            target_ms=200,
        )
    )


def _outside_test_transaction(fn: Callable[[], None]) -> None:
    """Run `fn` in a thread of its own: its connection is not in the test's transaction, so
    the concurrent clients see what it commits. It deletes its bookings at the end (their
    audit entries stay: the journal is append-only)."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            fn()
        except BaseException as exc:  # re-raised in the test
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


@pytest.mark.django_db
def test_bench_booking_throughput(generated: Generated) -> None:
    _outside_test_transaction(lambda: _booking_throughput(generated))


def _booking_throughput(generated: Generated) -> None:
    site = generated.site
    doctors = generated.practitioners[:6]  # the general practitioners (the type is theirs)
    booker = generated.receptionists[0]
    ctype = ConsultationType.objects.get(label__contains="(medecin_generaliste)")
    # A Tuesday after the generated weeks: empty agenda, 36 slots a practitioner.
    day = generated.anchor + datetime.timedelta(weeks=5, days=1)
    start_of_day = datetime.datetime.combine(day, datetime.time(8), tzinfo=PARIS)
    end_of_day = start_of_day + datetime.timedelta(hours=12)
    Appointment.objects.filter(start__gte=start_of_day, start__lt=end_of_day).delete()
    patients = list(Patient.objects.order_by("pk")[: 20 * 15])
    # 20 clients book 15 slots each; every 3rd request of a client aims at a slot a
    # neighbour also wants, so conflicts happen.
    requests = [
        [
            (
                c * 15 + i,
                start_of_day
                + datetime.timedelta(minutes=20 * (((c + (i % 3 == 0)) * 15 + i) % 36)),
            )
            for i in range(15)
        ]
        for c in range(20)
    ]
    outcomes = {"ok": 0, "conflict": 0}
    lock = threading.Lock()
    barrier = threading.Barrier(20)

    def client_thread(c: int) -> None:
        barrier.wait()
        for n, (pid, start) in enumerate(requests[c]):
            try:
                booking.appointment_book(
                    patient=patients[pid],
                    practitioner=doctors[(c + n) % 6],
                    consultation_type=ctype,
                    site=site,
                    start=start,
                    by=booker,
                    # Inside the generated plages (8:00–20:00 on weekdays): the reason only
                    # matters if that Tuesday is a public holiday (the rules are checked the
                    # same, so the cost measured is the real one).
                    force_reason="Mesure de débit",
                )
                key = "ok"
            except booking.SlotUnavailable:
                key = "conflict"
            with lock:
                outcomes[key] += 1
        connections.close_all()

    try:
        threads = [threading.Thread(target=client_thread, args=(c,)) for c in range(20)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        app_rate = outcomes["ok"] / (time.perf_counter() - started)
        with connection.cursor() as cursor:
            cursor.execute(
                """SELECT count(*) FROM appointments_appointment a
                   JOIN appointments_appointment b
                   ON a.id < b.id AND a.practitioner_id = b.practitioner_id
                   AND tstzrange(a.start, a."end") && tstzrange(b.start, b."end")
                   WHERE a.status IN ('booked', 'arrived', 'seen')
                     AND b.status IN ('booked', 'arrived', 'seen')
                     AND a.start >= %s AND a.start < %s AND b.start >= %s AND b.start < %s""",
                [start_of_day, end_of_day, start_of_day, end_of_day],
            )
            double_bookings = cursor.fetchone()[0]

        # The same accepted rows, inserted with raw SQL (one INSERT per row, autocommit).
        booked = Appointment.objects.filter(start__gte=start_of_day, start__lt=end_of_day)
        rows = list(
            booked.values_list(
                "patient_id",
                "practitioner_id",
                "consultation_type_id",
                "site_id",
                "start",
                "end",
                "booked_by_id",
            )
        )
        booked.delete()
        chunks = [rows[i::20] for i in range(20)]
        raw_barrier = threading.Barrier(20)

        def raw_thread(chunk: list[tuple[Any, ...]]) -> None:
            raw_barrier.wait()
            with connection.cursor() as cursor:
                for row in chunk:
                    cursor.execute(
                        """INSERT INTO appointments_appointment (patient_id, practitioner_id,
                           consultation_type_id, site_id, start, "end", booked_by_id, status,
                           interpreter_language, is_walk_in, note, cancel_reason, created_at,
                           updated_at)
                           VALUES (%s, %s, %s, %s, %s, %s, %s, 'booked', '', false, '', '',
                           now(), now())""",
                        row,
                    )
            connections.close_all()

        raw_threads = [threading.Thread(target=raw_thread, args=(chunk,)) for chunk in chunks]
        started = time.perf_counter()
        for t in raw_threads:
            t.start()
        for t in raw_threads:
            t.join()
        raw_rate = len(rows) / (time.perf_counter() - started)
    finally:
        Appointment.objects.filter(start__gte=start_of_day, start__lt=end_of_day).delete()
    record(
        value(
            f"réservations/s, 20 clients ({outcomes['ok']} prises, "
            f"{outcomes['conflict']} conflits)",
            app_rate,
            unit="/s",
            target="> 50 /s",
            passed=app_rate > 50,
            baseline=f"SQL brut {raw_rate:.0f}/s, soit × {raw_rate / app_rate:.1f}",
        ),
        value(
            "  doubles réservations",
            double_bookings,
            unit="",
            target="0",
            passed=double_bookings == 0,
        ),
    )
    assert double_bookings == 0
    assert outcomes["conflict"] > 0
