"""Benchmarks of the appointments app (`make bench`): day view, slot search, booking
throughput under 20 concurrent clients compared with raw SQL INSERTs of the same rows."""

from __future__ import annotations

import datetime
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from appointments import services
from appointments.models import Appointment
from appointments.selectors import SlotQuery, find_slots
from centre.models import Site, StaffProfile, User
from tests.appointments.factories import (
    ConsultationTypeFactory,
    PatientFactory,
    appointment,
    paris,
    practitioner,
    weekly,
)

ROWS: list[tuple[str, float, float, str, bool]] = []


def _timed(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def _print_table() -> None:
    print("\n| Mesure | Médiane | p95 | Cible | Résultat |")
    print("|---|---|---|---|---|")
    for name, median, p95, target, ok in ROWS:
        print(f"| {name} | {median:.1f} | {p95:.1f} | {target} | {'OK' if ok else 'ÉCHEC'} |")


def _practitioners(site: Site, count: int) -> list[StaffProfile]:
    result = []
    for _ in range(count):
        profile = practitioner(site=site)
        weekly(profile, site, 0, "08:00", "20:00")
        weekly(profile, site, 1, "08:00", "20:00")
        for day in (2, 3, 4):
            weekly(profile, site, day, "09:00", "12:30")
        result.append(profile)
    return result


@pytest.mark.django_db(transaction=True)
def test_bench_appointments(site: Site, staff: dict[str, User]) -> None:
    doctors = _practitioners(site, 10)
    # Day view: 10 practitioners × 30 appointments.
    for profile in doctors:
        for i in range(30):
            appointment(
                practitioner=profile,
                site=site,
                start=paris(2030, 3, 4, 8) + datetime.timedelta(minutes=20 * i),
                booked_by=staff["accueil"],
            )
    client = Client()
    client.force_login(staff["accueil"], backend="django.contrib.auth.backends.ModelBackend")
    ctype = ConsultationTypeFactory()
    url = f"{reverse('appointments:day')}?site={site.pk}&date=2030-03-04&type={ctype.pk}"
    client.get(url)
    # request_started resets Django's query log, so count with an execute wrapper instead.
    queries: list[str] = []
    with connection.execute_wrapper(
        lambda execute, sql, *a: (queries.append(sql), execute(sql, *a))[1]
    ):
        client.get(url)
    median, p95 = _timed(lambda: client.get(url), 20)
    ROWS.append(("Vue du jour, 10 soignants, 300 RDV (ms)", median, p95, "< 300", p95 < 300))
    ROWS.append(
        ("  requêtes SQL de la vue du jour", len(queries), len(queries), "≤ 20", len(queries) <= 20)
    )

    # Slot search: 4 weeks, 10 practitioners.
    query = SlotQuery(
        consultation_type=ctype,
        first_day=datetime.date(2030, 3, 4),
        last_day=datetime.date(2030, 3, 31),
        now=paris(2030, 1, 1),
    )
    found = len(find_slots(query))
    median, p95 = _timed(lambda: find_slots(query), 20)
    ROWS.append(
        (
            f"Recherche de créneaux, 4 semaines ({found} créneaux) (ms)",
            median,
            p95,
            "< 200",
            p95 < 200,
        )
    )

    # Booking throughput: 20 clients, each books 15 slots; every 3rd request of a client
    # aims at a slot a neighbour also wants, so conflicts happen.
    patients = [PatientFactory() for _ in range(20 * 15)]
    day = paris(2030, 3, 5, 8)
    requests: list[list[tuple[int, datetime.datetime]]] = [
        [
            (
                c * 15 + i,
                day + datetime.timedelta(minutes=20 * (((c + (i % 3 == 0)) * 15 + i) % 36)),
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
                services.appointment_book(
                    patient=patients[pid],
                    practitioner=doctors[(c + n) % 10],
                    consultation_type=ctype,
                    site=site,
                    start=start,
                    booked_by=staff["accueil"],
                )
                key = "ok"
            except services.SlotUnavailable:
                key = "conflict"
            with lock:
                outcomes[key] += 1
        connections.close_all()

    threads = [threading.Thread(target=client_thread, args=(c,)) for c in range(20)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    app_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM appointments_appointment a JOIN appointments_appointment b
               ON a.id < b.id AND a.practitioner_id = b.practitioner_id
               AND tstzrange(a.start, a."end") && tstzrange(b.start, b."end")
               WHERE a.status IN ('booked', 'arrived', 'seen')
                 AND b.status IN ('booked', 'arrived', 'seen')"""
        )
        double_bookings = cursor.fetchone()[0]
    # Accepted bookings per second (conflicts cost time too, they are counted apart).
    app_rate = outcomes["ok"] / app_seconds

    # The same accepted rows, inserted with raw SQL (one INSERT per row, autocommit).
    rows = list(
        Appointment.objects.filter(
            start__gte=day, start__lt=day + datetime.timedelta(days=1)
        ).values_list(
            "patient_id",
            "practitioner_id",
            "consultation_type_id",
            "site_id",
            "start",
            "end",
            "booked_by_id",
        )
    )
    Appointment.objects.filter(start__gte=day, start__lt=day + datetime.timedelta(days=1)).delete()
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
                       VALUES (%s, %s, %s, %s, %s, %s, %s, 'booked', '', false, '', '', now(),
                       now())""",
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
    ROWS.append(
        (
            f"Réservations/s, 20 clients ({outcomes['ok']} prises, "
            f"{outcomes['conflict']} conflits)",
            app_rate,
            app_rate,
            "> 50",
            app_rate > 50,
        )
    )
    ROWS.append(("  INSERT SQL brut/s, 20 clients (mêmes lignes)", raw_rate, raw_rate, "—", True))
    ROWS.append(
        ("  rapport SQL brut / application", raw_rate / app_rate, raw_rate / app_rate, "—", True)
    )
    ROWS.append(
        ("  doubles réservations", double_bookings, double_bookings, "0", double_bookings == 0)
    )
    _print_table()
    assert double_bookings == 0
    assert outcomes["conflict"] > 0
