"""Benchmark of reports (`make bench`): the annual report over a year of a busy centre
(≈ 8,000 consultations, 1,500 outreach sessions, 10,000 invoices).

Prints the time to compute the indicators (ORM, through the registry) next to the same
aggregates written by hand in SQL, the time to render the PDF, and the dashboard's query
count and time. Targets (issue 7): whole report < 10 s; indicators within 3× the hand SQL.
"""

from __future__ import annotations

import datetime
import random
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appointments.models import Appointment, ConsultationType, Status, WeeklySchedule
from billing.models import Claim, ClaimStatus, Invoice, Payment, PaymentSource
from centre.models import Profession, Site, StaffProfile
from centre.reports import services
from centre.reports.indicators import Period, compute
from centre.reports.models import ReportRun
from centre.reports.templates import TEMPLATES
from outreach.models import (
    CollectiveAction,
    CollectiveKind,
    Person,
    Place,
    PlaceKind,
    RightsSession,
    Topic,
    TriState,
)
from patients.models import Coverage, CoverageKind, Patient
from tests.factories import CentreFactory, SiteFactory, make_staff

pytestmark = pytest.mark.django_db

YEAR = Period(datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
PARIS = datetime.timezone(datetime.timedelta(hours=1))
PATIENTS = 3000
CONSULTATIONS = 8000
SESSIONS = 1500
INVOICES = 10000


def _build_year(site: Site, rng: random.Random) -> dict[str, Any]:
    centre = site.centre
    professions = [Profession.GENERALISTE] * 4 + [Profession.INFIRMIER, Profession.ORTHOPHONISTE]
    practitioners: list[StaffProfile] = [
        make_staff("soignant", centre=centre, sites=[site], profession=p).profile
        for p in professions
    ]
    booker = make_staff("accueil", centre=centre, sites=[site])
    mediator = make_staff("mediation", centre=centre, sites=[site])
    types = {
        p: ConsultationType.objects.get_or_create(label=f"Bench {p}", profession=p)[0]
        for p in set(professions)
    }
    for index, profile in enumerate(practitioners):
        for weekday in range(5):
            WeeklySchedule.objects.create(
                practitioner=profile,
                site=site,
                weekday=weekday,
                start_time=datetime.time(8 + index % 2),
                end_time=datetime.time(12 + index % 3),
                valid_from=datetime.date(2024, 1, 1),
            )
    now = datetime.datetime(2024, 6, 1, tzinfo=PARIS)
    patients = Patient.objects.bulk_create(
        Patient(
            last_name=f"Bench{i}",
            first_name="Test",
            sex="F" if i % 2 else "M",
            birth_date=datetime.date(1950 + i % 60, 1 + i % 12, 1 + i % 28),
            in_qpv=(None, True, True, False)[i % 4],
            interpreter_needed=i % 9 == 0,
            created_at=now,
            usual_site=site,
        )
        for i in range(PATIENTS)
    )
    coverages: list[Coverage] = []
    for i, p in enumerate(patients):
        start = datetime.date(2023, 1, 1)
        if i % 10 != 0:
            coverages.append(Coverage(patient=p, kind=CoverageKind.AMO, start=start))
        else:
            coverages.append(Coverage(patient=p, kind=CoverageKind.AME, start=start))
        if i % 4 == 0:
            coverages.append(Coverage(patient=p, kind=CoverageKind.C2S, start=start))
        if i % 3 == 0:
            coverages.append(
                Coverage(
                    patient=p,
                    kind=CoverageKind.MEDECIN_TRAITANT,
                    start=start,
                    doctor_in_centre=i % 2 == 0,
                )
            )
    Coverage.objects.bulk_create(coverages)

    # Working days of 2025, six 30-minute slots per practitioner a day: the six practitioners
    # see six different patients at any one time (exclusion constraints).
    days = [
        YEAR.start + datetime.timedelta(days=n)
        for n in range(YEAR.days)
        if (YEAR.start + datetime.timedelta(days=n)).weekday() < 5
    ]
    statuses = [Status.SEEN] * 85 + [Status.NO_SHOW] * 8 + [Status.EXCUSED] * 7
    appointments: list[Appointment] = []
    slot = 0
    while len(appointments) < CONSULTATIONS:
        day = days[(slot // 6) % len(days)]
        k = slot % 6
        start = datetime.datetime.combine(day, datetime.time(8, 0), tzinfo=PARIS)
        start += datetime.timedelta(minutes=30 * k + 180 * ((slot // 6) // len(days)))
        for p_index, profile in enumerate(practitioners):
            if len(appointments) >= CONSULTATIONS:
                break
            appointments.append(
                Appointment(
                    patient=patients[(p_index + 6 * slot) % PATIENTS],
                    practitioner=profile,
                    consultation_type=types[profile.profession],
                    site=site,
                    start=start,
                    end=start + datetime.timedelta(minutes=20),
                    status=rng.choice(statuses),
                    interpreter_language=rng.choice(["", "", "", "", "ar", "ps", "ti"]),
                    booked_by=booker,
                )
            )
        slot += 1
    Appointment.objects.bulk_create(appointments, batch_size=2000)

    invoices = Invoice.objects.bulk_create(
        (
            Invoice(
                number=f"B{i:06d}",
                patient=patients[i % PATIENTS],
                practitioner=practitioners[i % 6],
                site=site,
                date_of_care=days[i % len(days)],
                total=Decimal("30.00"),
                amo=Decimal("21.00"),
                amc=Decimal("9.00") if i % 3 else Decimal("0.00"),
                patient_share=Decimal("0.00") if i % 3 else Decimal("9.00"),
                patient_due=Decimal("0.00") if i % 3 else Decimal("9.00"),
                patient_paid=Decimal("0.00") if i % 6 == 0 else Decimal("9.00") * (i % 3 == 0),
                created_by=booker,
            )
            for i in range(INVOICES)
        ),
        batch_size=2000,
    )
    claim_states = [ClaimStatus.PAID] * 7 + [
        ClaimStatus.SENT,
        ClaimStatus.REJECTED,
        ClaimStatus.READY,
    ]
    claims = Claim.objects.bulk_create(
        (
            Claim(
                reference=f"BC{i:06d}",
                invoice=inv,
                payer_type="AMO",
                payer_code="861",
                amount=Decimal("21.00"),
                status=claim_states[i % 10],
                paid_amount=Decimal("21.00") if i % 10 < 7 else Decimal("0.00"),
            )
            for i, inv in enumerate(invoices)
            if i % 8
        ),
        batch_size=2000,
    )
    Payment.objects.bulk_create(
        (
            Payment(
                invoice=c.invoice,
                claim=c,
                source=PaymentSource.AMO,
                method="transfer",
                amount=Decimal("21.00"),
                received_on=min(c.invoice.date_of_care + datetime.timedelta(days=12), YEAR.end),
            )
            for c in claims
            if c.status == ClaimStatus.PAID
        ),
        batch_size=2000,
    )

    places = [
        Place.objects.create(
            name=f"Lieu bench {n}", kind=PlaceKind.SOCIAL_CENTRE, site=site, in_qpv=n < 3
        )
        for n in range(6)
    ]
    people = Person.objects.bulk_create(
        Person(in_qpv=(TriState.YES, TriState.NO, TriState.UNKNOWN)[n % 3], language="fr")
        for n in range(900)
    )
    topics = [Topic.C2S, Topic.AME, Topic.AMO, Topic.GP, Topic.VITALE]
    RightsSession.objects.bulk_create(
        (
            RightsSession(
                person=people[n % len(people)],
                mediator=mediator,
                place=places[n % len(places)],
                site=site,
                held_on=days[n % len(days)],
                topics=[topics[n % len(topics)], topics[(n + 2) % len(topics)]],
                first_contact=n < len(people),
            )
            for n in range(SESSIONS)
        ),
        batch_size=1500,
    )
    CollectiveAction.objects.bulk_create(
        CollectiveAction(
            kind=CollectiveKind.CAFE,
            title=f"Café santé {n}",
            place=places[n % len(places)],
            site=site,
            held_on=days[(n * 5) % len(days)],
            participants_count=8 + n % 10,
            organiser=mediator,
        )
        for n in range(48)
    )
    return {"practitioners": practitioners}


# Hand-written SQL doing the same aggregates as the ORM indicators measured against it.
HAND_SQL = {
    "appointments.consultations": """
        SELECT ct.profession, count(*) FROM appointments_appointment a
        JOIN appointments_consultationtype ct ON ct.id = a.consultation_type_id
        WHERE a.start >= %(start)s AND a.start < %(end)s AND a.status IN ('arrived', 'seen')
        GROUP BY ct.profession""",
    "appointments.consultations_by_week": """
        SELECT date_trunc('week', a.start AT TIME ZONE 'Europe/Paris'), count(*)
        FROM appointments_appointment a
        WHERE a.start >= %(start)s AND a.start < %(end)s AND a.status IN ('arrived', 'seen')
        GROUP BY 1 ORDER BY 1""",
    "appointments.no_show_rate": """
        SELECT count(*) FILTER (WHERE status IN ('arrived', 'seen')),
               count(*) FILTER (WHERE status = 'no_show'),
               count(*) FILTER (WHERE status = 'excused')
        FROM appointments_appointment WHERE start >= %(start)s AND start < %(end)s""",
    "appointments.patients_seen": """
        SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (
            SELECT 1 FROM appointments_appointment b WHERE b.patient_id = p.id
            AND b.status IN ('arrived', 'seen') AND b.start < %(start)s))
        FROM patients_patient p WHERE EXISTS (
            SELECT 1 FROM appointments_appointment a WHERE a.patient_id = p.id
            AND a.start >= %(start)s AND a.start < %(end)s AND a.status IN ('arrived', 'seen'))""",
    "appointments.coverage_mix": """
        WITH seen AS (SELECT DISTINCT patient_id FROM appointments_appointment
            WHERE start >= %(start)s AND start < %(end)s AND status IN ('arrived', 'seen')),
        rights AS (SELECT patient_id, bool_or(kind = 'c2s') c2s, bool_or(kind = 'ame') ame,
            bool_or(kind = 'amo') amo FROM patients_coverage
            WHERE start <= %(last)s AND ("end" IS NULL OR "end" >= %(first)s) GROUP BY patient_id)
        SELECT count(*), count(*) FILTER (WHERE r.c2s), count(*) FILTER (WHERE r.ame),
               count(*) FILTER (WHERE NOT coalesce(r.amo, false) AND NOT coalesce(r.ame, false))
        FROM seen s LEFT JOIN rights r USING (patient_id)""",
    "appointments.medecin_traitant": """
        WITH seen AS (SELECT DISTINCT patient_id FROM appointments_appointment
            WHERE start >= %(start)s AND start < %(end)s AND status IN ('arrived', 'seen')),
        mt AS (SELECT patient_id, bool_or(doctor_in_centre) in_centre FROM patients_coverage
            WHERE kind = 'medecin_traitant' AND start <= %(last)s
            AND ("end" IS NULL OR "end" >= %(first)s) GROUP BY patient_id)
        SELECT count(*), count(mt.patient_id), count(*) FILTER (WHERE mt.in_centre)
        FROM seen s LEFT JOIN mt USING (patient_id)""",
    "appointments.qpv_share": """
        SELECT count(*) FILTER (WHERE p.in_qpv), count(*) FILTER (WHERE NOT p.in_qpv),
               count(*) FILTER (WHERE p.in_qpv IS NULL)
        FROM patients_patient p WHERE p.id IN (SELECT patient_id FROM appointments_appointment
            WHERE start >= %(start)s AND start < %(end)s AND status IN ('arrived', 'seen'))""",
    "billing.tiers_payant": """
        SELECT count(*), count(*) FILTER (WHERE EXISTS (
            SELECT 1 FROM billing_claim c WHERE c.invoice_id = i.id))
        FROM billing_invoice i WHERE i.date_of_care BETWEEN %(first)s AND %(last)s""",
    "billing.billed": """
        SELECT sum(total), sum(amo), sum(amc), sum(patient_share), count(*)
        FROM billing_invoice WHERE date_of_care BETWEEN %(first)s AND %(last)s""",
    "billing.unpaid": """
        SELECT (SELECT sum(c.amount - c.paid_amount) FROM billing_claim c
                JOIN billing_invoice i ON i.id = c.invoice_id
                WHERE i.date_of_care BETWEEN %(first)s AND %(last)s
                AND c.status IN ('sent', 'acknowledged', 'rejected', 'partly_paid', 'in_batch',
                                 'ready', 'draft')),
               (SELECT sum(patient_due - patient_paid) FROM billing_invoice
                WHERE date_of_care BETWEEN %(first)s AND %(last)s
                AND patient_due > patient_paid)""",
}


def _best_of(n: int, action: Callable[[], object]) -> float:
    timings = []
    for _ in range(n):
        began = time.perf_counter()
        action()
        timings.append(time.perf_counter() - began)
    return min(timings)


def test_bench_annual_report(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path
    rng = random.Random(7)
    centre = CentreFactory()
    site = SiteFactory(centre=centre, name="Site principal")
    began = time.perf_counter()
    _build_year(site, rng)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    built = time.perf_counter() - began
    counts = {
        "consultations (all statuses)": Appointment.objects.count(),
        "outreach sessions": RightsSession.objects.count(),
        "invoices": Invoice.objects.count(),
    }

    tz = datetime.timezone(datetime.timedelta(hours=1))
    params = {
        "start": datetime.datetime(2025, 1, 1, tzinfo=tz),
        "end": datetime.datetime(2026, 1, 1, tzinfo=tz),
        "first": YEAR.start,
        "last": YEAR.end,
    }
    keys = list(HAND_SQL)

    def hand() -> None:
        with connection.cursor() as cursor:
            for sql in HAND_SQL.values():
                cursor.execute(sql, params)
                cursor.fetchall()

    orm_time = _best_of(3, lambda: compute(keys, YEAR, None))
    sql_time = _best_of(3, hand)
    template = TEMPLATES["annual_centre"]
    all_keys = template.available()
    annual_compute = _best_of(3, lambda: compute(all_keys, YEAR, None))

    director = make_staff("direction", centre=centre, sites=[site])
    run = ReportRun.objects.create(
        template="annual_centre",
        period_start=YEAR.start,
        period_end=YEAR.end,
        requested_by=director,
        suppression_threshold=5,
    )
    began = time.perf_counter()
    run = services.report_generate(run_id=run.pk)
    whole = time.perf_counter() - began
    assert run.status == "done", run.error
    from pypdf import PdfReader

    pages = len(PdfReader(Path(settings.MEDIA_ROOT) / run.pdf_file).pages)

    client = Client()
    client.force_login(director, backend="django.contrib.auth.backends.ModelBackend")
    url = reverse("reports:dashboard")
    query = {"start": "2025-01-01", "end": "2025-12-31", "site": ""}
    client.get(url, query)  # warm up
    timings = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            response = client.get(url, query)
            timings.append(time.perf_counter() - began)
        assert response.status_code == 200

    print()
    print(
        f"Données générées en {built:.1f} s : " + ", ".join(f"{k} {v}" for k, v in counts.items())
    )
    print(f"{'mesure':<58} {'valeur':>12}")
    print(f"{'-' * 58} {'-' * 12}")
    rows = [
        (f"{len(keys)} indicateurs, ORM (registre), meilleur de 3", f"{orm_time * 1000:.0f} ms"),
        ("les mêmes agrégats en SQL écrit à la main", f"{sql_time * 1000:.0f} ms"),
        ("rapport ORM / SQL", f"{orm_time / sql_time:.2f} ×"),
        (f"rapport annuel : {len(all_keys)} indicateurs", f"{annual_compute * 1000:.0f} ms"),
        ("rapport annuel complet : calcul (tâche)", f"{run.compute_seconds:.2f} s"),
        (
            f"rapport annuel complet : CSV + XLSX + PDF ({pages} pages)",
            f"{run.render_seconds:.2f} s",
        ),
        ("rapport annuel complet : total", f"{whole:.2f} s"),
        ("tableau de bord (année, tous sites) : requêtes", f"{len(queries)}"),
        (
            "tableau de bord : temps médian de la page",
            f"{statistics.median(timings) * 1000:.0f} ms",
        ),
    ]
    for label, value in rows:
        print(f"{label:<58} {value:>12}")
    assert whole < 10, "le rapport annuel doit être produit en moins de 10 s"
    assert orm_time < 3 * sql_time + 0.05, "indicateurs au-delà de 3 × le SQL écrit à la main"
