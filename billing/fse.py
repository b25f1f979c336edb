"""The care-sheet (FSE) boundary: what a certified SESAM-Vitale component needs and returns.

A care sheet is secured at the time of care, signed with the patient's Vitale card and the
professional's card (art. R161-43 CSS) by a component homologated by the GIE SESAM-Vitale;
the lot is only its sending. Passerelle cannot ship such a component: it defines the contract
(`FseRequest` → `FseResult`), calls the backend named by the setting `BILLING_FSE_BACKEND`
when a consultation is closed (`billing.services.fse.fse_secure`), and ships a backend
**named as a simulator** for development and tests. A centre that transmits for real plugs in
a backend wrapping its certified component (docs/billing-formats.md « Feuille de soins »).

When the card cannot be read (absent, reader down) or the component does not answer, the sheet
is made in degraded mode: a paper sheet signed by the patient (art. R161-47 I 1°, duplicata
when the electronic sheet cannot be transmitted), tracked on the invoice (`fse_mode`).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

# Sex, year, month, département (2A/2B for Corsica), commune, order (13) + 2-digit key.
_NIR = re.compile(r"^[1-478]\d{4}(?:\d{2}|2[AB])\d{8}$")
_RPPS = re.compile(r"^\d{11}$")


@dataclass(frozen=True)
class FseAct:
    code: str
    coefficient: Decimal
    amount: Decimal
    performed_on: datetime.date


@dataclass(frozen=True)
class FseRequest:
    """What the component needs to secure one sheet."""

    invoice_number: str
    date_of_care: datetime.date
    practitioner_rpps: str
    insured_nir: str
    beneficiary_nir: str
    birth_date: datetime.date | None
    birth_rank: int
    caisse_code: str
    acts: tuple[FseAct, ...]
    total: Decimal
    amo: Decimal
    tiers_payant: bool = True
    card_present: bool = True  # the patient's Vitale card is in the reader


@dataclass(frozen=True)
class FseRefusal:
    code: str
    reason: str  # French, for the practitioner


class FseMode:
    CARD = "card"  # secured with the Vitale card
    DEGRADED = "degraded"  # no card (or no answer): paper sheet to sign


@dataclass(frozen=True)
class FseResult:
    """What the component returns: a sheet number, how it was secured and when it was signed,
    or the refusals (then nothing is secured)."""

    sheet_number: str = ""
    mode: str = ""
    signed_at: datetime.datetime | None = None
    refusals: tuple[FseRefusal, ...] = field(default_factory=tuple)

    @property
    def secured(self) -> bool:
        return bool(self.sheet_number) and not self.refusals


class FseTimeout(Exception):
    """The component did not answer in time."""


class FseBackend(Protocol):
    def secure(self, request: FseRequest) -> FseResult:
        """Secure the sheet; raise FseTimeout if the component does not answer."""


def required_field_refusals(request: FseRequest) -> list[FseRefusal]:
    """The contract's required fields, as a certified component checks them."""
    refusals: list[FseRefusal] = []
    if not _RPPS.match(request.practitioner_rpps):
        refusals.append(FseRefusal("PS", "N° RPPS du·de la soignant·e absent ou invalide."))
    if not _NIR.match(request.insured_nir.replace(" ", "")):
        refusals.append(FseRefusal("NIR", "NIR de l'assuré·e absent ou invalide."))
    if request.birth_date is None:
        refusals.append(FseRefusal("NAI", "Date de naissance du bénéficiaire absente."))
    if not request.caisse_code:
        refusals.append(FseRefusal("CAI", "Caisse d'affiliation absente."))
    if not request.acts:
        refusals.append(FseRefusal("ACT", "Aucun acte sur la feuille de soins."))
    if request.date_of_care > timezone.localdate():
        refusals.append(FseRefusal("DAT", "Date des soins dans le futur."))
    if any(a.performed_on != request.date_of_care for a in request.acts):
        refusals.append(FseRefusal("DAT", "Un acte est daté d'un autre jour que les soins."))
    return refusals


class SimulatorFseBackend:
    """A SIMULATOR of a certified component, for development and tests — it secures nothing
    for real. It enforces the contract's required fields and can simulate, through the
    setting `BILLING_FSE_SIMULATE`: "card_absent" (degraded mode), "refusal" (the component
    refuses the sheet) and "timeout" (no answer)."""

    def secure(self, request: FseRequest) -> FseResult:
        simulate = getattr(settings, "BILLING_FSE_SIMULATE", "")
        if simulate == "timeout":
            raise FseTimeout("Simulateur : le composant SESAM-Vitale ne répond pas.")
        refusals = required_field_refusals(request)
        if simulate == "refusal":
            refusals.append(FseRefusal("SIM", "Simulateur : feuille refusée par le composant."))
        if refusals:
            return FseResult(refusals=tuple(refusals))
        card = request.card_present and simulate != "card_absent"
        return FseResult(
            sheet_number=f"SIM-{request.invoice_number}",
            mode=FseMode.CARD if card else FseMode.DEGRADED,
            signed_at=timezone.now(),
        )


def get_fse_backend() -> FseBackend:
    path = getattr(settings, "BILLING_FSE_BACKEND", "billing.fse.SimulatorFseBackend")
    backend: FseBackend = import_string(path)()
    return backend
