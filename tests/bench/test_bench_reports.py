"""Benchmark of reports (`make bench`): the annual report over the last full calendar year of
the generated centre (≈ 85,000 consultations, 70,000 invoices, 2,000 outreach sessions).

Records the time to compute the indicators (ORM, through the registry) next to the same
aggregates written by hand in SQL (the in-run baseline), the time of the whole report task
(compute + CSV, XLSX, PDF), and the dashboard's query count and time. Targets (issue 7): whole
report < 10 s; indicators within 3× the hand SQL.
"""

from __future__ import annotations

import datetime
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from appointments.models import Appointment
from billing.models import Invoice
from centre.reports.indicators import Period, compute
from centre.reports.models import ReportRun
from centre.reports.services import runs
from centre.reports.templates import TEMPLATES
from outreach.models import RightsSession
from tests.bench.generator import Generated
from tests.bench.report import measure, record, summarise, value

pytestmark = pytest.mark.django_db


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


def test_bench_annual_report(generated: Generated, settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path
    year = generated.anchor.year - 1
    period = Period(datetime.date(year, 1, 1), datetime.date(year, 12, 31))
    counts = {
        "consultations": Appointment.objects.filter(start__year=year).count(),
        "entretiens": RightsSession.objects.filter(held_on__year=year).count(),
        "factures": Invoice.objects.filter(date_of_care__year=year).count(),
    }

    tz = datetime.timezone(datetime.timedelta(hours=1))
    params = {
        "start": datetime.datetime(year, 1, 1, tzinfo=tz),
        "end": datetime.datetime(year + 1, 1, 1, tzinfo=tz),
        "first": period.start,
        "last": period.end,
    }
    keys = list(HAND_SQL)

    def hand() -> None:
        with connection.cursor() as cursor:
            for sql in HAND_SQL.values():
                cursor.execute(sql, params)
                cursor.fetchall()

    orm = summarise(
        f"rapport : {len(keys)} indicateurs (ORM, registre)",
        measure(lambda: compute(keys, period, None), repeat=5, warmup=1),
    )
    sql = summarise(
        "  les mêmes agrégats en SQL écrit à la main",
        measure(hand, repeat=5, warmup=1),
    )
    ratio = orm.median_ms / sql.median_ms
    orm.target, orm.passed = "≤ 3 × SQL", ratio <= 3
    orm.baseline = f"× {ratio:.2f} le SQL écrit à la main"
    all_keys = TEMPLATES["annual_centre"].available()
    annual = summarise(
        f"rapport annuel {year} : {len(all_keys)} indicateurs (calcul)",
        measure(lambda: compute(all_keys, period, None), repeat=3, warmup=1),
        baseline=", ".join(f"{v} {k}" for k, v in counts.items()),
    )

    director = generated.director
    run = ReportRun.objects.create(
        template="annual_centre",
        period_start=period.start,
        period_end=period.end,
        requested_by=director,
        suppression_threshold=5,
    )
    began = time.perf_counter()
    run = runs.report_generate(run_id=run.pk)
    whole = time.perf_counter() - began
    assert run.status == "done", run.error
    from pypdf import PdfReader

    pages = len(PdfReader(Path(settings.MEDIA_ROOT) / run.pdf_file).pages)

    client = Client()
    client.force_login(director, backend="django.contrib.auth.backends.ModelBackend")
    url = reverse("reports:dashboard")
    query = {"start": f"{year}-01-01", "end": f"{year}-12-31", "site": ""}
    queries: list[str] = []  # request_started resets the query log: count with a wrapper
    with connection.execute_wrapper(lambda run, sql, *a: (queries.append(sql), run(sql, *a))[1]):
        assert client.get(url, query).status_code == 200
    record(
        orm,
        sql,
        annual,
        value(
            f"rapport annuel complet (tâche : calcul + CSV, XLSX, PDF {pages} p.)",
            whole,
            unit="s",
            target="< 10 s",
            passed=whole < 10,
            baseline=f"calcul {run.compute_seconds:.2f} s, rendu {run.render_seconds:.2f} s",
        ),
        summarise(
            f"tableau de bord direction, année {year}, tous sites",
            measure(lambda: client.get(url, query), repeat=5, warmup=1),
            target_ms=3000,
            baseline=f"{len(queries)} requêtes SQL",
        ),
    )
