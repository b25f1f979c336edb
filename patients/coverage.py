"""The coverage of a patient on a given date, as billing needs it.

This is the contract between `patients` (which stores coverage records with validity dates)
and `billing` (which computes who pays what). `coverage_summary` is implemented in this module
by the patients app; billing only reads `CoverageSummary`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from patients.models import Patient


@dataclass(frozen=True)
class ComplementaryCover:
    organism_name: str
    organism_number: str  # AMC organism number (n° d'organisme complémentaire)
    contract: str
    tiers_payant: bool  # the centre has a tiers-payant agreement with this insurer


@dataclass(frozen=True)
class WorkAccident:
    """An open work accident / occupational disease record: its number (the caisse's file
    number, kept in the record's `contract` field) and the date of the accident (`start`)."""

    number: str
    date: datetime.date
    label: str = ""


@dataclass(frozen=True)
class CoverageSummary:
    """Facts valid on `on` (the date of care). Every flag is False when unknown."""

    on: datetime.date
    age: int  # full years on `on`
    has_amo: bool  # compulsory scheme (AMO/PUMa) open on that date
    # Full years on 1 January of the year of `on`: the participation forfaitaire is not asked
    # of those under 18 on that day (CSS, art. R160-20). None: take `age`.
    age_on_january_1: int | None = None
    amo_scheme: str = ""  # régime code, e.g. "01" (régime général)
    amo_caisse: str = ""  # caisse / organism code, e.g. "861" (CPAM de la Vienne)
    insured_nir: str = ""  # NIR of the insured person (the patient's own, or a parent's)
    beneficiary_nir: str = ""  # the patient's own NIR / NIA, if known
    c2s: bool = False
    c2s_with_contribution: bool = False
    ame: bool = False
    ald: bool = False  # an ALD exemption is open (care must still be related to it)
    ald_labels: tuple[str, ...] = ()
    maternity: bool = False  # from the 1st day of the 6th month to 12 days after birth
    work_accident: bool = False  # a work-accident record is open (care must be related)
    work_accidents: tuple[WorkAccident, ...] = ()  # newest first
    invalidity: bool = False  # invalidity pensioner: exempt from the ticket modérateur
    has_medecin_traitant: bool = False
    medecin_traitant_in_centre: bool = False
    medecin_traitant_name: str = ""
    medecin_traitant_since: datetime.date | None = None
    amc: ComplementaryCover | None = None
    rights_ending_on: datetime.date | None = None  # earliest end among open rights
    warnings: tuple[str, ...] = field(default=())  # French messages, e.g. "AMO expirée le …"

    @property
    def no_rights(self) -> bool:
        return not (self.has_amo or self.ame)


# Rights ending within this many days are shown to reception and mediators (issue #3), which
# leaves time for a C2S renewal, to be asked 2 to 4 months before the end of the rights
# (ameli.fr, « Complémentaire santé solidaire » ; docs/patients.md, « Droits finissant bientôt »).
ENDING_SOON_DAYS = 60


def coverage_summary(patient: Patient, on: datetime.date) -> CoverageSummary:
    """The patient's coverage valid on `on`, for billing. One query (the coverage rows valid
    that day), none if `patient.valid_coverages` was prefetched for that date."""
    from patients.models import Coverage, CoverageKind

    rows: list[Coverage] = list(
        Coverage.objects.filter(patient_id=patient.pk).valid_on(on).order_by("-start", "-id")
    )
    current: dict[str, Coverage] = {}
    alds: list[Coverage] = []
    work_accidents: list[Coverage] = []
    for row in rows:  # newest first: the first row of a kind is the current one
        if row.kind == CoverageKind.ALD:
            alds.append(row)
        elif row.kind == CoverageKind.WORK_ACCIDENT:
            work_accidents.append(row)
        else:
            current.setdefault(row.kind, row)

    amo = current.get(CoverageKind.AMO)
    amc = current.get(CoverageKind.AMC)
    c2s = current.get(CoverageKind.C2S)
    ame = current.get(CoverageKind.AME)
    doctor = current.get(CoverageKind.MEDECIN_TRAITANT)
    maternity = current.get(CoverageKind.MATERNITY)

    open_rights = [r for r in (amo, amc, c2s, ame) if r is not None]
    ends = [r.end for r in open_rights if r.end is not None]
    warnings: list[str] = []
    if amo is None and ame is None:
        warnings.append("Aucun droit à l'assurance maladie ni à l'AME à cette date.")
    if c2s is not None and amc is not None:
        # C2S replaces a mutuelle: both at once is a data error the mediator should clear up.
        warnings.append("C2S et complémentaire en même temps : vérifier la complémentaire.")
    return CoverageSummary(
        on=on,
        age=patient.age_on(on),
        age_on_january_1=patient.age_on(datetime.date(on.year, 1, 1)),
        has_amo=amo is not None,
        amo_scheme=amo.scheme_code if amo else "",
        amo_caisse=amo.caisse_code if amo else "",
        insured_nir=(amo.insured_nir or patient.nir) if amo else "",
        beneficiary_nir=patient.nir,
        c2s=c2s is not None,
        c2s_with_contribution=bool(c2s and c2s.with_contribution),
        ame=ame is not None,
        ald=bool(alds),
        ald_labels=tuple(r.label or r.get_ald_code_display() for r in alds),
        maternity=maternity is not None,
        work_accident=bool(work_accidents),
        work_accidents=tuple(
            WorkAccident(number=r.contract, date=r.start, label=r.label) for r in work_accidents
        ),
        invalidity=CoverageKind.INVALIDITY in current,
        has_medecin_traitant=doctor is not None,
        medecin_traitant_in_centre=bool(doctor and doctor.doctor_in_centre),
        medecin_traitant_name=doctor.doctor_name if doctor else "",
        medecin_traitant_since=doctor.start if doctor else None,
        amc=(
            ComplementaryCover(
                organism_name=amc.organism_name,
                organism_number=amc.organism_number,
                contract=amc.contract,
                tiers_payant=amc.tiers_payant,
            )
            if amc
            else None
        ),
        rights_ending_on=min(ends) if ends else None,
        warnings=tuple(warnings),
    )
