"""Batches (lots): grouping ready claims per payer, writing the transmission file, sending it."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone

from billing import perms
from billing.formats import (
    BatchHeader,
    BatchRecord,
)
from billing.models import (
    Batch,
    Claim,
    ClaimStatus,
)
from billing.money import to_cents
from billing.transmission import get_adapter
from centre import audit
from centre.models import Centre, User

ProgressCallback = Callable[[int, int], None]

# One row per claim of the batch, in claim order, with its acts folded into an array: read
# through a server-side cursor by pages, so the batch file is written with flat memory however
# many claims it holds (tests/bench/test_bench_billing.py).
_BATCH_RECORDS = """
    SELECT c.reference, i.number, coalesce(i.coverage ->> 'insured_nir', ''),
        coalesce(i.coverage ->> 'beneficiary_nir', ''), p.birth_date, p.birth_rank,
        i.date_of_care, s.rpps, c.amount,
        ARRAY(SELECT ROW(l.code, l.coefficient, l.amount) FROM billing_invoiceline l
              WHERE l.invoice_id = i.id ORDER BY l.id)
    FROM billing_claim c
    JOIN billing_invoice i ON i.id = c.invoice_id
    JOIN patients_patient p ON p.id = i.patient_id
    JOIN centre_staffprofile s ON s.id = i.practitioner_id
    WHERE c.batch_id = %s
    ORDER BY c.id"""
_PAGE = 2000


def _records(batch_id: int) -> Iterator[BatchRecord]:
    with connection.chunked_cursor() as cursor:
        cursor.execute(_BATCH_RECORDS, [batch_id])
        while rows := cursor.fetchmany(_PAGE):
            for ref, number, insured, beneficiary, born, rank, on, rpps, amount, acts in rows:
                yield BatchRecord(
                    claim_ref=ref,
                    invoice_number=number,
                    insured_nir=insured,
                    beneficiary_nir=beneficiary,
                    birth_date=born,
                    birth_rank=rank,
                    date_of_care=on,
                    practitioner_rpps=rpps,
                    amount=amount,
                    acts=tuple((code, Decimal(coef), Decimal(amt)) for code, coef, amt in acts),
                )
            del rows  # one page in memory at a time, not two


def _build_one(
    *, payer_type: str, payer_code: str, claim_ids: list[int] | None, by: User | None
) -> Batch | None:
    centre = Centre.objects.order_by("id").first()
    with transaction.atomic():
        # One builder per payer at a time: the advisory lock (released at commit) makes the
        # "next number" read and the insert atomic; the unique constraint is the backstop.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                [f"billing.batch:{payer_type}:{payer_code}"],
            )
        last = (
            Batch.objects.filter(payer_type=payer_type, payer_code=payer_code)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )
        batch = Batch.objects.create(
            payer_type=payer_type,
            payer_code=payer_code,
            number=(last or 0) + 1,
            created_by=by,
        )
        # The race: two builds (the nightly beat and a click, or a task retried after a worker
        # crash) select the same ready claims. This single UPDATE … WHERE status = 'ready'
        # locks each row; under READ COMMITTED the second transaction waits for the first,
        # then re-checks the WHERE clause on the committed row (now 'sent') and skips it. So a
        # claim can never end up in two batches, without locking the whole table.
        # The claims go straight to « envoyée »: the file is written and handed to the adapter
        # in this same transaction, so « dans un lot » could never be seen by anyone else; if
        # writing or sending fails, everything rolls back and the claims are ready again.
        # (IN_BATCH remains for an adapter that would confirm the sending later.)
        with connection.cursor() as cursor:
            cursor.execute(
                """WITH taken AS (
                    UPDATE billing_claim SET status = %s, batch_id = %s, updated_at = %s
                    WHERE status = %s AND payer_type = %s AND payer_code = %s
                      AND (%s::bigint[] IS NULL OR id = ANY(%s::bigint[]))
                    RETURNING amount)
                SELECT count(*), coalesce(sum(amount), 0) FROM taken""",
                [
                    ClaimStatus.SENT.value,
                    batch.pk,
                    timezone.now(),
                    ClaimStatus.READY.value,
                    payer_type,
                    payer_code,
                    claim_ids,
                    claim_ids,
                ],
            )
            taken, total = cursor.fetchone()
        if not taken:
            transaction.set_rollback(True)
            return None
        adapter = get_adapter()
        batch.claims_count, batch.total_amount = taken, to_cents(total)
        header = BatchHeader(
            emitter_finess=centre.finess if centre else "",
            emitter_am_number=centre.am_number if centre else "",
            payer_type=payer_type,
            payer_code=payer_code,
            batch_number=batch.number,
            created_on=timezone.localdate(),
        )
        # The file is streamed to a temporary file then stored: memory stays flat whatever
        # the number of claims. If the transaction rolls back after this, the stored file is
        # an orphan under a name no batch points to (harmless).
        with tempfile.TemporaryFile() as tmp:
            adapter.write(header, _records(batch.pk), tmp)
            tmp.seek(0)
            name = f"lot-{payer_type}-{payer_code}-{batch.number:05d}.txt"
            batch.file.save(name, File(tmp, name=name), save=False)
        batch.format_version = adapter.format_version
        batch.mark_built()
        adapter.send(batch_id=batch.pk)
        batch.mark_sent()
        batch.save()
        audit.record(
            actor=by,
            action="billing.batch.build",
            obj=batch,
            changes={"claims": taken, "total": str(batch.total_amount), "status": batch.status},
        )
    return batch


def batches_build(
    *, by: User | None, claim_ids: list[int] | None = None, progress: ProgressCallback | None = None
) -> list[int]:
    """Group ready claims per payer into numbered batches and send them through the adapter.

    Each payer's batch is built in its own transaction: if the worker dies mid-way, the
    batches already committed are complete and the other claims are still ready, so running
    the task again finishes the work with each claim in exactly one batch.

    `by` is None for the nightly beat (the system); a person must be of the facturation.
    """
    if by is not None:
        perms.require(by, perms.BILLING_WRITE)
    groups_qs = Claim.objects.ready()
    if claim_ids is not None:
        groups_qs = groups_qs.filter(id__in=claim_ids)
    groups = list(
        groups_qs.values_list("payer_type", "payer_code")
        .distinct()
        .order_by("payer_type", "payer_code")
    )
    built: list[int] = []
    for done, (payer_type, payer_code) in enumerate(groups, start=1):
        batch = _build_one(payer_type=payer_type, payer_code=payer_code, claim_ids=claim_ids, by=by)
        if batch is not None:
            built.append(batch.pk)
        if progress:
            progress(done, len(groups))
    return built


@dataclass(frozen=True)
class BuildRequest:
    run: str  # the progress key the page follows (`billing.tasks.progress_of`)
    claims: int  # how many ready claims the build will take


def batches_build_request(*, by: User) -> BuildRequest:
    """A clerk asks for the batches of the claims ready now (page button, API POST): the build
    runs in a Celery task enqueued after the commit (`billing.tasks.build_batches`)."""
    from billing import tasks

    perms.require(by, perms.BILLING_WRITE)
    ids = list(Claim.objects.ready().values_list("id", flat=True))
    run = uuid.uuid4().hex
    if ids:
        actor_id = by.pk
        transaction.on_commit(
            lambda: tasks.build_batches.delay(claim_ids=ids, actor_id=actor_id, run=run)
        )
    return BuildRequest(run=run, claims=len(ids))
