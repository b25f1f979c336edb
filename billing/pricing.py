"""Who pays what for one consultation: a pure function of the priced acts, the patient's
coverage on the date of care and the deductibles already charged.

Nothing here touches the database: tariffs and parameters are looked up by the caller
(`billing.selectors`) and passed in, so the worked examples of docs/billing.md (« Exemples
chiffrés ») are tested directly. Every rule names its source: the article of the Code de la
sécurité sociale (CSS) or the section of docs/billing.md (« Qui paie quoi ») that states it.
"""

from __future__ import annotations

import datetime
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


class Pathway:
    """The pathway indicator of an invoice (parcours de soins coordonnés, CSS art. L162-5-3
    and R322-1-1; ameli, « Le parcours de soins coordonnés »)."""

    MEDECIN_TRAITANT = "mt"  # seen by the declared médecin traitant (or a colleague there)
    REFERRED = "oriente"  # referred by the médecin traitant
    EMERGENCY = "urgence"
    AWAY_FROM_HOME = "hors_residence"  # away from the place of usual residence
    DIRECT_ACCESS = "acces_direct"  # direct-access specialty (gynaecology…)
    UNDER_16 = "moins_16"  # the pathway rule applies from 16 years of age
    NOT_APPLICABLE = "na"  # AME, or no act subject to the pathway
    OUT = "hors_parcours"

    CHOICES = (
        (MEDECIN_TRAITANT, "Médecin traitant (ou médecin du centre où il exerce)"),
        (REFERRED, "Orienté·e par le médecin traitant"),
        (EMERGENCY, "Urgence"),
        (AWAY_FROM_HOME, "Hors résidence habituelle"),
        (DIRECT_ACCESS, "Accès direct spécifique (gynécologie…)"),
        (UNDER_16, "Moins de 16 ans"),
        (NOT_APPLICABLE, "Non applicable"),
        (OUT, "Hors parcours de soins"),
    )
    LABELS = dict(CHOICES)


class InsuranceNature:
    """Nature of insurance of the care sheet."""

    SICKNESS = "maladie"
    MATERNITY = "maternite"
    WORK_ACCIDENT = "at"

    CHOICES = (
        (SICKNESS, "Maladie"),
        (MATERNITY, "Maternité"),
        (WORK_ACCIDENT, "Accident du travail / maladie professionnelle"),
    )


class Exemption:
    """Why the ticket modérateur is not charged (empty: it is)."""

    NONE = ""
    ALD = "ald"
    MATERNITY = "maternite"
    WORK_ACCIDENT = "at"
    INVALIDITY = "invalidite"
    AME = "ame"
    CHILD_EXAM = "examen_enfant"
    PRENATAL_EXAM = "examen_prenatal"

    CHOICES = (
        (NONE, "Aucune"),
        (ALD, "Soins en rapport avec une ALD"),
        (MATERNITY, "Assurance maternité"),
        (WORK_ACCIDENT, "Accident du travail (soins en rapport)"),
        (INVALIDITY, "Pension d'invalidité"),
        (AME, "Aide médicale de l'État"),
        (CHILD_EXAM, "Examen obligatoire de l'enfant"),
        (PRENATAL_EXAM, "Examen prénatal obligatoire"),
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
    # An act that carries its own exemption (ActExemption): a compulsory examination of the
    # child or of pregnancy, paid 100 % whatever the coverage.
    exemption: str = ""

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
    pathway: str = Pathway.NOT_APPLICABLE
    pathway_reason: str = ""  # in French, for the practitioner
    insurance_nature: str = InsuranceNature.SICKNESS
    exemption: str = Exemption.NONE
    work_accident_number: str = ""
    work_accident_date: datetime.date | None = None

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


class PathwayError(ValueError):
    """A pathway indicator that contradicts the coverage (French message)."""


def _mt_words(coverage: CoverageSummary) -> str:
    name = coverage.medecin_traitant_name.strip()
    return f" ({name})" if name else ""


def default_pathway(
    coverage: CoverageSummary, acts: list[PricedAct], *, direct_access: bool = False
) -> tuple[str, str]:
    """The pathway indicator read from the coverage on the date of care, and why, in words.

    Art. L162-5-3 CSS: outside the pathway (seen without referral by a doctor other than
    one's médecin traitant) the AMO rate falls (30 %, art. R322-1-1 CSS); the rule applies
    from 16 years of age; a doctor of the centre where the médecin traitant practises stands
    in for them; gynaecology and the other direct-access specialties are exempt; there is no
    pathway rule under AME (ameli, « Le parcours de soins coordonnés »)."""
    if coverage.ame:
        return Pathway.NOT_APPLICABLE, "AME : pas de règle de parcours de soins."
    if not any(a.care_pathway for a in acts):
        if direct_access:
            return Pathway.DIRECT_ACCESS, "Accès direct spécifique (gynécologie)."
        return Pathway.NOT_APPLICABLE, "Actes non soumis au parcours de soins."
    if coverage.age < 16:
        return Pathway.UNDER_16, "Moins de 16 ans : pas de règle de parcours de soins."
    if coverage.has_medecin_traitant and coverage.medecin_traitant_in_centre:
        return (
            Pathway.MEDECIN_TRAITANT,
            f"Dans le parcours : médecin traitant déclaré au centre{_mt_words(coverage)}.",
        )
    if coverage.has_medecin_traitant:
        return (
            Pathway.OUT,
            f"Hors parcours : médecin traitant déclaré ailleurs{_mt_words(coverage)}, sans "
            "orientation. Si la personne a été orientée par lui, en urgence ou loin de chez "
            "elle, choisissez-le avant de clôturer.",
        )
    return (
        Pathway.OUT,
        "Hors parcours : aucun médecin traitant déclaré. Si c'est une urgence ou si la "
        "personne est loin de chez elle, choisissez-le avant de clôturer ; sinon, proposez-lui "
        "de déclarer un médecin traitant.",
    )


CHOSEN_REASONS = {
    Pathway.REFERRED: "Dans le parcours : orienté·e par son médecin traitant.",
    Pathway.EMERGENCY: "Dans le parcours : urgence.",
    Pathway.AWAY_FROM_HOME: "Dans le parcours : hors de sa résidence habituelle.",
    Pathway.DIRECT_ACCESS: "Accès direct spécifique.",
    Pathway.NOT_APPLICABLE: "Parcours de soins non applicable.",
}


def chosen_pathway(
    code: str, coverage: CoverageSummary, acts: list[PricedAct], *, direct_access: bool = False
) -> tuple[str, str]:
    """A pathway indicator chosen at the close, checked against the coverage on that date
    (PathwayError with the way to fix it otherwise)."""
    if code not in Pathway.LABELS:
        raise PathwayError(f"Indicateur de parcours « {code} » inconnu.")
    default, reason = default_pathway(coverage, acts, direct_access=direct_access)
    if code == default:
        return default, reason
    if code == Pathway.MEDECIN_TRAITANT:
        if coverage.has_medecin_traitant:
            raise PathwayError(
                "Le médecin traitant déclaré exerce hors du centre : choisissez « orienté·e "
                "par le médecin traitant », « urgence » ou « hors résidence », ou corrigez la "
                "déclaration dans le dossier patient."
            )
        raise PathwayError(
            "Aucun médecin traitant déclaré à cette date : enregistrez la déclaration dans le "
            "dossier patient, ou choisissez un autre indicateur."
        )
    if code == Pathway.UNDER_16:
        raise PathwayError("La personne a 16 ans ou plus à la date des soins.")
    if code == Pathway.OUT:
        return Pathway.OUT, "Hors parcours (choisi à la clôture)."
    return code, CHOSEN_REASONS[code]


def compute_split(
    *,
    acts: list[PricedAct],
    coverage: CoverageSummary,
    related_to_ald: bool = False,
    pathway_exempt: bool = False,
    pathway: str | None = None,
    direct_access: bool = False,
    related_to_work_accident: bool = False,
    work_accident_number: str = "",
    prenatal_exam: bool = False,
    deductibles: Deductibles | None = None,
    already: AlreadyCharged | None = None,
) -> Split:
    """The invoice of one consultation.

    `pathway`: the indicator chosen at the close (Pathway), None for the default read from the
    coverage; `pathway_exempt` (older callers): emergency or away from home.
    `related_to_work_accident`: the care is related to an open work accident (the one
    numbered `work_accident_number`, else the latest). `prenatal_exam`: one of the seven
    compulsory prenatal examinations (maternity insurance, 100 %)."""
    params = deductibles or Deductibles()
    charged = already or AlreadyCharged()
    notes: list[str] = []

    if pathway is not None:
        pathway_code, pathway_reason = chosen_pathway(
            pathway, coverage, acts, direct_access=direct_access
        )
    elif pathway_exempt:
        pathway_code, pathway_reason = default_pathway(coverage, acts, direct_access=direct_access)
        if pathway_code == Pathway.OUT:
            pathway_code = Pathway.EMERGENCY
            pathway_reason = "Dans le parcours : urgence ou éloignement déclaré."
    else:
        pathway_code, pathway_reason = default_pathway(coverage, acts, direct_access=direct_access)

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
            pathway=pathway_code,
            pathway_reason=pathway_reason,
        )

    # Nature of insurance and exemption from the ticket modérateur, first match wins.
    # - AME: 100 % of the base paid by the State through the CPAM (Code de l'action sociale
    #   et des familles, art. L251-1 and following).
    # - Maternity insurance from the 1st day of the 6th month of pregnancy to 12 days after
    #   birth, all care (CSS, art. L160-9 ; ameli, « Maternité : prise en charge »), and the
    #   compulsory prenatal examinations at any term (Code de la santé publique,
    #   art. L2122-1 and R2122-1: seven examinations, paid 100 % by the maternity insurance).
    # - Work accident: only the care related to the accident, 100 % under the AT/MP
    #   insurance (CSS, art. L431-1 and L432-1 ; ameli, « Accident du travail : prise en
    #   charge des soins »); other care while the record is open is ordinary sickness care.
    # - ALD: care related to the exempting condition (CSS, art. L160-14 3° and 4°).
    # - Invalidity pensioners: exempt from the ticket modérateur for all care (CSS,
    #   art. L160-14 ; ameli, « La pension d'invalidité »); PF and franchise still apply.
    # - Compulsory examinations of the child, paid 100 % by the AMO (Code de la santé
    #   publique, art. L2132-2 and R2132-1 ; ameli, « Les examens de santé de l'enfant »).
    nature = InsuranceNature.SICKNESS
    exemption = Exemption.NONE
    accident = None
    if related_to_work_accident:
        accidents = coverage.work_accidents
        matching = [w for w in accidents if w.number == work_accident_number.strip()]
        accident = matching[0] if matching else (accidents[0] if accidents else None)
        if accident is None:
            notes.append(
                "Soins déclarés en rapport avec un accident du travail, mais aucun accident "
                "du travail ouvert à cette date : facturés en maladie."
            )
    if related_to_ald and not coverage.ald:
        notes.append("Soins déclarés en rapport avec une ALD, mais aucune ALD ouverte.")
    prenatal = prenatal_exam or any(a.exemption == Exemption.PRENATAL_EXAM for a in acts)
    child_exam = any(a.exemption == Exemption.CHILD_EXAM for a in acts)
    if coverage.ame:
        exemption = Exemption.AME
    elif accident is not None:
        nature, exemption = InsuranceNature.WORK_ACCIDENT, Exemption.WORK_ACCIDENT
    elif coverage.maternity or prenatal:
        nature = InsuranceNature.MATERNITY
        exemption = Exemption.PRENATAL_EXAM if prenatal else Exemption.MATERNITY
    elif related_to_ald and coverage.ald:
        exemption = Exemption.ALD
    elif child_exam:
        exemption = Exemption.CHILD_EXAM
    elif coverage.invalidity:
        exemption = Exemption.INVALIDITY
    full_rate = exemption != Exemption.NONE
    if accident is not None:
        notes.append(
            f"Accident du travail n° {accident.number or '—'} du {accident.date:%d/%m/%Y}."
        )

    # Outside the coordinated care pathway (indicator above): the AMO rate of the acts
    # subject to the pathway falls to 30 % (art. R322-1-1 CSS); the extra share stays with
    # the patient: a « responsible » complementary contract does not cover it.
    out_of_pathway = (
        pathway_code == Pathway.OUT
        and not full_rate
        and coverage.age >= 16
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
    notes.insert(0, f"Parcours de soins — {pathway_reason}")
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
    # Maternity insurance (the window, or a compulsory prenatal examination) is exempt too.
    exempt = (
        coverage.c2s or coverage.ame or coverage.maternity or nature == InsuranceNature.MATERNITY
    )
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
        pathway=pathway_code,
        pathway_reason=pathway_reason,
        insurance_nature=nature,
        exemption=exemption,
        work_accident_number=accident.number if accident else "",
        work_accident_date=accident.date if accident else None,
    )
