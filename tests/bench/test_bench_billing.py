"""Benchmark: building batches for N ready claims and importing their return file, compared
in the same run with a plain SQL insert of the same rows (target: within 5×), and peak Python
memory (tracemalloc) to check that it stays flat in N (streaming).

    make bench                                  # N = 20,000 by default
    BENCH_BILLING_CLAIMS=100000 make bench      # the issue's figure
    BENCH_BILLING_REPEAT=5 make bench           # medians of 5 runs (3 by default)

Return import, 20,000 lines (same machine): ~71 lines/s with the former per-claim loop
(`bulk_update`, 283 s); see docs/billing.md for the figures after the set-based rewrite.
"""

from __future__ import annotations

import datetime
import io
import os
import statistics
import time
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from billing import services
from billing.formats import PaymentRecord, return_lines
from billing.models import Batch, Claim, ClaimStatus, Invoice, Payment, ReturnFile
from centre.models import Site, User
from tests.bench.generator import Generated
from tests.bench.report import record, value
from tests.billing.factories import ensure_fee_schedule, make_invoice, make_patient

pytestmark = pytest.mark.django_db
N = int(os.environ.get("BENCH_BILLING_CLAIMS", "20000"))
REPEAT = int(os.environ.get("BENCH_BILLING_REPEAT", "3"))
ON = datetime.date(2025, 3, 10)


def measure(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    tracemalloc.start()
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak / 2**20, result


def make_ready_claims(n: int, template: Invoice) -> None:
    """Copies of one real invoice and its AMO claim, inserted in bulk."""
    patient_id, pract_id, site_id, by_id = (
        template.patient_id,
        template.practitioner_id,
        template.site_id,
        template.created_by_id,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO billing_invoice (number, patient_id, practitioner_id, site_id, date_of_care,
              related_to_ald, pathway_exempt, total, amo, amc, patient_share, patient_due,
              patient_paid, pending, pf, franchise, amc_payer, amc_tiers_payant, out_of_pathway,
              coverage, issues, notes, created_at, created_by_id)
            SELECT 'B' || lpad(g::text, 9, '0'), %s, %s, %s, %s, false, false, 30, 21, 0, 9, 9,
              0, 0, 2, 0, '', false, false, %s, '[]', '[]', now(), %s
            FROM generate_series(1, %s) g
            """,
            [patient_id, pract_id, site_id, ON, '{"insured_nir": "185067511212345"}', by_id, n],
        )
        cursor.execute(
            """
            INSERT INTO billing_invoiceline (invoice_id, act_id, tariff_id, code, label, unit_price,
              coefficient, amount, amo_rate, amo, ticket_moderateur)
            SELECT i.id, l.act_id, l.tariff_id, l.code, l.label, l.unit_price, l.coefficient,
              l.amount, l.amo_rate, l.amo, l.ticket_moderateur
            FROM billing_invoice i, billing_invoiceline l
            WHERE i.number LIKE 'B%%' AND l.invoice_id = %s
            """,
            [template.pk],
        )
        cursor.execute(
            """
            INSERT INTO billing_claim (reference, invoice_id, payer_type, payer_code, payer_label,
              amount, status, paid_amount, transfer_ref, reject_code, reject_label,
              closing_reason, created_at, updated_at)
            SELECT i.number || '-AMO1', i.id, 'AMO', '999', 'Caisse 999', 21, 'ready', 0, '', '',
              '', '', now(), now()
            FROM billing_invoice i WHERE i.number LIKE 'B%%'
            """
        )


def raw_baseline(n: int) -> float:
    """Plain SQL insert of n rows the size of a claim update + a payment."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_raw (ref text, amount numeric(12,2), d date, t text)"
        )
        start = time.perf_counter()
        cursor.execute(
            "INSERT INTO bench_raw SELECT 'B' || g, 21, %s, 'VIR' FROM generate_series(1, %s) g",
            [ON, n],
        )
        elapsed = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_raw")
    return elapsed


def reset(n: int, template: Invoice) -> None:
    """Remove the rows of the previous round only (the generated centre's stay)."""
    Payment.objects.filter(invoice__number__startswith="B").delete()
    ReturnFile.objects.filter(filename="b.txt").delete()
    Claim.objects.filter(reference__startswith="B").delete()
    Batch.objects.filter(claims__isnull=True).delete()
    Invoice.objects.filter(number__startswith="B").delete()
    make_ready_claims(n, template)


def test_bench_build_and_import(generated: Generated, staff: dict[str, User], site: Site) -> None:
    ensure_fee_schedule()
    template = make_invoice(
        by=staff["soignant"], practitioner=staff["soignant"], site=site, patient=make_patient()
    )
    Claim.objects.filter(invoice=template).update(status=ClaimStatus.WRITTEN_OFF)
    rows = []
    for n in sorted({max(N // 10, 100), N}):
        builds, imports = [], []
        for _ in range(REPEAT):  # medians of REPEAT runs, from the same starting state
            reset(n, template)
            build_s, build_mb, ids = measure(lambda: services.batches_build(by=None))
            assert Batch.objects.get(pk=ids[0]).claims_count == n
            refs = Claim.objects.filter(batch_id=ids[0]).values_list("reference", flat=True)
            data = "".join(
                return_lines(
                    payer_type="AMO",
                    payer_code="999",
                    created_on=ON,
                    records=(
                        PaymentRecord(0, r, Decimal("21.00"), ON, "VIR", "", "") for r in refs
                    ),
                )
            ).encode()

            def run_import(payload: bytes = data) -> Any:
                # Streamed from a file object, as an upload is: memory must stay flat.
                return services.return_import(
                    open_lines=lambda: io.BytesIO(payload), filename="b.txt", by=None
                )

            import_s, import_mb, (rf, _) = measure(run_import)
            assert rf.paid_count == n
            assert Claim.objects.filter(reference__startswith="B", status="paid").count() == n
            builds.append((build_s, build_mb))
            imports.append((import_s, import_mb))
        raw = statistics.median(raw_baseline(n) for _ in range(3))
        rows.append(
            (
                n,
                statistics.median(b for b, _ in builds),
                max(m for _, m in builds),
                statistics.median(i for i, _ in imports),
                max(m for _, m in imports),
                raw,
            )
        )
    for n, b, bmb, i, imb, raw in rows:
        record(
            value(
                f"lots : construire {n} demandes (médiane de {REPEAT})",
                b,
                unit="s",
                baseline=f"{n / b:.0f} demandes/s, pic Python {bmb:.1f} Mo",
            ),
            value(
                f"retour : importer {n} lignes (médiane de {REPEAT})",
                i,
                unit="s",
                target="≤ 5 × SQL brut",
                passed=i <= 5 * raw,
                baseline=f"× {i / raw:.1f} SQL brut ({raw * 1000:.0f} ms), pic {imb:.1f} Mo",
            ),
        )
    (small_n, _, small_b, _, small_i, _), (big_n, _, big_b, _, big_i, _) = rows[0], rows[-1]
    record(
        value(
            f"  mémoire : pic à {big_n} / pic à {small_n}",
            max(big_b, big_i) / max(small_b, small_i),
            unit="×",
            target="≤ 2 × (flux)",
            passed=max(big_b, big_i) <= 2 * max(small_b, small_i),
        )
    )
