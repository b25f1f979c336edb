"""Benchmark: building the batch of N ready claims and importing the return file that pays
them, each compared in the same run with a plain SQL insert of the same rows (target: within
5×), and peak Python memory (tracemalloc, in a separate round) at N / 10 and N (target:
flat, ≤ 2×).

    make bench                                  # N = 100,000, the issue's figure
    BENCH_BILLING_CLAIMS=20000 make bench       # quicker
    BENCH_BILLING_REPEAT=5 make bench           # medians of 5 runs (3 by default)

The baseline is what inserting the same rows costs without Passerelle: the claims of the
batch (for the build) or the payments of the file (for the import), read back from the
database beforehand, then written into an empty table shaped like theirs (`LIKE … INCLUDING
ALL`: same columns, checks and indexes, no foreign key) by one `INSERT … VALUES` per row,
pipelined by psycopg's `executemany`. COPY of the same rows is shown beside it: the lowest
cost of loading them at all.

Everything runs in the test's transaction (rolled back at the end: the generated centre
stays as it was); `SET CONSTRAINTS ALL IMMEDIATE` makes each statement pay its own foreign-key
checks, which a commit would otherwise run later. Each round uses fresh claims.
"""

from __future__ import annotations

import datetime
import io
import itertools
import os
import statistics
import time
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from django.db import connection

from billing.formats import PaymentRecord, return_lines
from billing.models import Batch, Claim, ClaimStatus, Invoice
from billing.services import batches, returns
from centre.models import Site, User
from tests.bench.generator import Generated
from tests.bench.report import record, value
from tests.billing.factories import ensure_fee_schedule, make_invoice, make_patient

pytestmark = pytest.mark.django_db
N = int(os.environ.get("BENCH_BILLING_CLAIMS", "100000"))
REPEAT = int(os.environ.get("BENCH_BILLING_REPEAT", "3"))
ON = datetime.date(2025, 3, 10)
ROUND = itertools.count(1)


def measure(fn: Callable[[], Any], *, trace: bool) -> tuple[float, float, Any]:
    """Seconds, and with trace=True the peak Python memory (MiB), of fn(). tracemalloc slows
    Python down several times over: rounds are either timed or traced, never both."""
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else 0.0
    tracemalloc.stop()
    return elapsed, peak, result


def make_ready_claims(n: int, template: Invoice) -> str:
    """n copies of one real invoice and its AMO claim, ready to send, under a fresh prefix."""
    prefix = f"B{next(ROUND):02d}"
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO billing_invoice (number, patient_id, practitioner_id, site_id, date_of_care,
              related_to_ald, pathway_exempt, total, amo, amc, patient_share, patient_due,
              patient_paid, pending, pf, franchise, amc_payer, amc_tiers_payant, out_of_pathway,
              coverage, issues, notes, created_at, created_by_id)
            SELECT %s || lpad(g::text, 8, '0'), patient_id, practitioner_id, site_id,
              date_of_care, false, false, 30, 21, 0, 9, 9, 0, 0, 2, 0, '', false, false,
              coverage, '[]', '[]', now(), created_by_id
            FROM billing_invoice, generate_series(1, %s) g WHERE id = %s
            """,
            [prefix, n, template.pk],
        )
        cursor.execute(
            """
            INSERT INTO billing_invoiceline (invoice_id, act_id, tariff_id, code, label, unit_price,
              coefficient, amount, amo_rate, amo, ticket_moderateur)
            SELECT i.id, l.act_id, l.tariff_id, l.code, l.label, l.unit_price, l.coefficient,
              l.amount, l.amo_rate, l.amo, l.ticket_moderateur
            FROM billing_invoice i, billing_invoiceline l
            WHERE i.number LIKE %s AND l.invoice_id = %s
            """,
            [f"{prefix}%", template.pk],
        )
        cursor.execute(
            """
            INSERT INTO billing_claim (reference, invoice_id, payer_type, payer_code, payer_label,
              amount, status, paid_amount, transfer_ref, reject_code, reject_label,
              closing_reason, created_at, updated_at)
            SELECT i.number || '-AMO1', i.id, 'AMO', '999', 'Caisse 999', 21, 'ready', 0, '', '',
              '', '', now(), now()
            FROM billing_invoice i WHERE i.number LIKE %s
            """,
            [f"{prefix}%"],
        )
        cursor.execute("ANALYZE billing_invoice; ANALYZE billing_claim")
    return prefix


def plain_insert(table: str, where: str, params: list[Any]) -> tuple[float, float]:
    """Seconds to INSERT (row by row, pipelined) and to COPY the rows of `table` matching
    `where` into empty tables of the same shape."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = %s AND column_name <> 'id' ORDER BY ordinal_position",
            [table],
        )
        columns = ", ".join(name for (name,) in cursor.fetchall())
        cursor.execute(f"SELECT {columns} FROM {table} WHERE {where} ORDER BY id", params)
        rows = cursor.fetchall()
    seconds = []
    raw = psycopg.Cursor(connection.connection)  # server-side binding, as plain as it gets
    for how in ("insert", "copy"):
        raw.execute(f"CREATE TABLE bench_raw (LIKE {table} INCLUDING ALL)")
        start = time.perf_counter()
        if how == "insert":
            marks = ", ".join(["%s"] * len(rows[0]))
            raw.executemany(f"INSERT INTO bench_raw ({columns}) VALUES ({marks})", rows)
        else:
            with raw.copy(f"COPY bench_raw ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        seconds.append(time.perf_counter() - start)
        raw.execute("DROP TABLE bench_raw")
    return seconds[0], seconds[1]


def one_round(n: int, template: Invoice, *, trace: bool = False) -> dict[str, float]:
    prefix = make_ready_claims(n, template)
    build_s, build_mb, ids = measure(lambda: batches.batches_build(by=None), trace=trace)
    batches.batch_send(batch_id=ids[0], by=None)  # not measured: the sending is another step
    batch = Batch.objects.get(pk=ids[0])
    assert (batch.claims_count, batch.total_amount) == (n, Decimal(21 * n))
    with batch.file.open("rb") as fh:  # the file holds every claim once, and its trailer
        lines = sum(1 for _ in fh)
    assert lines == n + 2
    refs = Claim.objects.filter(batch=batch).values_list("reference", flat=True)
    data = "".join(
        return_lines(
            payer_type="AMO",
            payer_code="999",
            created_on=ON,
            records=(PaymentRecord(0, r, Decimal("21.00"), ON, "VIR", "", "") for r in refs),
        )
    ).encode()

    def run_import(payload: bytes = data) -> Any:
        # Streamed from a file object, as an upload is: memory must stay flat.
        return returns.return_import(
            open_lines=lambda: io.BytesIO(payload), filename=f"{prefix}.txt", by=None
        )

    import_s, import_mb, (rf, _) = measure(run_import, trace=trace)
    assert (rf.paid_count, rf.paid_total) == (n, Decimal(21 * n))
    paid = Claim.objects.filter(batch=batch, status=ClaimStatus.PAID)
    assert paid.count() == n
    if trace:
        return {"build_mb": build_mb, "import_mb": import_mb}
    build_raw, build_copy = plain_insert("billing_claim", "batch_id = %s", [batch.pk])
    import_raw, import_copy = plain_insert("billing_payment", "return_file_id = %s", [rf.pk])
    return {
        "build": build_s,
        "build_raw": build_raw,
        "build_copy": build_copy,
        "import": import_s,
        "import_raw": import_raw,
        "import_copy": import_copy,
    }


def test_bench_build_and_import(generated: Generated, staff: dict[str, User], site: Site) -> None:
    ensure_fee_schedule()
    template = make_invoice(
        by=staff["soignant"], practitioner=staff["soignant"], site=site, patient=make_patient()
    )
    Claim.objects.filter(invoice=template).update(status=ClaimStatus.WRITTEN_OFF)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    sizes = sorted({max(N // 10, 100), N})
    results: dict[int, dict[str, float]] = {}
    for n in sizes:
        rounds = [one_round(n, template) for _ in range(REPEAT)]
        results[n] = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
        results[n].update(one_round(n, template, trace=True))
    for n in sizes:
        r = results[n]
        for step, label, rows in (
            ("build", "lots : construire", "demandes"),
            ("import", "retour : importer", "lignes"),
        ):
            seconds, raw = r[step], r[f"{step}_raw"]
            record(
                value(
                    f"{label} {n} {rows} (médiane de {REPEAT})",
                    seconds,
                    unit="s",
                    target="≤ 5 × INSERT SQL",
                    passed=seconds <= 5 * raw,
                    baseline=(
                        f"{n / seconds:.0f} {rows}/s ; × {seconds / raw:.1f} INSERT "
                        f"({raw:.2f} s), × {seconds / r[f'{step}_copy']:.1f} COPY "
                        f"({r[f'{step}_copy']:.2f} s) ; pic Python {r[f'{step}_mb'] * 1024:.0f} Ko"
                    ),
                )
            )
    small, big = results[sizes[0]], results[sizes[-1]]
    for step, label in (("build", "lots"), ("import", "retour")):
        record(
            value(
                f"  mémoire {label} : pic à {sizes[-1]} / pic à {sizes[0]}",
                big[f"{step}_mb"] / small[f"{step}_mb"],
                unit="×",
                target="≤ 2 × (flux)",
                passed=big[f"{step}_mb"] <= 2 * small[f"{step}_mb"],
            )
        )
