"""Identifiers of French health organisations and professionals."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from stdnum import luhn


def validate_finess(value: str) -> None:
    """FINESS: 9 characters; the last one is a Luhn check digit on real numbers.

    Checked on a public extract of the FINESS register (data.gouv.fr, « FINESS Extraction du
    Fichier des établissements »); the key is not part of an official specification.
    Corsican numbers start with 2A/2B, which we map to 20 before checking the key.
    """
    if len(value) != 9:
        raise ValidationError("Le numéro FINESS compte 9 caractères.", code="finess_length")
    digits = value.upper().replace("2A", "20", 1).replace("2B", "20", 1)
    if not digits.isdigit():
        raise ValidationError("Le numéro FINESS ne contient que des chiffres.", code="finess_chars")
    if luhn.checksum(digits) != 0:
        raise ValidationError("Le numéro FINESS est invalide (clé de contrôle).", code="finess_key")


def validate_rpps(value: str) -> None:
    """RPPS: 11 digits with a Luhn check digit (ADELI numbers are being folded into RPPS)."""
    if len(value) != 11 or not value.isdigit():
        raise ValidationError("Le numéro RPPS compte 11 chiffres.", code="rpps_format")
    if luhn.checksum(value) != 0:
        raise ValidationError("Le numéro RPPS est invalide (clé de contrôle).", code="rpps_key")


def validate_am_number(value: str) -> None:
    """N° d'assurance maladie of the centre: 9 digits given by the compulsory scheme."""
    if len(value) != 9 or not value.isdigit():
        raise ValidationError(
            "Le numéro d'assurance maladie du centre compte 9 chiffres.", code="am_format"
        )
