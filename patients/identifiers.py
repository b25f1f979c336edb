"""NIR (n° de sécurité sociale) and phone numbers.

NIR rules (docs/patients.md, « NIR », from the INSEE structure of the registration number
in the RNIPP): `stdnum.fr.nir` only checks characters, length and
the key (97 − number mod 97, with 2A → 19 and 2B → 18). The structural checks below are those
of the CNAM's own validator: sex 1 or 2, month 01–12 or 20–99 (unknown month, common for
people born abroad), place = département (01–95, 2A/2B, 20 before 1976) + commune, or 97x/98x
overseas + 2-digit commune, or 99 + country code; order number not 000. Waiting numbers (NIA)
have the same format and are accepted as such. Provisional numbers starting with 7 or 8 still
appear for some AME patients although the CNAM ended them in 2022: accepted and flagged.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

import phonenumbers
from django.core.exceptions import ValidationError
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import nir as stdnum_nir

OVERSEAS_DEPARTMENTS = frozenset({"971", "972", "973", "974", "975", "976", "977", "978"})
OVERSEAS_COLLECTIVITIES = frozenset({"984", "986", "987", "988"})


@dataclass(frozen=True)
class NirCheck:
    value: str  # compact form, 15 characters
    provisional: bool  # starts with 7 or 8: to be reviewed

    @property
    def sex(self) -> str:
        return {"1": "M", "2": "F"}.get(self.value[0], "")


# What people type between the groups of a NIR: spaces (also the non-breaking ones a copy
# from a PDF or from this app's own display brings: « 2 87 06 75 123 456 78 »), dots,
# dashes, slashes and underscores. Removed before any length or key check.
_NIR_SEPARATORS = re.compile(r"[\s.\-/_\u00a0\u202f\u2007\u2010-\u2015]+")
# Longest NIR as typed with separators: 15 characters and one separator between each
# (generous: forms and the API accept up to this, the compact form is 15).
NIR_INPUT_MAX_LENGTH = 40
FULL_NIR = re.compile(r"^[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{8}$")


def compact_nir(value: str) -> str:
    """`2 87 06 75 123 456 78`, `2.87.06.75.123.456.78`, `2-87-06-2a-…` → 15 characters
    (letters of Corsica upper-cased), before any length or key check."""
    return _NIR_SEPARATORS.sub("", value or "").upper()


def check_nir(
    value: str, *, sex: str | None = None, birth_date: datetime.date | None = None
) -> NirCheck:
    """The compact NIR, or ValidationError with a French message saying what is wrong."""
    number = compact_nir(value)
    try:
        stdnum_nir.validate(number)
    except InvalidLength:
        raise ValidationError(
            "Le NIR compte 15 caractères (13 chiffres et une clé de 2 chiffres).",
            code="nir_length",
        ) from None
    except InvalidFormat:
        raise ValidationError(
            "Le NIR ne contient que des chiffres (et 2A ou 2B pour la Corse).",
            code="nir_format",
        ) from None
    except InvalidChecksum:
        raise ValidationError(
            "La clé du NIR ne correspond pas : vérifiez le numéro.", code="nir_key"
        ) from None
    except StdnumError:  # pragma: no cover - any other stdnum complaint
        raise ValidationError("Ce NIR n'est pas valide.", code="nir_invalid") from None

    first = number[0]
    provisional = first in "78"
    if first not in "12" and not provisional:
        raise ValidationError("Le NIR commence par 1 (homme) ou 2 (femme).", code="nir_sex_digit")
    if provisional:
        # No structure is documented for these numbers: key checked, the rest left to review.
        return NirCheck(value=number, provisional=True)
    month = int(number[3:5])
    if not (1 <= month <= 12 or 20 <= month <= 99):
        raise ValidationError(
            "Le mois de naissance du NIR doit être entre 01 et 12 (ou 20 à 99 s'il est inconnu).",
            code="nir_month",
        )
    _check_place(number)
    if number[10:13] == "000":
        raise ValidationError("Le numéro d'ordre du NIR ne peut être 000.", code="nir_order")

    if sex and {"1": "M", "2": "F"}[first] != sex:
        raise ValidationError(
            "Le NIR ne correspond pas au sexe indiqué (1 = homme, 2 = femme).",
            code="nir_sex_mismatch",
        )
    if birth_date is not None:
        if int(number[1:3]) != birth_date.year % 100:
            raise ValidationError(
                f"L'année du NIR ({number[1:3]}) ne correspond pas à la date de naissance "
                f"({birth_date.year}).",
                code="nir_year_mismatch",
            )
        if 1 <= month <= 12 and month != birth_date.month:
            raise ValidationError(
                f"Le mois du NIR ({number[3:5]}) ne correspond pas à la date de naissance "
                f"({birth_date.month:02d}).",
                code="nir_month_mismatch",
            )
    return NirCheck(value=number, provisional=False)


def _check_place(number: str) -> None:
    department = number[5:7]
    place_error = ValidationError(
        "Le lieu de naissance du NIR (département et commune) n'existe pas.", code="nir_place"
    )
    if department in ("2A", "2B"):
        commune = number[7:10]
    elif department == "97" or department == "98":
        if number[5:8] not in OVERSEAS_DEPARTMENTS | OVERSEAS_COLLECTIVITIES:
            raise place_error
        commune = number[8:10]
    elif department == "99":
        commune = number[7:10]  # INSEE country code (99 + 3 digits)
    elif "01" <= department <= "95":
        commune = number[7:10]
    else:
        raise place_error
    if int(commune) == 0:
        raise place_error


def nir_key(first13: str) -> str:
    """The 2-digit key of a 13-character NIR body (used by tests and the demo)."""
    return stdnum_nir.calc_check_digits(first13 + "00")


def normalize_phone(value: str) -> str:
    """E.164 (`+33612345678`) from what reception types (`06 12 34 56 78`, `+32 …`)."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        parsed = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        raise ValidationError(
            "Numéro de téléphone illisible : tapez par exemple 06 12 34 56 78.", code="phone"
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(
            "Ce numéro de téléphone n'existe pas : vérifiez le nombre de chiffres.", code="phone"
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def format_phone(value: str) -> str:
    """`06 12 34 56 78` for French numbers, international format otherwise."""
    if not value:
        return ""
    try:
        parsed = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        return value
    if parsed.country_code == 33:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def format_nir(value: str) -> str:
    return stdnum_nir.format(value) if len(value) == 15 else value
