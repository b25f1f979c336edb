"""Writes of the billing app. Each function runs in one transaction and audits there."""

from __future__ import annotations

import datetime
import hashlib
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from itertools import islice
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import timezone

from billing import selectors
from billing.formats import (
    AckRecord,
    BatchHeader,
    BatchRecord,
    PaymentRecord,
    RejectRecord,
    ReturnFileError,
    ReturnHeader,
    parse_return,
    validate_return,
)
from billing.models import (
    Act,
    Batch,
    BatchStatus,
    Claim,
    ClaimStatus,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentMethod,
    PaymentSource,
    ReturnFile,
    Tariff,
    TransitionError,
)
from billing.money import ZERO, to_cents
from billing.pricing import PayerType, PricedAct, Split, compute_split
from billing.rejects import reason_for
from billing.transmission import get_adapter
from centre import audit
from centre.models import Centre, Site, StaffProfile, User
from patients.coverage import CoverageSummary
from patients.models import Patient


class BillingError(Exception):
    """A billing operation that cannot be done; the message is French, for the user."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class ActChoice:
    code: str
    coefficient: Decimal | None = None


# --- pricing from the database ----------------------------------------------------------------


def price_acts(
    *, acts: list[ActChoice], on: datetime.date, profession: str | None
) -> list[tuple[Act, Tariff, PricedAct]]:
    if not acts:
        raise BillingError("Choisissez au moins un acte.", field="acts")
    codes = {a.code.strip().upper() for a in acts}
    known = {a.code: a for a in Act.objects.filter(code__in=codes, is_active=True)}
    priced: list[tuple[Act, Tariff, PricedAct]] = []
    for choice in acts:
        code = choice.code.strip().upper()
        act = known.get(code)
        if act is None:
            raise BillingError(f"Acte « {code} » inconnu de la nomenclature.", field="acts")
        if profession is not None and act.professions and profession not in act.professions:
            raise BillingError(
                f"L'acte {code} n'est pas facturable par cette profession.", field="acts"
            )
        tariff = selectors.tariff_on(act, on)
        if tariff is None:
            raise BillingError(
                f"Aucun tarif de l'acte {code} en vigueur le {on:%d/%m/%Y}.", field="acts"
            )
        coefficient = (
            choice.coefficient if choice.coefficient is not None else act.default_coefficient
        )
        try:
            coefficient = Decimal(coefficient)
        except (InvalidOperation, TypeError):
            raise BillingError(f"Coefficient de {code} invalide.", field="acts") from None
        if not Decimal("0") < coefficient <= Decimal("100"):
            raise BillingError(f"Coefficient de {code} hors limites (0 à 100).", field="acts")
        priced.append(
            (
                act,
                tariff,
                PricedAct(
                    code=act.code,
                    label=act.label,
                    unit_price=tariff.unit_price,
                    coefficient=coefficient,
                    amo_rate=tariff.amo_rate,
                    kind=act.kind,
                    is_modifier=act.is_modifier,
                    care_pathway=act.care_pathway,
                ),
            )
        )
    return priced


def _coverage_for(patient: Patient, on: datetime.date) -> CoverageSummary:
    from patients.coverage import coverage_summary

    return coverage_summary(patient, on)


def invoice_preview(
    *,
    patient: Patient,
    on: datetime.date,
    acts: list[ActChoice],
    related_to_ald: bool = False,
    pathway_exempt: bool = False,
    profession: str | None = None,
    coverage: CoverageSummary | None = None,
) -> Split:
    """The split an invoice would get, without saving anything."""
    priced = price_acts(acts=acts, on=on, profession=profession)
    return compute_split(
        acts=[p for _, _, p in priced],
        coverage=coverage or _coverage_for(patient, on),
        related_to_ald=related_to_ald,
        pathway_exempt=pathway_exempt,
        deductibles=selectors.deductibles_on(on),
        already=selectors.already_charged(patient.pk, on),
    )


def _issues(coverage: CoverageSummary) -> list[str]:
    """What must be fixed before the claims can be sent, each with the fix to make."""
    issues: list[str] = []
    if coverage.no_rights:
        return issues  # billed to the "rights pending" payer, nothing to fix now
    if coverage.has_amo and not coverage.insured_nir:
        issues.append("NIR de l'assuré·e manquant : le saisir dans le dossier patient.")
    if coverage.has_amo and not coverage.amo_caisse:
        issues.append("Caisse d'affiliation inconnue : la saisir dans la couverture AMO.")
    issues.extend(coverage.warnings)
    return issues


def _payer(payer_type: str, coverage: CoverageSummary) -> tuple[str, str]:
    local = getattr(settings, "BILLING_LOCAL_CAISSE", "861")
    if payer_type in (PayerType.AMO, PayerType.C2S):
        code = coverage.amo_caisse or (local if coverage.ame else "INCONNU")
        label = "AME (État) via la CPAM" if coverage.ame else f"Caisse {code}"
        return code, label if payer_type == PayerType.AMO else f"C2S — caisse {code}"
    if payer_type == PayerType.AMC and coverage.amc is not None:
        return coverage.amc.organism_number or "INCONNU", coverage.amc.organism_name
    return getattr(settings, "BILLING_PENDING_PAYER", "PASS"), "Droits en attente (PASS)"


def invoice_create(
    *,
    patient: Patient,
    practitioner: StaffProfile,
    site: Site,
    on: datetime.date,
    acts: list[ActChoice],
    by: User,
    appointment: Any = None,
    related_to_ald: bool = False,
    pathway_exempt: bool = False,
    coverage: CoverageSummary | None = None,
) -> Invoice:
    """Close a consultation: price its acts, freeze tariff and coverage, create one claim per
    payer (tiers payant). An appointment not yet marked seen is marked seen."""
    with transaction.atomic():
        # Locking the patient serialises invoices of one person, so the daily and yearly
        # caps of PF and franchise are computed on committed totals.
        patient = Patient.objects.select_for_update().get(pk=patient.pk)
        if appointment is not None:
            from appointments.models import Status
            from appointments.services import appointment_mark_seen

            if Invoice.objects.filter(appointment=appointment).exists():
                raise BillingError("Cette consultation a déjà une facture.")
            if appointment.status in (Status.BOOKED, Status.ARRIVED):
                appointment_mark_seen(appointment=appointment, by=by)
            elif appointment.status != Status.SEEN:
                raise BillingError("Seule une consultation qui a eu lieu peut être facturée.")
        priced = price_acts(acts=acts, on=on, profession=practitioner.profession or None)
        coverage = coverage or _coverage_for(patient, on)
        split = compute_split(
            acts=[p for _, _, p in priced],
            coverage=coverage,
            related_to_ald=related_to_ald,
            pathway_exempt=pathway_exempt,
            deductibles=selectors.deductibles_on(on),
            already=selectors.already_charged(patient.pk, on),
        )
        issues = _issues(coverage)
        invoice = Invoice.objects.create(
            number=f"T{uuid.uuid4().hex[:18]}",
            patient=patient,
            appointment=appointment,
            practitioner=practitioner,
            site=site,
            date_of_care=on,
            related_to_ald=related_to_ald,
            pathway_exempt=pathway_exempt,
            total=split.total,
            amo=split.amo,
            amc=split.amc,
            patient_share=split.patient_share,
            patient_due=split.patient_due,
            pending=split.pending,
            pf=split.pf,
            franchise=split.franchise,
            amc_payer=split.amc_payer,
            amc_tiers_payant=split.amc_tiers_payant,
            out_of_pathway=split.out_of_pathway,
            coverage=audit._jsonable_mapping(asdict(coverage)),
            issues=issues,
            notes=list(split.notes),
            created_by=by,
        )
        invoice.number = f"F{on.year}{invoice.pk:07d}"
        invoice.save(update_fields=["number"])
        InvoiceLine.objects.bulk_create(
            InvoiceLine(
                invoice=invoice,
                act=act,
                tariff=tariff,
                code=line.code,
                label=line.label,
                unit_price=line.unit_price,
                coefficient=line.coefficient,
                amount=line.amount,
                amo_rate=line.amo_rate,
                amo=line.amo,
                ticket_moderateur=line.ticket_moderateur,
            )
            for (act, tariff, _), line in zip(priced, split.lines, strict=True)
        )
        for payer_type, amount in split.claims().items():
            code, label = _payer(payer_type, coverage)
            Claim.objects.create(
                reference=f"{invoice.number}-{payer_type}1",
                invoice=invoice,
                payer_type=payer_type,
                payer_code=code,
                payer_label=label[:120],
                amount=amount,
                status=ClaimStatus.DRAFT if issues else ClaimStatus.READY,
            )
        audit.record(
            actor=by,
            action="billing.invoice.create",
            obj=invoice,
            changes={
                "total": str(split.total),
                "amo": str(split.amo),
                "amc": str(split.amc),
                "patient_due": str(split.patient_due),
                "acts": [f"{line.code}×{line.coefficient}" for line in split.lines],
            },
        )
    return invoice


def invoice_recheck(*, invoice: Invoice, by: User) -> Invoice:
    """After the fix (NIR entered, caisse set), re-read the coverage: claims become ready."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        coverage = _coverage_for(invoice.patient, invoice.date_of_care)
        issues = _issues(coverage)
        before = invoice.issues
        invoice.issues = issues
        invoice.save(update_fields=["issues"])
        if not issues:
            for claim in invoice.claims.select_for_update().filter(status=ClaimStatus.DRAFT):
                claim.payer_code, label = _payer(claim.payer_type, coverage)
                claim.payer_label = label[:120]
                claim.mark_ready()
                claim.save(update_fields=["status", "payer_code", "payer_label", "updated_at"])
        audit.record(
            actor=by,
            action="billing.invoice.recheck",
            obj=invoice,
            changes={"issues": [before, issues]},
        )
    return invoice


def payment_record(
    *, invoice: Invoice, amount: Decimal, method: str, by: User, reference: str = ""
) -> Payment:
    """Reception records what the patient paid at the desk."""
    if method not in {PaymentMethod.CASH, PaymentMethod.CARD, PaymentMethod.CHEQUE}:
        raise BillingError("Moyen de paiement : espèces, carte ou chèque.", field="method")
    amount = to_cents(amount)
    if amount <= 0:
        raise BillingError("Le montant doit être positif.", field="amount")
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if amount > locked.patient_balance:
            raise BillingError(
                f"Le montant dépasse le reste à régler ({locked.patient_balance} €).",
                field="amount",
            )
        payment = Payment.objects.create(
            invoice=locked,
            source=PaymentSource.PATIENT,
            method=method,
            amount=amount,
            received_on=timezone.localdate(),
            reference=reference[:40],
            recorded_by=by,
        )
        payment.receipt_number = f"R{payment.received_on.year}{payment.pk:07d}"
        payment.save(update_fields=["receipt_number"])
        Invoice.objects.filter(pk=locked.pk).update(patient_paid=F("patient_paid") + amount)
        audit.record(
            actor=by,
            action="billing.payment.record",
            obj=locked,
            changes={"amount": str(amount), "method": method},
        )
    invoice.refresh_from_db()
    return payment


# --- batches ----------------------------------------------------------------------------------

ProgressCallback = Callable[[int, int], None]


def _records(batch: Batch) -> Iterator[BatchRecord]:
    claims = (
        Claim.objects.filter(batch=batch)
        .select_related("invoice__patient", "invoice__practitioner")
        .prefetch_related("invoice__lines")
        .order_by("id")
        .iterator(chunk_size=2000)
    )
    for claim in claims:
        invoice = claim.invoice
        cov = invoice.coverage
        yield BatchRecord(
            claim_ref=claim.reference,
            invoice_number=invoice.number,
            insured_nir=cov.get("insured_nir", ""),
            beneficiary_nir=cov.get("beneficiary_nir", ""),
            birth_date=invoice.patient.birth_date,
            birth_rank=invoice.patient.birth_rank,
            date_of_care=invoice.date_of_care,
            practitioner_rpps=invoice.practitioner.rpps,
            amount=claim.amount,
            acts=tuple((ln.code, ln.coefficient, ln.amount) for ln in invoice.lines.all()),
        )


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
        ready = Claim.objects.filter(
            status=ClaimStatus.READY, payer_type=payer_type, payer_code=payer_code
        )
        if claim_ids is not None:
            ready = ready.filter(id__in=claim_ids)
        taken = ready.update(status=ClaimStatus.IN_BATCH, batch=batch)
        if not taken:
            transaction.set_rollback(True)
            return None
        adapter = get_adapter()
        batch.claims_count = taken
        batch.total_amount = (
            Claim.objects.filter(batch=batch).aggregate(t=Sum("amount"))["t"] or ZERO
        )
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
            adapter.write(header, _records(batch), tmp)
            tmp.seek(0)
            name = f"lot-{payer_type}-{payer_code}-{batch.number:05d}.txt"
            batch.file.save(name, File(tmp, name=name), save=False)
        batch.format_version = adapter.format_version
        batch.mark_built()
        adapter.send(batch_id=batch.pk)
        batch.mark_sent()
        batch.save()
        Claim.objects.filter(batch=batch, status=ClaimStatus.IN_BATCH).update(
            status=ClaimStatus.SENT, updated_at=timezone.now()
        )
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
    """
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


# --- returns ----------------------------------------------------------------------------------

CHUNK = 2000


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def return_import(
    *,
    open_lines: Callable[[], Iterable[bytes]],
    filename: str,
    by: User | None,
) -> tuple[ReturnFile, bool]:
    """Import an acknowledgement / payment / reject file, all or nothing.

    The file is read twice (streamed): first to validate its structure as a whole, then to
    reconcile it in one transaction; any problem (unknown claim, wrong payer, claim not
    awaiting a payment, overpayment) raises ReturnFileError with the line, and the
    transaction rolls back: nothing is imported. Returns (file, created): importing the same
    file again does nothing (payments are counted once).
    """
    digest = hashlib.sha256()
    for raw in open_lines():
        digest.update(raw)
    sha = digest.hexdigest()
    existing = ReturnFile.objects.filter(sha256=sha).first()
    if existing is not None:
        return existing, False
    summary = validate_return(open_lines())
    header = summary.header
    today = timezone.localdate()
    with transaction.atomic():
        rf = ReturnFile.objects.create(
            filename=filename[:200],
            sha256=sha,
            payer_type=header.payer_type,
            payer_code=header.payer_code,
            lines_count=summary.lines,
            imported_by=by,
        )
        stats: dict[str, Any] = {"acks": 0, "paid": 0, "partial": 0, "rejected": 0, "total": ZERO}
        records = (r for r in parse_return(open_lines()) if not isinstance(r, ReturnHeader))
        for chunk in _chunks(records, CHUNK):
            _apply_acks(header, [r for r in chunk if isinstance(r, AckRecord)], stats, by)
            _apply_claims(
                header, [r for r in chunk if not isinstance(r, AckRecord)], rf, stats, today
            )
        rf.acks_count = stats["acks"]
        rf.paid_count = stats["paid"]
        rf.partial_count = stats["partial"]
        rf.rejected_count = stats["rejected"]
        rf.paid_total = stats["total"]
        rf.save()
        audit.record(
            actor=by,
            action="billing.return.import",
            obj=rf,
            changes={k: str(v) for k, v in stats.items()},
        )
    return rf, True


def _apply_acks(
    header: ReturnHeader, acks: list[AckRecord], stats: dict[str, Any], by: User | None
) -> None:
    for ack in acks:
        batch = (
            Batch.objects.select_for_update()
            .filter(
                payer_type=header.payer_type, payer_code=header.payer_code, number=ack.batch_number
            )
            .first()
        )
        if batch is None:
            raise ReturnFileError(
                ack.line, f"lot n° {ack.batch_number} inconnu pour cet organisme."
            )
        if batch.status != BatchStatus.SENT:
            raise ReturnFileError(
                ack.line, f"le lot n° {ack.batch_number} est « {batch.get_status_display()} »."
            )
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


def _apply_claims(
    header: ReturnHeader,
    records: list[PaymentRecord | RejectRecord],
    rf: ReturnFile,
    stats: dict[str, Any],
    today: datetime.date,
) -> None:
    if not records:
        return
    refs = [r.claim_ref for r in records]
    claims = {
        c.reference: c
        for c in Claim.objects.select_for_update().filter(reference__in=refs).order_by("id")
    }
    payments: list[Payment] = []
    for r in records:
        claim = claims.get(r.claim_ref)
        if claim is None:
            raise ReturnFileError(r.line, f"demande {r.claim_ref} inconnue.")
        if (claim.payer_type, claim.payer_code) != (header.payer_type, header.payer_code):
            raise ReturnFileError(
                r.line, f"la demande {r.claim_ref} n'a pas été envoyée à cet organisme."
            )
        try:
            if isinstance(r, PaymentRecord):
                if r.amount > claim.amount:
                    raise ReturnFileError(
                        r.line,
                        f"montant payé {r.amount} € supérieur au montant demandé {claim.amount} €.",
                    )
                if r.on > today:
                    raise ReturnFileError(r.line, "date de paiement dans le futur.")
                claim.record_payment(amount=r.amount, on=r.on, ref=r.transfer_ref)
                if claim.status == ClaimStatus.PARTLY_PAID:
                    claim.reject_code = r.code
                    claim.reject_label = r.label or (reason_for(r.code) or _unknown()).label
                    stats["partial"] += 1
                else:
                    stats["paid"] += 1
                stats["total"] += r.amount
                payments.append(
                    Payment(
                        invoice_id=claim.invoice_id,
                        claim=claim,
                        return_file=rf,
                        source=claim.payer_type,
                        method=PaymentMethod.TRANSFER,
                        amount=r.amount,
                        received_on=r.on,
                        reference=r.transfer_ref,
                    )
                )
            else:
                known = reason_for(r.code)
                claim.reject(
                    code=r.code, label=r.label or (known.label if known else "Motif non précisé")
                )
                stats["rejected"] += 1
        except TransitionError as error:
            raise ReturnFileError(r.line, str(error)) from None
    now = timezone.now()
    for claim in claims.values():
        claim.updated_at = now
    Claim.objects.bulk_update(
        list(claims.values()),
        [
            "status",
            "paid_amount",
            "paid_on",
            "transfer_ref",
            "reject_code",
            "reject_label",
            "updated_at",
        ],
        batch_size=CHUNK,
    )
    Payment.objects.bulk_create(payments, batch_size=CHUNK)


# --- working rejects --------------------------------------------------------------------------

CLAIM_FIELDS = ("status", "closing_reason")


def claim_resubmit(*, claim: Claim, by: User) -> Claim:
    """Correct and resubmit: the rejected (or partly paid) claim is closed and a new claim for
    what is still owed goes into the next batch."""
    with transaction.atomic():
        old = Claim.objects.select_for_update().get(pk=claim.pk)
        before = audit.snapshot(old, CLAIM_FIELDS)
        try:
            old.mark_corrected()
        except TransitionError as error:
            raise BillingError(str(error)) from error
        old.save(update_fields=["status", "updated_at"])
        count = Claim.objects.filter(invoice_id=old.invoice_id, payer_type=old.payer_type).count()
        new = Claim.objects.create(
            reference=f"{old.invoice.number}-{old.payer_type}{count + 1}",
            invoice_id=old.invoice_id,
            payer_type=old.payer_type,
            payer_code=old.payer_code,
            payer_label=old.payer_label,
            amount=old.outstanding,
            replaces=old,
            status=ClaimStatus.READY,
        )
        audit.record(
            actor=by,
            action="billing.claim.resubmit",
            obj=old,
            changes=audit.diff(before, audit.snapshot(old, CLAIM_FIELDS)),
            extra={"new_claim": new.reference, "amount": str(new.amount)},
        )
    return new


def claim_bill_patient(*, claim: Claim, by: User, reason: str = "") -> Claim:
    """What the payer refused is asked of the patient (added to what is due at the desk)."""
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        before = audit.snapshot(locked, CLAIM_FIELDS)
        try:
            locked.bill_patient(reason or locked.reject_label)
        except TransitionError as error:
            raise BillingError(str(error)) from error
        locked.save(update_fields=["status", "closing_reason", "updated_at"])
        Invoice.objects.filter(pk=locked.invoice_id).update(
            patient_due=F("patient_due") + locked.outstanding
        )
        audit.record(
            actor=by,
            action="billing.claim.bill_patient",
            obj=locked,
            changes=audit.diff(before, audit.snapshot(locked, CLAIM_FIELDS)),
            extra={"amount": str(locked.outstanding)},
        )
    return locked


def claim_write_off(*, claim: Claim, reason: str, by: User) -> Claim:
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        before = audit.snapshot(locked, CLAIM_FIELDS)
        try:
            locked.write_off(reason)
        except TransitionError as error:
            raise BillingError(str(error), field="reason") from error
        locked.save(update_fields=["status", "closing_reason", "updated_at"])
        audit.record(
            actor=by,
            action="billing.claim.write_off",
            obj=locked,
            changes=audit.diff(before, audit.snapshot(locked, CLAIM_FIELDS)),
            extra={"amount": str(locked.outstanding)},
        )
    return locked


# --- fee schedule -----------------------------------------------------------------------------


def tariff_add(
    *,
    act: Act,
    unit_price: Decimal,
    amo_rate: Decimal,
    valid_from: datetime.date,
    source: str,
    to_verify: bool,
    by: User,
) -> Tariff:
    """A new tariff from `valid_from`: invoices keep their frozen copy; consultations from that
    date use it, earlier ones the previous tariff."""
    if unit_price < 0:
        raise BillingError("Le tarif ne peut pas être négatif.", field="unit_price")
    if not Decimal("0") <= amo_rate <= Decimal("1"):
        raise BillingError("Le taux AMO est compris entre 0 et 1 (ex. 0,70).", field="amo_rate")
    if not source.strip():
        raise BillingError("Indiquez la source (texte officiel, convention…).", field="source")
    with transaction.atomic():
        if Tariff.objects.filter(act=act, valid_from=valid_from).exists():
            raise BillingError("Un tarif commence déjà à cette date.", field="valid_from")
        tariff = Tariff.objects.create(
            act=act,
            unit_price=to_cents(unit_price),
            amo_rate=amo_rate,
            valid_from=valid_from,
            source=source.strip(),
            to_verify=to_verify,
            created_by=by,
        )
        audit.record(
            actor=by,
            action="billing.tariff.add",
            obj=tariff,
            changes={
                "unit_price": str(tariff.unit_price),
                "amo_rate": str(amo_rate),
                "valid_from": valid_from,
            },
        )
    return tariff
