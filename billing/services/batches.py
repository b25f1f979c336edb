"""Batches (lots): grouping ready claims per payer, writing the transmission file, sending it."""

from __future__ import annotations

import datetime
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone

from billing import perms
from billing.errors import BillingError, BillingNotFound
from billing.formats import (
    BatchHeader,
    BatchRecord,
)
from billing.models import (
    Batch,
    BatchStatus,
    Claim,
    ClaimStatus,
    TransitionError,
)
from billing.money import to_cents
from billing.transmission import get_adapter
from centre import audit
from centre.models import Centre, User
from centre.refusals import Kind

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
        # The claims go « dans un lot » and the lot « fichier prêt »: only a file exists.
        # Sending is an explicit step (`batch_send`), once the file has left for the payer.
        with connection.cursor() as cursor:
            cursor.execute(
                """WITH taken AS (
                    UPDATE billing_claim SET status = %s, batch_id = %s, updated_at = %s
                    WHERE status = %s AND payer_type = %s AND payer_code = %s
                      AND (%s::bigint[] IS NULL OR id = ANY(%s::bigint[]))
                    RETURNING amount)
                SELECT count(*), coalesce(sum(amount), 0) FROM taken""",
                [
                    ClaimStatus.IN_BATCH.value,
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
    """Group ready claims per payer into numbered batches and write their files (« fichier
    prêt »); sending them is `batch_send`.

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
class PayerPreview:
    payer_type: str
    payer_code: str
    name: str
    claims: int
    amount: Decimal


@dataclass(frozen=True)
class BuildPreview:
    """What building the lots now would do: one lot per payer, its claims and amount."""

    payers: list[PayerPreview]
    claims: int
    amount: Decimal

    @property
    def fingerprint(self) -> str:
        """Changes when the ready claims change between the preview and the confirmation."""
        return f"{self.claims}:{self.amount:.2f}"


def batches_preview(*, by: User) -> BuildPreview:
    """Dry run of `batches_build_request`: counts and amounts per payer of the claims ready now,
    nothing written (page before the confirmation, API `GET batches/preview/`)."""
    from django.db.models import Count, Max, Sum

    from billing.payers import payer_name

    perms.require(by, perms.BILLING_READ)
    rows = (
        Claim.objects.ready()
        .values("payer_type", "payer_code")
        .annotate(n=Count("id"), total=Sum("amount"), label=Max("payer_label"))
        .order_by("payer_type", "payer_code")
    )
    payers = [
        PayerPreview(
            r["payer_type"],
            r["payer_code"],
            payer_name(r["payer_type"], r["payer_code"], r["label"] or ""),
            r["n"],
            to_cents(r["total"]),
        )
        for r in rows
    ]
    return BuildPreview(
        payers,
        sum(p.claims for p in payers),
        to_cents(sum((p.amount for p in payers), Decimal("0"))),
    )


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


# --- sending and the ARL watch ----------------------------------------------------------------


def arl_wait_days() -> int:
    """Days a sent lot waits for its ARL before it is flagged « sans ARL » and may be sent
    again (setting BILLING_ARL_WAIT_DAYS; an ARL usually comes within a day or two)."""
    return int(getattr(settings, "BILLING_ARL_WAIT_DAYS", 3))


def awaiting_arl_since(now: datetime.datetime | None = None) -> datetime.datetime:
    """Lots last sent before this moment and still without ARL are flagged."""
    return (now or timezone.now()) - datetime.timedelta(days=arl_wait_days())


def batch_send(*, batch_id: int, by: User | None) -> Batch:
    """Send a lot whose file is ready through the transmission adapter: the lot and its claims
    become « envoyé(e)s ». A lot already sent may be sent again only once it is flagged « sans
    ARL » (no ARL `arl_wait_days()` after its last sending): same file, same number.

    `by` is None for a system sending (a certified concentrator's task); a person must be of
    the facturation. Refused (conflict) in any other state; nothing changes if the adapter
    fails (the transaction rolls back)."""
    if by is not None:
        perms.require(by, perms.BILLING_WRITE)
    with transaction.atomic():
        batch = Batch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None:
            raise BillingNotFound("Lot introuvable.")
        before = {"status": batch.status, "send_count": batch.send_count}
        resend = batch.status == BatchStatus.SENT
        if resend:
            assert batch.last_sent_at is not None
            flagged_after = batch.last_sent_at + datetime.timedelta(days=arl_wait_days())
            if timezone.now() < flagged_after:
                raise BillingError(
                    f"Le lot n° {batch.number} a été envoyé le "
                    f"{timezone.localtime(batch.last_sent_at):%d/%m/%Y} : son ARL est attendu "
                    f"jusqu'au {timezone.localtime(flagged_after):%d/%m/%Y}, il ne peut être "
                    "renvoyé qu'ensuite.",
                    kind=Kind.CONFLICT,
                )
        try:
            if resend:
                batch.mark_resent()
            else:
                batch.mark_sent()
        except TransitionError as error:
            raise BillingError(str(error), kind=Kind.CONFLICT) from error
        get_adapter().send(batch_id=batch.pk)
        batch.save(update_fields=["status", "sent_at", "last_sent_at", "send_count"])
        moved = 0
        if not resend:
            moved = Claim.objects.filter(batch=batch, status=ClaimStatus.IN_BATCH).update(
                status=ClaimStatus.SENT, updated_at=timezone.now()
            )
        audit.record(
            actor=by,
            action="billing.batch.resend" if resend else "billing.batch.send",
            obj=batch,
            changes={
                "status": [before["status"], batch.status],
                "send_count": [before["send_count"], batch.send_count],
            },
            extra={"claims": moved or batch.claims_count},
        )
    return batch
