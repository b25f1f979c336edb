"""The coverage of a patient on a given date, as billing needs it.

This is the contract between `patients` (which stores coverage records with validity dates)
and `billing` (which computes who pays what). `coverage_summary` is implemented in this module
by the patients app; billing only reads `CoverageSummary`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ComplementaryCover:
    organism_name: str
    organism_number: str  # AMC organism number (n° d'organisme complémentaire)
    contract: str
    tiers_payant: bool  # the centre has a tiers-payant agreement with this insurer


@dataclass(frozen=True)
class CoverageSummary:
    """Facts valid on `on` (the date of care). Every flag is False when unknown."""

    on: datetime.date
    age: int  # full years on `on`
    has_amo: bool  # compulsory scheme (AMO/PUMa) open on that date
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
    work_accident: bool = False
    has_medecin_traitant: bool = False
    medecin_traitant_in_centre: bool = False
    amc: ComplementaryCover | None = None
    rights_ending_on: datetime.date | None = None  # earliest end among open rights
    warnings: tuple[str, ...] = field(default=())  # French messages, e.g. "AMO expirée le …"

    @property
    def no_rights(self) -> bool:
        return not (self.has_amo or self.ame)
