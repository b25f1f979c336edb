"""INSi adapter: the Assurance Maladie's teleservice that returns a person's INS (Identité
nationale de santé: matricule, OID and the five strict traits from the RNIPP).

The contract below is the one the teleservice offers (ANS « Référentiel INS » and CNAM
« Guide d'intégration du téléservice INSi »): two operations,
- **search** (« rechercher l'INS »): from the Vitale card (the card's holder NIR and the
  beneficiary chosen on it) or from the traits typed (birth name, first name, sex, birth
  date, optionally the birth place); the answer is one identity, none, or several (the
  teleservice then returns none of them: the traits must be made more precise);
- **verify** (« vérifier l'INS »): an INS received from elsewhere (a letter, a hospital)
  checked against its traits; the answer says whether they match.

Passerelle calls it only through `patients.services.identity_status` (journaled, role
checked). The backend is chosen by the `INSI_BACKEND` setting (dotted path of a class
implementing `InsiBackend`); without it the simulator is used in development and tests only,
and production refuses to call INSi. A real backend needs the centre's authentication
(a CPS card in a reader or an establishment certificate, « certificat serveur » from the
ANS's IGC Santé) and a CNDA-approved client: docs/identitovigilance.md, « Brancher INSi ».
"""

from __future__ import annotations

import datetime
import enum
import hashlib
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from patients.identifiers import nir_key
from patients.models import InsOid
from patients.strict_traits import plain_capitals


@dataclass(frozen=True)
class InsiTraits:
    """Strict traits as INSi returns them: plain capitals (RNIPP form)."""

    birth_name: str
    first_names: tuple[str, ...]
    first_first_name: str
    sex: str  # "F" / "M"
    birth_date: datetime.date
    birth_place_code: str  # INSEE code: commune, or 99xxx country


@dataclass(frozen=True)
class InsIdentifier:
    matricule: str  # 15 characters: NIR or NIA with its key
    oid: str  # InsOid value

    @property
    def kind(self) -> str:
        return "NIA" if self.oid in (InsOid.NIA, InsOid.TEST_NIA) else "NIR"


@dataclass(frozen=True)
class TraitsQuery:
    birth_name: str
    first_name: str  # first birth first name (or the list, comma-separated)
    sex: str
    birth_date: datetime.date
    birth_place_code: str = ""


@dataclass(frozen=True)
class VitaleQuery:
    """What the Vitale card gives: the holder's NIR (the insured person, who may be the
    parent) and the beneficiary chosen on the card. The INS returned is the beneficiary's
    own matricule, never the holder's NIR when they are different people."""

    card_nir: str
    beneficiary_name: str
    beneficiary_first_name: str
    beneficiary_sex: str
    beneficiary_birth_date: datetime.date


class SearchOutcome(enum.StrEnum):
    FOUND = "trouvee"  # teleservice code 00: one identity
    NOT_FOUND = "aucune"  # code 01: no identity
    SEVERAL = "plusieurs"  # code 02: several identities, none returned


@dataclass(frozen=True)
class SearchAnswer:
    outcome: SearchOutcome
    ins: InsIdentifier | None = None
    traits: InsiTraits | None = None


class VerifyOutcome(enum.StrEnum):
    CONFORM = "conforme"
    TRAITS_DIFFER = "traits_differents"
    NOT_FOUND = "inconnue"


@dataclass(frozen=True)
class VerifyAnswer:
    outcome: VerifyOutcome
    differing: tuple[str, ...] = field(default=())


class InsiUnavailable(Exception):
    """The teleservice could not be reached or is not configured (French message)."""


class InsiBackend(Protocol):
    def search_by_traits(self, query: TraitsQuery) -> SearchAnswer: ...

    def search_by_vitale(self, query: VitaleQuery) -> SearchAnswer: ...

    def verify(self, ins: InsIdentifier, traits: InsiTraits) -> VerifyAnswer: ...


def get_backend() -> InsiBackend:
    """The backend named by `settings.INSI_BACKEND`; the simulator by default outside
    production, nothing in production (a simulated INS must never reach a real record)."""
    path = getattr(settings, "INSI_BACKEND", "")
    if not path:
        if getattr(settings, "ENVIRONMENT", "production") == "production":
            raise InsiUnavailable(
                "Le téléservice INSi n'est pas configuré pour ce centre (INSI_BACKEND)."
            )
        return SimulatorInsiBackend()
    backend: InsiBackend = import_string(path)()
    return backend


class SimulatorInsiBackend:
    """A SIMULATOR of INSi for development and tests: it calls nothing and answers
    deterministically from the birth name asked (plain capitals):

    - starting with ``INCONNU``: no identity (search: NOT_FOUND; verify: NOT_FOUND);
    - starting with ``HOMONYME``: several identities (search: SEVERAL);
    - starting with ``ECART``: one identity whose first names differ from those asked (an
      extra first name ``CLAUDE``; verify: TRAITS_DIFFER);
    - starting with ``ATTENTE``: one identity with a NIA (identifiant d'attente) instead of a NIR;
    - otherwise one identity with the traits asked, the birth place asked (86194, Poitiers,
      when none is asked).

    The matricule is NIR-shaped: sex digit, year and month of birth, the birth place code,
    an order number derived from the traits and the key, so that the same traits always give
    the same INS. `verify` checks what the matricule encodes (sex, year, month, place, key)
    against the traits, plus the birth-name rules above. Its OIDs are the INSi *test* OIDs:
    a simulated INS cannot be mistaken for a real one."""

    default_place = "86194"

    def search_by_traits(self, query: TraitsQuery) -> SearchAnswer:
        name = plain_capitals(query.birth_name)
        first_names = tuple(
            n for n in (plain_capitals(p) for p in query.first_name.split(",")) if n
        )
        if name.startswith("INCONNU"):
            return SearchAnswer(SearchOutcome.NOT_FOUND)
        if name.startswith("HOMONYME"):
            return SearchAnswer(SearchOutcome.SEVERAL)
        if name.startswith("ECART"):
            first_names = (*first_names, "CLAUDE")
        traits = InsiTraits(
            birth_name=name,
            first_names=first_names,
            first_first_name=first_names[0] if first_names else "",
            sex=query.sex,
            birth_date=query.birth_date,
            birth_place_code=query.birth_place_code or self.default_place,
        )
        return SearchAnswer(SearchOutcome.FOUND, ins=self._matricule(traits), traits=traits)

    def search_by_vitale(self, query: VitaleQuery) -> SearchAnswer:
        card = query.card_nir.replace(" ", "")
        holder = (
            len(card) == 15
            and card[0] == ("1" if query.beneficiary_sex == "M" else "2")
            and card[1:5] == f"{query.beneficiary_birth_date:%y%m}"
        )
        answer = self.search_by_traits(
            TraitsQuery(
                birth_name=query.beneficiary_name,
                first_name=query.beneficiary_first_name,
                sex=query.beneficiary_sex,
                birth_date=query.beneficiary_birth_date,
                birth_place_code=card[5:10] if holder else "",
            )
        )
        if answer.outcome is SearchOutcome.FOUND and holder and answer.traits is not None:
            # The beneficiary is the card's holder: their INS is the card's NIR.
            oid = answer.ins.oid if answer.ins else InsOid.TEST_NIR
            return SearchAnswer(answer.outcome, InsIdentifier(card, oid), answer.traits)
        return answer

    def verify(self, ins: InsIdentifier, traits: InsiTraits) -> VerifyAnswer:
        name = plain_capitals(traits.birth_name)
        if name.startswith("INCONNU"):
            return VerifyAnswer(VerifyOutcome.NOT_FOUND)
        number = ins.matricule
        differing = []
        if name.startswith("ECART"):
            differing.append("first_names")
        if len(number) != 15 or nir_key(number[:13]) != number[13:]:
            return VerifyAnswer(VerifyOutcome.NOT_FOUND)
        if number[0] != ("1" if traits.sex == "M" else "2"):
            differing.append("sex")
        if number[1:5] != f"{traits.birth_date:%y%m}":
            differing.append("birth_date")
        if number[5:10] != traits.birth_place_code:
            differing.append("birth_place")
        if differing:
            return VerifyAnswer(VerifyOutcome.TRAITS_DIFFER, tuple(differing))
        return VerifyAnswer(VerifyOutcome.CONFORM)

    def _matricule(self, traits: InsiTraits) -> InsIdentifier:
        seed = "|".join(
            (traits.birth_name, ",".join(traits.first_names), traits.sex, str(traits.birth_date))
        )
        order = int(hashlib.sha256(seed.encode()).hexdigest(), 16) % 999 + 1
        body = (
            f"{'1' if traits.sex == 'M' else '2'}{traits.birth_date:%y%m}"
            f"{traits.birth_place_code}{order:03d}"
        )
        oid = InsOid.TEST_NIA if traits.birth_name.startswith("ATTENTE") else InsOid.TEST_NIR
        return InsIdentifier(body + nir_key(body), oid)
