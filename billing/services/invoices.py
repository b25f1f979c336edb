"""Invoices: closing a consultation (pricing, frozen tariffs and coverage, one claim per
payer), new versions (correcting acts, PASS de ville conversion) and the re-check after a fix."""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from billing import perms, selectors
from billing.errors import BillingError, BillingForbidden
from billing.models import (
    SETTLED_WITHOUT_MONEY,
    Act,
    Claim,
    ClaimStatus,
    Invoice,
    InvoiceLine,
    Tariff,
    TransitionError,
)
from billing.money import ZERO
from billing.pricing import (
    Exemption,
    Pathway,
    PathwayError,
    PayerType,
    PricedAct,
    Split,
    compute_split,
)
from centre import audit
from centre.models import Profession, Site, StaffProfile, User
from centre.refusals import Kind
from patients.coverage import CoverageSummary
from patients.models import Patient


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
                    exemption=act.exemption,
                ),
            )
        )
    return priced


# Direct-access specialties: seen without referral, still in the pathway (CSS, art.
# L162-5-3: gynaecology among them; ameli, « Le parcours de soins coordonnés »).
DIRECT_ACCESS_PROFESSIONS = frozenset({Profession.GYNECOLOGUE})


@dataclass(frozen=True)
class CareContext:
    """What the practitioner says of the care at the close: related to the ALD, to a work
    accident (which one), and the pathway indicator (None: read from the coverage)."""

    related_to_ald: bool = False
    pathway_exempt: bool = False
    pathway: str | None = None
    related_to_work_accident: bool = False
    work_accident_number: str = ""
    prenatal_exam: bool = False


def _split(
    *,
    priced: list[tuple[Act, Tariff, PricedAct]],
    coverage: CoverageSummary,
    care: CareContext,
    profession: str | None,
    patient_id: int,
    on: datetime.date,
) -> Split:
    """compute_split with the dated parameters and what was already charged; a pathway
    indicator that contradicts the coverage is refused on the field `pathway`."""
    try:
        split = compute_split(
            acts=[p for _, _, p in priced],
            coverage=coverage,
            related_to_ald=care.related_to_ald,
            pathway_exempt=care.pathway_exempt,
            pathway=care.pathway or None,
            direct_access=profession in DIRECT_ACCESS_PROFESSIONS,
            related_to_work_accident=care.related_to_work_accident,
            work_accident_number=care.work_accident_number,
            prenatal_exam=care.prenatal_exam,
            deductibles=selectors.deductibles_on(on),
            already=selectors.already_charged(patient_id, on),
        )
    except PathwayError as error:
        raise BillingError(str(error), field="pathway") from None
    # MCS: the specialist's coordination majoration is billed only for a patient referred by
    # their médecin traitant (convention médicale 2016, kept by the 2024 convention).
    if any(code == "MCS" for code in (p.code for _, _, p in priced)) and (
        split.pathway != Pathway.REFERRED
    ):
        raise BillingError(
            "La MCS se facture pour une personne orientée par son médecin traitant : "
            "choisissez l'indicateur « orienté·e par le médecin traitant », ou retirez la MCS.",
            field="pathway",
        )
    return split


def _coverage_for(patient: Patient, on: datetime.date) -> CoverageSummary:
    from patients.coverage import coverage_summary

    return coverage_summary(patient, on)


def invoice_preview(
    *,
    by: User,
    patient: Patient,
    on: datetime.date,
    acts: list[ActChoice],
    related_to_ald: bool = False,
    pathway_exempt: bool = False,
    profession: str | None = None,
    coverage: CoverageSummary | None = None,
    pathway: str | None = None,
    related_to_work_accident: bool = False,
    work_accident_number: str = "",
    prenatal_exam: bool = False,
) -> Split:
    """The split an invoice would get, without saving anything. It reads the patient's
    coverage (ALD, C2S, AME, complementary): journaled as a read of the patient."""
    perms.require(by, perms.FEE_SCHEDULE_READ)
    priced = price_acts(acts=acts, on=on, profession=profession)
    audit.record_read(actor=by, action="billing.invoice.preview", obj=patient, on=on)
    care = CareContext(
        related_to_ald=related_to_ald,
        pathway_exempt=pathway_exempt,
        pathway=pathway,
        related_to_work_accident=related_to_work_accident,
        work_accident_number=work_accident_number,
        prenatal_exam=prenatal_exam,
    )
    return _split(
        priced=priced,
        coverage=coverage or _coverage_for(patient, on),
        care=care,
        profession=profession,
        patient_id=patient.pk,
        on=on,
    )


# A majoration is billed with the act it raises (NGAP, Dispositions générales): MD, the home
# visit majoration, only with a home visit VG, and only when the visit is justified (the
# practitioner adds it: convention médicale 2024–2029; ameli, « Visites à domicile »); MEG
# with a consultation or visit of a child under 6; MCS with a specialist's consultation.
MODIFIER_BASES = {
    "MD": frozenset({"VG"}),
    "MEG": frozenset({"G", "GS", "VG"}),
    "MCS": frozenset({"CS"}),
}


def _check_modifiers(priced: list[tuple[Act, Tariff, PricedAct]]) -> None:
    codes = {act.code for act, _, _ in priced}
    for code, bases in MODIFIER_BASES.items():
        if code in codes and not codes & bases:
            raise BillingError(
                f"La majoration {code} se facture avec l'acte {' ou '.join(sorted(bases))}.",
                field="acts",
            )


def _issues(coverage: CoverageSummary) -> list[str]:
    """What must be fixed before the claims can be sent, each with the fix to make."""
    issues: list[str] = []
    if coverage.no_rights:
        return issues  # billed to the "rights pending" payer, nothing to fix now
    if coverage.has_amo and not coverage.insured_nir:
        issues.append("NIR de l'assuré·e manquant : le saisir dans le dossier patient.")
    if coverage.ame and not (coverage.beneficiary_nir or coverage.insured_nir):
        # An AME claim names the beneficiary by the immatriculation number the caisse gave
        # them (NIR or NIA, on the AME card): without it the caisse cannot pay (« bénéficiaire
        # inconnu »), so the claim stays « à vérifier » instead of being sent.
        issues.append(
            "AME sans identifiant : saisir dans le dossier patient le n° d'immatriculation "
            "(NIR ou NIA) inscrit sur l'attestation AME."
        )
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
    care: CareContext,
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
        related_to_ald=care.related_to_ald,
        pathway_exempt=care.pathway_exempt,
        pathway=split.pathway,
        pathway_chosen=bool(care.pathway),
        pathway_reason=split.pathway_reason[:300],
        insurance_nature=split.insurance_nature,
        exemption=split.exemption,
        related_to_work_accident=care.related_to_work_accident,
        work_accident_number=split.work_accident_number,
        work_accident_date=split.work_accident_date,
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
        coverage=json.loads(json.dumps(asdict(coverage), cls=DjangoJSONEncoder)),
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
    pathway: str | None = None,
    related_to_work_accident: bool = False,
    work_accident_number: str = "",
    prenatal_exam: bool = False,
) -> Invoice:
    """Close a consultation: price its acts, freeze tariff and coverage, create one claim per
    payer (tiers payant). An appointment not yet marked seen is marked seen.

    Only the practitioner who gave the care bills it (BillingForbidden otherwise)."""
    perms.require(by, perms.CLOSE_CONSULTATION)
    if practitioner.user_id != by.pk:
        raise BillingForbidden("Un·e soignant·e ne facture que ses propres consultations.")
    if appointment is not None and appointment.practitioner_id != practitioner.pk:
        raise BillingForbidden("Un·e soignant·e ne facture que ses propres consultations.")
    with transaction.atomic():
        # Locking the patient serialises invoices of one person, so the daily and yearly
        # caps of PF and franchise are computed on committed totals.
        patient = Patient.objects.select_for_update().get(pk=patient.pk)
        if appointment is not None:
            from appointments.models import Status
            from appointments.services import statuses

            if Invoice.objects.filter(appointment=appointment).exists():
                raise BillingError("Cette consultation a déjà une facture.", kind=Kind.CONFLICT)
            if appointment.status in (Status.BOOKED, Status.ARRIVED):
                statuses.appointment_mark_seen(appointment=appointment, by=by)
            elif appointment.status != Status.SEEN:
                raise BillingError(
                    "Seule une consultation qui a eu lieu peut être facturée.", kind=Kind.CONFLICT
                )
        profession = practitioner.profession or None
        priced = price_acts(acts=acts, on=on, profession=profession)
        _check_modifiers(priced)
        coverage = coverage or _coverage_for(patient, on)
        care = CareContext(
            related_to_ald=related_to_ald,
            pathway_exempt=pathway_exempt,
            pathway=pathway,
            related_to_work_accident=related_to_work_accident,
            work_accident_number=work_accident_number,
            prenatal_exam=prenatal_exam,
        )
        split = _split(
            priced=priced,
            coverage=coverage,
            care=care,
            profession=profession,
            patient_id=patient.pk,
            on=on,
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
            care=care,
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
                "pathway": split.pathway,
                "insurance_nature": split.insurance_nature,
                "exemption": split.exemption,
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
        raise BillingError(
            "Cette facture a déjà été remplacée par une nouvelle version.", kind=Kind.CONFLICT
        )
    if not reason.strip():
        raise BillingError("Indiquez le motif de la nouvelle version.", field="reason")
    cancelled: list[str] = []
    for claim in old.claims.select_for_update().order_by("id"):
        if claim.status in SETTLED_WITHOUT_MONEY:
            continue
        if claim.status == ClaimStatus.BILLED_TO_PATIENT:
            raise BillingError(
                f"La demande {claim.reference} a été facturée au·à la patient·e : "
                "la facture ne peut plus être remplacée.",
                kind=Kind.CONFLICT,
            )
        try:
            claim.cancel()
        except TransitionError as error:
            raise BillingError(
                f"{error} La facture ne peut pas être remplacée.", kind=Kind.CONFLICT
            ) from None
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
    profession = old.practitioner.profession or None
    priced = price_acts(acts=acts, on=on, profession=profession)
    _check_modifiers(priced)
    coverage = _coverage_for(patient, on)
    if require_rights and coverage.no_rights:
        raise BillingError(
            f"Toujours aucun droit ouvert au {on:%d/%m/%Y} : la consultation reste au payeur "
            "« droits en attente ».",
            kind=Kind.CONFLICT,
        )
    # What the practitioner said at the close is kept; a pathway indicator read from the
    # coverage is read again (the coverage known today for that date may have changed).
    care = CareContext(
        related_to_ald=old.related_to_ald,
        pathway_exempt=old.pathway_exempt,
        pathway=old.pathway if old.pathway_chosen else None,
        related_to_work_accident=old.related_to_work_accident,
        work_accident_number=old.work_accident_number,
        prenatal_exam=old.exemption == Exemption.PRENATAL_EXAM,
    )
    split = _split(
        priced=priced,
        coverage=coverage,
        care=care,
        profession=profession,
        patient_id=patient.pk,
        on=on,
    )
    if old.pending > 0 and split.patient_due > 0:
        # PASS de ville: care given while rights were pending was given without asking the
        # patient anything (docs/billing.md « PASS de ville »: the invoice waits for the
        # rights, the local agreement pays what is not covered); what would fall on the
        # patient stays with the "rights pending" payer.
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
        care=care,
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
    perms.require(by, perms.BILLING_WRITE)
    with transaction.atomic():
        return _new_version(
            invoice=invoice,
            acts=acts,
            by=by,
            reason=reason,
            action="billing.invoice.correct",
            require_rights=False,
        )


def invoice_convert_pending(*, invoice: Invoice, by: User, reason: str = "") -> Invoice:
    """PASS de ville: rights have opened (often retroactively, from a date before the care):
    the consultation billed to the "rights pending" payer becomes a normal invoice with claims
    to the caisse (and the complementary), computed with the coverage valid on the date of
    care. Refused while there are still no rights on that date: it stays with the pending
    payer (the PASS agreement / the city)."""
    perms.require(by, perms.BILLING_WRITE)
    with transaction.atomic():
        if not invoice.claims.filter(payer_type=PayerType.PENDING).exists():
            raise BillingError(
                "Cette facture n'est pas au payeur « droits en attente ».", kind=Kind.CONFLICT
            )
        return _new_version(
            invoice=invoice,
            acts=None,
            by=by,
            reason=reason or "Droits ouverts : facturation à la caisse",
            action="billing.invoice.convert_pending",
            require_rights=True,
        )


def invoices_convert_pending(*, invoices: Iterable[Invoice], by: User) -> list[Invoice]:
    """The clerk converts the listed consultations in one action, all or nothing."""
    perms.require(by, perms.BILLING_WRITE)
    with transaction.atomic():
        return [invoice_convert_pending(invoice=invoice, by=by) for invoice in invoices]


def invoice_recheck(*, invoice: Invoice, by: User) -> Invoice:
    """After the fix (NIR entered, caisse set), re-read the coverage: claims become ready."""
    perms.require(by, perms.BILLING_WRITE)
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.superseded_at is not None:
            raise BillingError(
                "Cette facture a été remplacée : vérifiez la nouvelle version.",
                kind=Kind.CONFLICT,
            )
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


def invoice_close_consultation(
    *,
    by: User,
    appointment_id: int,
    acts: list[ActChoice],
    related_to_ald: bool = False,
    pathway_exempt: bool = False,
    pathway: str | None = None,
    related_to_work_accident: bool = False,
    work_accident_number: str = "",
    prenatal_exam: bool = False,
) -> Invoice:
    """The practitioner closes one of their consultations (page and API): BillingNotFound for
    a consultation that is not theirs, then `invoice_create` on the day of the care."""
    appointment = selectors.consultation_to_close(by=by, appointment_id=appointment_id)
    return invoice_create(
        patient=appointment.patient,
        practitioner=appointment.practitioner,
        site=appointment.site,
        on=timezone.localtime(appointment.start).date(),
        acts=acts,
        appointment=appointment,
        related_to_ald=related_to_ald,
        pathway_exempt=pathway_exempt,
        pathway=pathway,
        related_to_work_accident=related_to_work_accident,
        work_accident_number=work_accident_number,
        prenatal_exam=prenatal_exam,
        by=by,
    )
