"""Return files (acknowledgements, payments, rejects): upload, import, reconciliation."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.core.files import File
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Sum
from django.utils import timezone

from billing import perms
from billing.formats import (
    AckRecord,
    PaymentRecord,
    RejectRecord,
    ReturnFileError,
    UnmatchedRecord,
    parse_return,
    validate_return,
)
from billing.models import (
    OPEN_AFTER_SENDING,
    Batch,
    BatchStatus,
    Claim,
    ClaimStatus,
    ItemKind,
    ItemStatus,
    PaymentMethod,
    ReconciliationItem,
    ReturnFile,
    ReturnStatus,
)
from billing.money import ZERO, to_cents
from billing.rejects import reason_for
from centre import audit, request_context
from centre.models import User

LinesOpener = Callable[[], Iterable[bytes]]


def _sha256(open_lines: LinesOpener) -> str:
    digest = hashlib.sha256()
    for raw in open_lines():
        digest.update(raw)
    return digest.hexdigest()


def return_import(
    *,
    open_lines: LinesOpener,
    filename: str,
    by: User | None,
) -> tuple[ReturnFile, bool]:
    """Import an acknowledgement / payment / reject file at once, all or nothing.

    The file is streamed into the reconciliation (`_reconcile`), which checks its structure
    line by line as it loads it, then checks every line against the claims; any problem
    (malformed line, unknown claim, claim named twice, wrong payer, claim not awaiting a
    payment, overpayment) raises ReturnFileError with the line, and the transaction rolls
    back: nothing is imported. Returns (file, created): importing the same file again does
    nothing (payments are counted once). The pages use `return_upload` + the Celery task
    instead; this synchronous form serves the demo, the tests and the bench.
    """
    if by is not None:
        perms.require(by, perms.BILLING_WRITE)
    sha = _sha256(open_lines)
    existing = ReturnFile.objects.filter(sha256=sha).first()
    if existing is not None:
        return existing, False
    with transaction.atomic():
        # Saved by _reconcile once the header is read (it names the payer).
        rf = ReturnFile(
            filename=filename[:200], sha256=sha, status=ReturnStatus.PENDING, imported_by=by
        )
        _reconcile(rf, open_lines, by)
    return rf, True


def return_upload(*, upload: Any, filename: str, by: User) -> tuple[ReturnFile, bool]:
    """Validate an uploaded return file as a whole (ReturnFileError with line and reason:
    nothing is stored) and store it « en attente »; the reconciliation is enqueued after the
    commit (`billing.tasks.reconcile_return`). Returns (file, created); the same content
    uploaded again is not imported twice (a file refused at reconciliation may be retried)."""
    from billing import tasks

    perms.require(by, perms.BILLING_WRITE)

    def open_lines() -> Iterator[bytes]:
        upload.seek(0)
        yield from upload

    sha = _sha256(open_lines)
    summary = validate_return(open_lines())
    with transaction.atomic():
        existing = ReturnFile.objects.select_for_update().filter(sha256=sha).first()
        if existing is not None and existing.status != ReturnStatus.FAILED:
            return existing, False
        if existing is not None:  # refused at reconciliation: try again (claims may have moved)
            rf = existing
            rf.status, rf.error = ReturnStatus.PENDING, ""
            rf.save(update_fields=["status", "error"])
        else:
            rf = ReturnFile(
                filename=filename[:200],
                sha256=sha,
                payer_type=summary.header.payer_type,
                payer_code=summary.header.payer_code,
                lines_count=summary.lines,
                status=ReturnStatus.PENDING,
                imported_by=by,
            )
            upload.seek(0)
            rf.file.save(f"retour-{sha[:16]}.txt", File(upload, name=filename), save=False)
            rf.save()
        audit.record(
            actor=by,
            action="billing.return.upload",
            obj=rf,
            changes={"status": rf.status},
            extra={
                "lines": summary.lines,
                "payments": summary.payments,
                "rejects": summary.rejects,
            },
        )
        rf_id, actor_id = rf.pk, by.pk
        transaction.on_commit(
            lambda: tasks.reconcile_return.delay(return_file_id=rf_id, actor_id=actor_id)
        )
    return rf, True


def return_reconcile(*, return_file_id: int, by: User | None) -> ReturnFile:
    """Reconcile a stored return file (the Celery task). Idempotent: the file row is locked
    and only a « en attente » file is reconciled, in one transaction, so a second run or a
    run after a worker crash counts each payment once. A file that does not match the claims
    (unknown claim, overpayment…) is marked refused with the line and reason, nothing
    imported. The permission was checked at the upload that enqueued it."""
    with transaction.atomic():
        rf = ReturnFile.objects.select_for_update().get(pk=return_file_id)
        if rf.status != ReturnStatus.PENDING:
            return rf

        def open_lines() -> Iterator[bytes]:
            with rf.file.open("rb") as fh:
                yield from fh

        try:
            with transaction.atomic():  # savepoint: a refused file leaves nothing behind
                _reconcile(rf, open_lines, by)
        except ReturnFileError as error:
            rf.status = ReturnStatus.FAILED
            rf.error = str(error)[:300]
            rf.save(update_fields=["status", "error"])
            audit.record(
                actor=by,
                action="billing.return.refuse",
                obj=rf,
                changes={"status": [ReturnStatus.PENDING, ReturnStatus.FAILED]},
                extra={"line": error.line, "reason": error.reason},
            )
    return rf


# The reconciliation is set-based: the file's P/R records are streamed by COPY into a
# temporary table, then a handful of statements check and apply them all at once (lock the
# claims, find the first line that does not match, update the claims, insert the payments,
# journal). This replaced a per-claim loop with `bulk_update` (~140 lines/s) — see
# tests/bench/test_bench_billing.py and docs/billing.md for the figures.
_ROWS = "billing_return_rows"

_STATUS_AFTER = """CASE WHEN r.kind = 'R' THEN 'rejected'
    WHEN r.amount >= r.claim_amount THEN 'paid' ELSE 'partly_paid' END"""  # = Claim.record_payment
_HAS_REASON = "(r.kind = 'R' OR r.amount < r.claim_amount)"  # rejected, or paid in part


def _load(cursor: Any, rf: ReturnFile, open_lines: LinesOpener) -> list[AckRecord]:
    """Stream the file's P/R records into the temporary table, checking its structure line by
    line (ReturnFileError at the first malformed line: the COPY is abandoned and the caller
    rolls back). A file row not yet saved (`return_import`) is saved here, once its header
    names the payer. Returns the acknowledgements (one per batch: few)."""
    acks: list[AckRecord] = []
    labels: dict[str, str] = {}
    items = 0

    def label(code: str, given: str) -> str:
        if given:
            return given
        if code not in labels:
            labels[code] = (reason_for(code) or _unknown()).label
        return labels[code]

    with cursor.copy(
        f"COPY {_ROWS} (line, kind, claim_ref, amount, paid_on, transfer_ref, code, label) "
        "FROM STDIN"
    ) as copy:
        for r in parse_return(open_lines()):
            items += 1
            if isinstance(r, PaymentRecord):
                text = label(r.code, r.label)[:200]
                row = (r.line, "P", r.claim_ref, r.amount, r.on, r.transfer_ref, r.code, text)
                copy.write_row(row)
            elif isinstance(r, RejectRecord):
                text = label(r.code, r.label)[:200]
                copy.write_row((r.line, "R", r.claim_ref, None, None, "", r.code, text))
            elif isinstance(r, UnmatchedRecord):
                copy.write_row(
                    (r.line, r.kind, r.claim_ref, r.net, r.on, r.transfer_ref, r.code, r.label)
                )
            elif isinstance(r, AckRecord):
                acks.append(r)
            elif rf.pk is None:  # the header, first of all
                rf.payer_type, rf.payer_code = r.payer_type, r.payer_code
    if rf.pk is None:
        rf.lines_count = items
        rf.save()
    return acks


def _reconcile(rf: ReturnFile, open_lines: LinesOpener, by: User | None) -> None:
    """Apply the file to the claims; raise ReturnFileError (caller rolls back) at the first
    line that does not match. Runs inside the caller's transaction."""
    today = timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_ROWS}")
        cursor.execute(
            f"""CREATE TEMP TABLE {_ROWS} (
                line integer NOT NULL, kind char(1) NOT NULL, claim_ref varchar(24) NOT NULL,
                amount numeric(12, 2), paid_on date, transfer_ref varchar(40) NOT NULL,
                code varchar(8) NOT NULL, label varchar(200) NOT NULL,
                claim_id bigint, invoice_id bigint, payer_type varchar(3), payer_code varchar(20),
                old_status varchar(16), claim_amount numeric(12, 2), old_paid numeric(12, 2),
                old_code varchar(8), first_line integer, reason varchar(300)
            ) ON COMMIT DROP"""
        )
        acks = _load(cursor, rf, open_lines)  # streamed: memory stays flat
        stats: dict[str, Any] = {"acks": 0, "paid": 0, "partial": 0, "rejected": 0, "total": ZERO}
        # Acknowledgements first (they move a batch's claims from sent to acknowledged, or
        # reject them all): few rows, each through the Batch transition.
        _apply_acks(rf, acks, stats)
        cursor.execute(f"ANALYZE {_ROWS}")
        # Lock the claims named in the file (in id order: no deadlock with a concurrent
        # import), then copy their current state next to each line.
        cursor.execute(
            f"""SELECT count(*) FROM (SELECT c.id FROM billing_claim c
                JOIN {_ROWS} r ON r.claim_ref = c.reference ORDER BY c.id FOR UPDATE OF c) l"""  # noqa: S608 (constants only)
        )
        cursor.execute(
            f"""UPDATE {_ROWS} r SET claim_id = c.id, invoice_id = c.invoice_id,
                payer_type = c.payer_type, payer_code = c.payer_code, old_status = c.status,
                claim_amount = c.amount, old_paid = c.paid_amount, old_code = c.reject_code
                FROM billing_claim c WHERE c.reference = r.claim_ref"""  # noqa: S608 (constants only)
        )
        # Lines that match no claim go to the « à rapprocher » worklist with the reason, and
        # the rest of the file reconciles: lump sums, adjustments and recoveries (F, J, I),
        # and the P / R lines naming a claim twice, an unknown claim, a claim of another
        # payer, one not awaiting an answer, an overpayment or a payment dated in the future.
        _set_aside(cursor, rf, today, by)
        cursor.execute(
            f"""SELECT count(*) FILTER (WHERE kind = 'P' AND amount >= claim_amount),
                count(*) FILTER (WHERE kind = 'P' AND amount < claim_amount),
                count(*) FILTER (WHERE kind = 'R'),
                coalesce(sum(amount) FILTER (WHERE kind = 'P'), 0) FROM {_ROWS}"""  # noqa: S608 (constants only)
        )
        stats["paid"], stats["partial"], stats["rejected"], stats["total"] = cursor.fetchone()
        now = timezone.now()
        cursor.execute(
            f"""UPDATE billing_claim c SET status = {_STATUS_AFTER},
                paid_amount = CASE WHEN r.kind = 'P' THEN r.amount ELSE c.paid_amount END,
                paid_on = CASE WHEN r.kind = 'P' THEN r.paid_on ELSE c.paid_on END,
                transfer_ref = CASE WHEN r.kind = 'P' THEN r.transfer_ref ELSE c.transfer_ref END,
                reject_code = CASE WHEN {_HAS_REASON} THEN r.code ELSE c.reject_code END,
                reject_label = CASE WHEN {_HAS_REASON} THEN r.label ELSE c.reject_label END,
                updated_at = %s
                FROM {_ROWS} r WHERE c.id = r.claim_id""",  # noqa: S608 (constants only)
            [now],
        )
        cursor.execute(
            f"""INSERT INTO billing_payment (invoice_id, claim_id, return_file_id, source, method,
                amount, received_on, reference, receipt_number, recorded_at, recorded_by_id)
                SELECT r.invoice_id, r.claim_id, %s, r.payer_type, %s, r.amount, r.paid_on,
                r.transfer_ref, '', %s, NULL FROM {_ROWS} r WHERE r.kind = 'P'
                ORDER BY r.line""",  # noqa: S608 (constants only)
            [rf.pk, PaymentMethod.TRANSFER.value, now],
        )
        # Journal: one entry per claim (its history shows which file paid or rejected it),
        # written by one INSERT … SELECT — cheap next to the rest, so chosen over a single
        # entry carrying every change; plus the summary entry of the file below.
        ctx = request_context.current.get()
        actor_label = by.email if by else "système"
        status_case = (
            "CASE s.after " + " ".join(["WHEN %s THEN %s"] * len(ClaimStatus.choices)) + " END"
        )
        status_params = [v for choice in ClaimStatus.choices for v in (choice[0], str(choice[1]))]
        cursor.execute(
            f"""INSERT INTO centre_auditentry (at, actor_id, actor_label, action, object_type,
                object_id, object_repr, changes, extra, request_id, ip)
                SELECT %s, %s, %s, 'billing.claim.return', 'billing.claim', r.claim_id::text,
                left(r.claim_ref || ' (' || ({status_case})
                     || ')', 200),
                jsonb_strip_nulls(jsonb_build_object(
                  'status', jsonb_build_array(r.old_status, s.after),
                  'paid_amount', CASE WHEN r.kind = 'P'
                      THEN jsonb_build_array(r.old_paid::text, r.amount::text) END,
                  'reject_code', CASE WHEN {_HAS_REASON}
                      THEN jsonb_build_array(r.old_code, r.code) END)),
                jsonb_build_object('return_file', %s, 'line', r.line),
                %s, %s
                FROM {_ROWS} r, LATERAL (SELECT {_STATUS_AFTER} AS after) s
                ORDER BY r.line""",  # noqa: S608 (constants only)
            [
                now,
                by.pk if by else None,
                actor_label,
                *status_params,
                rf.pk,
                ctx.request_id if ctx else "",
                ctx.ip if ctx else None,
            ],
        )
        cursor.execute(f"DROP TABLE {_ROWS}")
    _mark_paid_batches(rf, by)
    rf.acks_count = stats["acks"]
    rf.paid_count = stats["paid"]
    rf.partial_count = stats["partial"]
    rf.rejected_count = stats["rejected"]
    rf.paid_total = to_cents(stats["total"])
    unmatched = rf.items.aggregate(n=Count("id"), total=Sum("amount"))
    rf.unmatched_count = unmatched["n"]
    rf.unmatched_total = to_cents(unmatched["total"] or ZERO)
    stats["unmatched"] = rf.unmatched_count
    rf.status = ReturnStatus.IMPORTED
    rf.reconciled_at = timezone.now()
    rf.save()
    audit.record(
        actor=by,
        action="billing.return.import",
        obj=rf,
        changes={k: str(v) for k, v in stats.items()},
    )


def _mark_paid_batches(rf: ReturnFile, by: User | None) -> None:
    """A lot with a positive ARL becomes « payé » once none of its claims still waits for the
    payer (each is paid, paid in part or rejected)."""
    waiting = Claim.objects.filter(batch_id=OuterRef("pk"), status__in=OPEN_AFTER_SENDING)
    today = timezone.localdate()
    for batch in (
        Batch.objects.select_for_update()
        .filter(payer_type=rf.payer_type, payer_code=rf.payer_code, status=BatchStatus.ACKNOWLEDGED)
        .exclude(Exists(waiting))
        .order_by("id")
    ):
        batch.status, batch.paid_on = BatchStatus.PAID, today
        batch.save(update_fields=["status", "paid_on"])
        audit.record(
            actor=by,
            action="billing.batch.paid",
            obj=batch,
            changes={"status": [BatchStatus.ACKNOWLEDGED, BatchStatus.PAID]},
            extra={"return_file": rf.pk},
        )


def _status_labels() -> tuple[str, list[str]]:
    case = "CASE r.old_status " + " ".join(["WHEN %s THEN %s"] * len(ClaimStatus.choices))
    return case + " END", [v for choice in ClaimStatus.choices for v in (choice[0], str(choice[1]))]


def _set_aside(cursor: Any, rf: ReturnFile, today: datetime.date, by: User | None) -> None:
    """Move the lines that match no claim from the temporary table to ReconciliationItem
    (set-based: one UPDATE writes each reason, one INSERT … SELECT copies, one DELETE)."""
    status_case, status_params = _status_labels()
    open_states = [str(s) for s in OPEN_AFTER_SENDING]
    cursor.execute(
        f"""UPDATE {_ROWS} r SET first_line = d.first_line
            FROM (SELECT line, min(line) OVER (PARTITION BY claim_ref) AS first_line
                  FROM {_ROWS} WHERE kind IN ('P', 'R')) d
            WHERE d.line = r.line AND d.first_line < r.line"""  # noqa: S608 (constants only)
    )
    cursor.execute(
        f"""UPDATE {_ROWS} r SET reason = CASE
            WHEN r.kind = 'F' THEN 'Forfait sans demande : à affecter.'
            WHEN r.kind = 'J' THEN 'Ajustement du payeur : à rapprocher.'
            WHEN r.kind = 'I' THEN 'Récupération (indu) : à rapprocher.'
            WHEN r.first_line IS NOT NULL THEN 'La demande ' || r.claim_ref
                || ' figure deux fois (déjà ligne ' || r.first_line || ').'
            WHEN r.claim_id IS NULL THEN 'Demande ' || r.claim_ref || ' inconnue.'
            WHEN r.payer_type <> %s OR r.payer_code <> %s THEN 'La demande ' || r.claim_ref
                || ' n''a pas été envoyée à cet organisme.'
            WHEN r.old_status <> ALL(%s) THEN 'La demande ' || r.claim_ref || ' est « '
                || ({status_case}) || ' » : elle n''attend ni paiement ni rejet.'
            WHEN r.kind = 'P' AND r.amount > r.claim_amount THEN 'Montant payé '
                || r.amount || ' € supérieur au montant demandé ' || r.claim_amount || ' €.'
            WHEN r.kind = 'P' AND r.paid_on > %s THEN 'Date de paiement dans le futur.'
            END""",  # noqa: S608 (constants only)
        [rf.payer_type, rf.payer_code, open_states, *status_params, today],
    )
    cursor.execute(
        f"""INSERT INTO billing_reconciliationitem (return_file_id, line, kind, payer_type,
            payer_code, amount, "on", transfer_ref, claim_ref, claim_id, code, label, reason,
            status, resolution, created_at)
            SELECT %s, r.line, r.kind, %s, %s, r.amount, r.paid_on, r.transfer_ref,
            r.claim_ref, r.claim_id, r.code, r.label, r.reason, %s, '', %s
            FROM {_ROWS} r WHERE r.reason IS NOT NULL ORDER BY r.line""",  # noqa: S608 (constants only)
        [rf.pk, rf.payer_type, rf.payer_code, ItemStatus.OPEN.value, timezone.now()],
    )
    cursor.execute(f"DELETE FROM {_ROWS} WHERE reason IS NOT NULL")  # noqa: S608 (constants only)


def _apply_acks(rf: ReturnFile, acks: list[AckRecord], stats: dict[str, Any]) -> None:
    for ack in acks:
        batch = (
            Batch.objects.select_for_update()
            .filter(payer_type=rf.payer_type, payer_code=rf.payer_code, number=ack.batch_number)
            .first()
        )
        if batch is not None and batch.status == BatchStatus.BUILT:
            # An ARL proves the lot left: the clerk had not marked it sent.
            batch.mark_sent()
            Claim.objects.filter(batch=batch, status=ClaimStatus.IN_BATCH).update(
                status=ClaimStatus.SENT, updated_at=timezone.now()
            )
        if batch is None or batch.status != BatchStatus.SENT:
            reason = (
                f"Lot n° {ack.batch_number} inconnu pour cet organisme."
                if batch is None
                else f"Le lot n° {ack.batch_number} est « {batch.get_status_display()} »."
            )
            ReconciliationItem.objects.create(
                return_file=rf,
                line=ack.line,
                kind=ItemKind.ACK,
                payer_type=rf.payer_type,
                payer_code=rf.payer_code,
                on=ack.on,
                code=ack.code,
                label=f"ARL {'positif' if ack.positive else 'négatif'} du lot n° "
                f"{ack.batch_number}"[:200],
                reason=reason,
            )
            continue
        label = ack.label or ("" if ack.positive else (reason_for(ack.code) or _unknown()).label)
        batch.acknowledge(on=ack.on, positive=ack.positive, code=ack.code, label=label)
        batch.save()
        claims = Claim.objects.filter(batch=batch, status=ClaimStatus.SENT)
        if ack.positive:
            claims.update(
                status=ClaimStatus.ACKNOWLEDGED, acknowledged_on=ack.on, updated_at=timezone.now()
            )
        else:
            # A negative ARL refuses the whole lot: every claim comes back to be worked.
            claims.update(
                status=ClaimStatus.REJECTED,
                reject_code=ack.code,
                reject_label=f"Lot refusé : {label}"[:200],
                updated_at=timezone.now(),
            )
        stats["acks"] += 1


def _unknown() -> Any:
    from billing.rejects import RejectReason

    return RejectReason("", "Motif non précisé", "", "")
