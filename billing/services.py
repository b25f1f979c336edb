"""Writes of the billing app. Each function runs in one transaction and audits there."""

from __future__ import annotations

import datetime
import hashlib
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from billing import selectors
from billing.formats import (
    AckRecord,
    BatchHeader,
    BatchRecord,
    PaymentRecord,
    RejectRecord,
    ReturnFileError,
    parse_return,
    validate_return,
)
from billing.models import (
    OPEN_AFTER_SENDING,
    SETTLED_WITHOUT_MONEY,
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
    ReturnStatus,
    Tariff,
    TransitionError,
)
from billing.money import ZERO, to_cents
from billing.pricing import PayerType, PricedAct, Split, compute_split
from billing.rejects import reason_for
from billing.transmission import get_adapter
from centre import audit, request_context
from centre.models import Centre, Site, StaffProfile, User
from centre.refusals import Refusal
from patients.coverage import CoverageSummary
from patients.models import Patient


class BillingError(Refusal):
    """A billing operation that cannot be done; the message is French, for the user."""


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


def _write_invoice(
    *,
    patient: Patient,
    practitioner: StaffProfile,
    site: Site,
    on: datetime.date,
    priced: list[tuple[Act, Tariff, PricedAct]],
    split: Split,
    coverage: CoverageSummary,
    by: User,
    appointment: Any,
    related_to_ald: bool,
    pathway_exempt: bool,
    replaces: Invoice | None = None,
    reason: str = "",
) -> Invoice:
    """Save an invoice, its lines (frozen tariffs) and one claim per payer."""
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
        patient_paid=replaces.patient_paid if replaces else ZERO,
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
        version=replaces.version + 1 if replaces else 1,
        replaces=replaces,
        version_reason=reason[:200],
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
    return invoice


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
            from appointments.services import statuses

            if Invoice.objects.filter(appointment=appointment).exists():
                raise BillingError("Cette consultation a déjà une facture.")
            if appointment.status in (Status.BOOKED, Status.ARRIVED):
                statuses.appointment_mark_seen(appointment=appointment, by=by)
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
        invoice = _write_invoice(
            patient=patient,
            practitioner=practitioner,
            site=site,
            on=on,
            priced=priced,
            split=split,
            coverage=coverage,
            by=by,
            appointment=appointment,
            related_to_ald=related_to_ald,
            pathway_exempt=pathway_exempt,
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


# --- new versions of an invoice: correcting acts, PASS de ville conversion ---------------------

VERSION_FIELDS = ("total", "amo", "amc", "patient_due", "pending", "pf", "franchise")


def _new_version(
    *,
    invoice: Invoice,
    acts: list[ActChoice] | None,
    by: User,
    reason: str,
    action: str,
    require_rights: bool,
) -> Invoice:
    """Replace `invoice` by a new version priced again on its date of care, with the coverage
    known today for that date. Runs inside the caller's transaction.

    The old version is kept (figures frozen, marked superseded) and its open claims are
    cancelled through `Claim.cancel` (which refuses anything a payer is examining or has
    paid); the appointment moves to the new version, whose claims are ready for the next
    batch. What the patient already paid at the desk is carried over."""
    old = Invoice.objects.select_for_update().select_related("practitioner").get(pk=invoice.pk)
    if old.superseded_at is not None:
        raise BillingError("Cette facture a déjà été remplacée par une nouvelle version.")
    if not reason.strip():
        raise BillingError("Indiquez le motif de la nouvelle version.", field="reason")
    cancelled: list[str] = []
    for claim in old.claims.select_for_update().order_by("id"):
        if claim.status in SETTLED_WITHOUT_MONEY:
            continue
        if claim.status == ClaimStatus.BILLED_TO_PATIENT:
            raise BillingError(
                f"La demande {claim.reference} a été facturée au·à la patient·e : "
                "la facture ne peut plus être remplacée."
            )
        try:
            claim.cancel()
        except TransitionError as error:
            raise BillingError(f"{error} La facture ne peut pas être remplacée.") from None
        claim.save(update_fields=["status", "updated_at"])
        cancelled.append(claim.reference)
    patient = Patient.objects.select_for_update().get(pk=old.patient_id)
    appointment = old.appointment
    old.superseded_at = timezone.now()
    old.appointment = None  # one invoice per appointment: it moves to the new version
    # Saved before pricing: the superseded version no longer counts in the PF caps.
    old.save(update_fields=["superseded_at", "appointment"])
    on = old.date_of_care
    if acts is None:
        acts = [ActChoice(line.code, line.coefficient) for line in old.lines.order_by("id")]
    priced = price_acts(acts=acts, on=on, profession=old.practitioner.profession or None)
    coverage = _coverage_for(patient, on)
    if require_rights and coverage.no_rights:
        raise BillingError(
            f"Toujours aucun droit ouvert au {on:%d/%m/%Y} : la consultation reste au payeur "
            "« droits en attente »."
        )
    split = compute_split(
        acts=[p for _, _, p in priced],
        coverage=coverage,
        related_to_ald=old.related_to_ald,
        pathway_exempt=old.pathway_exempt,
        deductibles=selectors.deductibles_on(on),
        already=selectors.already_charged(patient.pk, on),
    )
    if old.pending > 0 and split.patient_due > 0:
        # PASS de ville: care given while rights were pending was given without asking the
        # patient anything (OUTREACH.md, Montreuil's PASS ambulatoire: the invoice waits for
        # the rights, the city pays what is not covered); what would fall on the patient stays
        # with the "rights pending" payer.
        split = replace(
            split,
            pending=split.pending + split.patient_due,
            patient_due=ZERO,
            notes=(
                *split.notes,
                "Reste à charge pris en charge par le payeur « droits en attente ».",
            ),
        )
    new = _write_invoice(
        patient=patient,
        practitioner=old.practitioner,
        site=old.site,
        on=on,
        priced=priced,
        split=split,
        coverage=coverage,
        by=by,
        appointment=appointment,
        related_to_ald=old.related_to_ald,
        pathway_exempt=old.pathway_exempt,
        replaces=old,
        reason=reason.strip(),
    )
    before = audit.snapshot(old, VERSION_FIELDS)
    changes = audit.diff(before, audit.snapshot(new, VERSION_FIELDS))
    old_acts = [f"{ln.code}×{ln.coefficient}" for ln in old.lines.order_by("id")]
    new_acts = [f"{ln.code}×{ln.coefficient}" for ln in split.lines]
    if old_acts != new_acts:
        changes["acts"] = [old_acts, new_acts]
    new_claims = [f"{c.reference} {c.payer_type} {c.amount}" for c in new.claims.order_by("id")]
    audit.record(
        actor=by,
        action="billing.invoice.supersede",
        obj=old,
        changes={"superseded_at": [None, old.superseded_at]},
        extra={"replaced_by": new.number, "reason": reason.strip(), "cancelled": cancelled},
    )
    audit.record(
        actor=by,
        action=action,
        obj=new,
        changes=changes,
        extra={
            "replaces": old.number,
            "reason": reason.strip(),
            "cancelled_claims": cancelled,
            "new_claims": new_claims,
        },
    )
    return new


def invoice_correct(*, invoice: Invoice, acts: list[ActChoice], reason: str, by: User) -> Invoice:
    """Correct the acts of an invoice (typically after a reject « montant incohérent », « acte
    non facturable »): a new version replaces it, its rejected claim is cancelled and the new
    claims are ready for the next batch."""
    with transaction.atomic():
        return _new_version(
            invoice=invoice,
            acts=acts,
            by=by,
            reason=reason,
            action="billing.invoice.correct",
            require_rights=False,
        )


def pending_convert(*, invoice: Invoice, by: User, reason: str = "") -> Invoice:
    """PASS de ville: rights have opened (often retroactively, from a date before the care):
    the consultation billed to the "rights pending" payer becomes a normal invoice with claims
    to the caisse (and the complementary), computed with the coverage valid on the date of
    care. Refused while there are still no rights on that date: it stays with the pending
    payer (the PASS agreement / the city)."""
    with transaction.atomic():
        if not invoice.claims.filter(payer_type=PayerType.PENDING).exists():
            raise BillingError("Cette facture n'est pas au payeur « droits en attente ».")
        return _new_version(
            invoice=invoice,
            acts=None,
            by=by,
            reason=reason or "Droits ouverts : facturation à la caisse",
            action="billing.invoice.convert_pending",
            require_rights=True,
        )


def pending_convert_many(*, invoices: Iterable[Invoice], by: User) -> list[Invoice]:
    """The clerk converts the listed consultations in one action, all or nothing."""
    with transaction.atomic():
        return [pending_convert(invoice=invoice, by=by) for invoice in invoices]


def invoice_recheck(*, invoice: Invoice, by: User) -> Invoice:
    """After the fix (NIR entered, caisse set), re-read the coverage: claims become ready."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.superseded_at is not None:
            raise BillingError("Cette facture a été remplacée : vérifiez la nouvelle version.")
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
    imported."""
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
                old_code varchar(8)
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
        # The first line that does not match, if any: a claim named twice in the file, then
        # what _mismatch explains.
        open_states = [str(s) for s in OPEN_AFTER_SENDING]
        cursor.execute(
            f"""SELECT r.line, r.kind, r.claim_ref, r.claim_id, r.payer_type, r.payer_code,
                r.old_status, r.claim_amount, r.amount, r.paid_on, d.first_line
                FROM {_ROWS} r JOIN (SELECT line,
                    min(line) OVER (PARTITION BY claim_ref) AS first_line FROM {_ROWS}) d
                  ON d.line = r.line
                WHERE d.first_line < r.line
                   OR r.claim_id IS NULL OR r.payer_type <> %s OR r.payer_code <> %s
                   OR r.old_status <> ALL(%s)
                   OR (r.kind = 'P' AND (r.amount > r.claim_amount OR r.paid_on > %s))
                ORDER BY r.line LIMIT 1""",  # noqa: S608 (constants only)
            [rf.payer_type, rf.payer_code, open_states, today],
        )
        first_bad = cursor.fetchone()
        if first_bad is not None:
            raise _mismatch(rf, first_bad, today)
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
    rf.acks_count = stats["acks"]
    rf.paid_count = stats["paid"]
    rf.partial_count = stats["partial"]
    rf.rejected_count = stats["rejected"]
    rf.paid_total = to_cents(stats["total"])
    rf.status = ReturnStatus.IMPORTED
    rf.reconciled_at = timezone.now()
    rf.save()
    audit.record(
        actor=by,
        action="billing.return.import",
        obj=rf,
        changes={k: str(v) for k, v in stats.items()},
    )


def _mismatch(rf: ReturnFile, row: tuple[Any, ...], today: datetime.date) -> ReturnFileError:
    """The message for the first line that does not match, checks in the order a clerk would
    make them; transitions are checked by the Claim methods themselves."""
    line, kind, ref, claim_id, payer_type, payer_code, status, claim_amount, amount, on, first = row
    if first < line:
        return ReturnFileError(line, f"la demande {ref} figure deux fois (déjà ligne {first}).")
    if claim_id is None:
        return ReturnFileError(line, f"demande {ref} inconnue.")
    if (payer_type, payer_code) != (rf.payer_type, rf.payer_code):
        return ReturnFileError(line, f"la demande {ref} n'a pas été envoyée à cet organisme.")
    if kind == "P" and amount > claim_amount:
        return ReturnFileError(
            line, f"montant payé {amount} € supérieur au montant demandé {claim_amount} €."
        )
    if kind == "P" and on > today:
        return ReturnFileError(line, "date de paiement dans le futur.")
    claim = Claim(reference=ref, status=status, amount=claim_amount)
    try:
        if kind == "P":
            claim.record_payment(amount=amount, on=on, ref="")
        else:
            claim.reject(code="", label="")
    except TransitionError as error:
        return ReturnFileError(line, str(error))
    return ReturnFileError(line, "ligne incohérente.")  # pragma: no cover - the query's filter


def _apply_acks(rf: ReturnFile, acks: list[AckRecord], stats: dict[str, Any]) -> None:
    for ack in acks:
        batch = (
            Batch.objects.select_for_update()
            .filter(payer_type=rf.payer_type, payer_code=rf.payer_code, number=ack.batch_number)
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
