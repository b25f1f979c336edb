"""Who pays what for one consultation: a pure function of the priced acts, the patient's
coverage on the date of care and the deductibles already charged.

Nothing here touches the database: tariffs and parameters are looked up by the caller
(`billing.selectors`) and passed in, so the worked examples of docs/billing.md (« Exemples
chiffrés ») are tested directly. Every rule names its source: the article of the Code de la
sécurité sociale (CSS) or the section of docs/billing.md (« Qui paie quoi ») that states it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from billing.money import ZERO, share, to_cents
from patients.coverage import CoverageSummary

ONE = Decimal("1")


class ActKind:
    """Who performs an act decides which deductible applies (PF, franchise, none)."""

    DOCTOR = "medecin"  # participation forfaitaire
    AUXILIARY = "auxiliaire"  # auxiliaires médicaux (nurse, speech therapist…): franchise
    NONE = "aucune"  # midwives, dentists: neither PF nor franchise

    CHOICES = (
        (DOCTOR, "Médecin (participation forfaitaire)"),
        (AUXILIARY, "Auxiliaire médical (franchise)"),
        (NONE, "Sage-femme, dentiste (ni participation ni franchise)"),
    )


class PayerType:
    AMO = "AMO"  # the patient's caisse (for AME: the State through the CPAM)
    C2S = "C2S"  # the C2S part, managed by the caisse
    AMC = "AMC"  # a complementary insurer with a tiers-payant agreement
    PENDING = "ATT"  # rights pending: PASS agreement / solidarity fund

    CHOICES = (
        (AMO, "Assurance maladie obligatoire"),
        (C2S, "Complémentaire santé solidaire"),
        (AMC, "Complémentaire (mutuelle)"),
        (PENDING, "Droits en attente (PASS / fonds de solidarité)"),
    )


@dataclass(frozen=True)
class PricedAct:
    """One act line with the tariff valid on the date of care."""

    code: str
    label: str
    unit_price: Decimal  # tariff, or key-letter value
    coefficient: Decimal
    amo_rate: Decimal  # normal AMO rate of the act (0.70 doctors, 0.60 auxiliaires)
    kind: str = ActKind.DOCTOR
    is_modifier: bool = False  # a majoration (MEG, MD…): no deductible of its own
    care_pathway: bool = False  # subject to the coordinated care pathway rule

    @property
    def amount(self) -> Decimal:
        # NGAP (nomenclature générale des actes professionnels): an act's amount is the value
        # of its key letter or code × its coefficient (AMI 1, AMO 13.5, G 1).
        return to_cents(self.unit_price * self.coefficient)


@dataclass(frozen=True)
class Deductibles:
    """Dated parameters valid on the date of care (art. L160-13 II and III CSS: PF 2 € from
    15 May 2024, franchise 1 € from 31 March 2024 with the décret n° 2024-114 of 16 February
    2024; docs/billing.md « Participation forfaitaire et franchise »)."""

    pf_amount: Decimal = Decimal("2.00")
    pf_day_cap: Decimal = Decimal("8.00")
    pf_year_cap: Decimal = Decimal("50.00")
    franchise_amount: Decimal = Decimal("1.00")
    franchise_day_cap: Decimal = Decimal("4.00")
    franchise_year_cap: Decimal = Decimal("50.00")
    out_of_pathway_rate: Decimal = Decimal("0.30")


@dataclass(frozen=True)
class AlreadyCharged:
    """PF and franchises already recorded for the patient that day and that calendar year."""

    pf_day: Decimal = ZERO
    pf_year: Decimal = ZERO
    franchise_day: Decimal = ZERO
    franchise_year: Decimal = ZERO


@dataclass(frozen=True)
class LineSplit:
    code: str
    label: str
    unit_price: Decimal
    coefficient: Decimal
    amount: Decimal
    amo_rate: Decimal  # the rate actually applied
    amo: Decimal
    ticket_moderateur: Decimal  # normal TM (what a mutuelle may cover)
    out_of_pathway_extra: Decimal  # extra share from the pathway penalty (patient only)


@dataclass(frozen=True)
class Split:
    total: Decimal
    amo: Decimal  # paid to the centre by the caisse (AME: the State via the CPAM)
    amc: Decimal  # covered by C2S or the mutuelle
    patient_share: Decimal  # stays with the patient after every cover
    patient_due: Decimal  # paid at the desk now
    pending: Decimal  # billed to the "rights pending" payer
    pf: Decimal  # participation forfaitaire, recovered by the CPAM later
    franchise: Decimal  # franchise médicale, recovered by the CPAM later
    amc_payer: str  # PayerType.C2S, PayerType.AMC or ""
    amc_tiers_payant: bool  # the AMC share is claimed by the centre (else paid at the desk)
    full_tiers_payant: bool
    out_of_pathway: bool
    lines: tuple[LineSplit, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def recoverable_by_amo(self) -> Decimal:
        return self.pf + self.franchise

    def claims(self) -> dict[str, Decimal]:
        """Amount to claim from each payer (tiers payant), zero amounts left out."""
        amounts = {
            PayerType.AMO: self.amo,
            PayerType.PENDING: self.pending,
            self.amc_payer: self.amc if self.amc_tiers_payant else ZERO,
        }
        return {payer: amount for payer, amount in amounts.items() if payer and amount > 0}


def _capped(wanted: Decimal, *rooms: Decimal) -> Decimal:
    return to_cents(max(ZERO, min(wanted, *rooms)))


def compute_split(
    *,
    acts: list[PricedAct],
    coverage: CoverageSummary,
    related_to_ald: bool = False,
    pathway_exempt: bool = False,
    deductibles: Deductibles | None = None,
    already: AlreadyCharged | None = None,
) -> Split:
    """The invoice of one consultation. `pathway_exempt`: emergency, away from home, or
    another exemption from the coordinated care pathway."""
    params = deductibles or Deductibles()
    charged = already or AlreadyCharged()
    notes: list[str] = []

    if coverage.no_rights:
        # PASS de ville: care before rights are open is billed to the "rights pending" payer
        # and nothing is asked of the patient (issue 5, "care before rights are open").
        lines = tuple(
            LineSplit(
                a.code, a.label, a.unit_price, a.coefficient, a.amount, ZERO, ZERO, ZERO, ZERO
            )
            for a in acts
        )
        total = sum((line.amount for line in lines), ZERO)
        return Split(
            total=total,
            amo=ZERO,
            amc=ZERO,
            patient_share=ZERO,
            patient_due=ZERO,
            pending=total,
            pf=ZERO,
            franchise=ZERO,
            amc_payer="",
            amc_tiers_payant=False,
            full_tiers_payant=True,
            out_of_pathway=False,
            lines=lines,
            notes=("Droits non ouverts : facturé au payeur « droits en attente ».",),
        )

    # 100 % of the base: AME (State via the CPAM, art. L251-1 and following of the Code de
    # l'action sociale et des familles), maternity from the 6th month to 12 days after birth
    # (maternity insurance), work accident (for the care related to it), care related to an
    # ALD exemption (art. L160-14 CSS). docs/billing.md « Qui paie quoi ».
    full_rate = coverage.ame or coverage.maternity or coverage.work_accident
    if related_to_ald and coverage.ald:
        full_rate = True
    elif related_to_ald:
        notes.append("Soins déclarés en rapport avec une ALD, mais aucune ALD ouverte.")

    # Outside the coordinated care pathway: patient ≥ 16, no declared médecin traitant, not
    # exempt (art. L162-5-3 CSS, médecin traitant); no pathway rule for AME. The extra share
    # stays with the patient: a « responsible » complementary contract does not cover it.
    out_of_pathway = (
        not coverage.ame
        and not full_rate
        and coverage.age >= 16
        and not coverage.has_medecin_traitant
        and not pathway_exempt
        and any(a.care_pathway for a in acts)
    )

    lines_out: list[LineSplit] = []
    for act in acts:
        base = act.amount
        normal_amo = base if full_rate else share(base, act.amo_rate)
        amo = normal_amo
        rate = ONE if full_rate else act.amo_rate
        if out_of_pathway and act.care_pathway:
            rate = min(params.out_of_pathway_rate, act.amo_rate)
            amo = share(base, rate)
        lines_out.append(
            LineSplit(
                code=act.code,
                label=act.label,
                unit_price=act.unit_price,
                coefficient=act.coefficient,
                amount=base,
                amo_rate=rate,
                amo=amo,
                ticket_moderateur=base - normal_amo,
                out_of_pathway_extra=normal_amo - amo,
            )
        )
    if out_of_pathway:
        notes.append("Hors parcours de soins coordonnés : remboursement AMO minoré.")

    total = sum((line.amount for line in lines_out), ZERO)
    amo = sum((line.amo for line in lines_out), ZERO)
    tm = sum((line.ticket_moderateur for line in lines_out), ZERO)
    extra = sum((line.out_of_pathway_extra for line in lines_out), ZERO)

    # Ticket modérateur: C2S covers it (full tiers payant, mandatory); otherwise the mutuelle
    # if any (a "responsible" contract never covers the pathway penalty); else the patient.
    amc_payer = ""
    amc_tiers_payant = False
    if coverage.ame:
        amc = ZERO
    elif coverage.c2s:
        amc_payer, amc, amc_tiers_payant = PayerType.C2S, tm, True
    elif coverage.amc is not None:
        amc_payer, amc = PayerType.AMC, tm
        amc_tiers_payant = coverage.amc.tiers_payant
    else:
        amc = ZERO
    patient_share = total - amo - amc
    patient_due = patient_share + (ZERO if amc_tiers_payant else amc)
    assert patient_share >= extra >= ZERO

    # Deductibles: PF per doctor's act, franchise per paramedical act; none for C2S, AME,
    # maternity window (art. L160-13 II and III CSS); capped per day and per year; under
    # tiers payant the CPAM recovers them later from the patient's reimbursements, so they
    # are never collected at the desk (ameli.fr, « La participation forfaitaire »).
    # Minors: the PF is not asked of those who had not reached 18 on 1 January of the year
    # of care (CSS, art. R160-20: « qui n'ont pas atteint l'âge de dix-huit ans au 1er
    # janvier de l'année civile considérée »), so a patient turning 18 in the year stays
    # exempt until 31 December; the franchise spares « ayants droit mineurs » (L160-13 III),
    # read as under 18 on the day of care.
    exempt = coverage.c2s or coverage.ame or coverage.maternity
    age_january = coverage.age if coverage.age_on_january_1 is None else coverage.age_on_january_1
    pf_exempt = exempt or age_january < 18
    franchise_exempt = exempt or coverage.age < 18
    pf = franchise = ZERO
    if not pf_exempt:
        doctor_acts = sum(1 for a in acts if a.kind == ActKind.DOCTOR and not a.is_modifier)
        pf = _capped(
            params.pf_amount * doctor_acts,
            params.pf_day_cap - charged.pf_day,
            params.pf_year_cap - charged.pf_year,
        )
    if not franchise_exempt:
        aux_acts = sum(1 for a in acts if a.kind == ActKind.AUXILIARY and not a.is_modifier)
        franchise = _capped(
            params.franchise_amount * aux_acts,
            params.franchise_day_cap - charged.franchise_day,
            params.franchise_year_cap - charged.franchise_year,
        )

    return Split(
        total=total,
        amo=amo,
        amc=amc,
        patient_share=patient_share,
        patient_due=patient_due,
        pending=ZERO,
        pf=pf,
        franchise=franchise,
        amc_payer=amc_payer,
        amc_tiers_payant=amc_tiers_payant,
        full_tiers_payant=coverage.c2s or coverage.ame,
        out_of_pathway=out_of_pathway,
        lines=tuple(lines_out),
        notes=tuple(notes),
    )
