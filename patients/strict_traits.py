"""Strict identity traits (identitovigilance): pure functions, no database.

The référentiel national d'identitovigilance (RNIV, volet 1 « Principes d'identification des
usagers communs à tous les acteurs de santé », § 3.1.3) names five strict traits: birth name,
birth first names (the ordered list, and the first of them), birth date, sex and the INSEE code
of the birth place; the used name and used first name are extended traits.
docs/identitovigilance.md.

Writing rules (RNIV 1 § 3.1.3 and the ANS « Guide d'implémentation de l'identité INS dans les
logiciels », format of the traits returned by the INSi teleservice, i.e. the RNIPP's): the
strict traits are written in capital letters without diacritics (no accent, diaeresis or
cedilla), ligatures spelt out (Œ → OE, Æ → AE), keeping the hyphen, the apostrophe and the
space, never abbreviated. Capture keeps what the person's document shows (accents included):
the plain form is computed when printed or compared, never typed instead.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Letters that NFKD does not decompose into a base letter and a combining mark.
_SPELT_OUT = {
    "Œ": "OE",
    "œ": "oe",
    "Æ": "AE",
    "æ": "ae",
    "ß": "ss",
    "Ø": "O",
    "ø": "o",
    "Ð": "D",
    "ð": "d",
    "Þ": "TH",
    "þ": "th",
    "Ł": "L",
    "ł": "l",
    "Đ": "D",
    "đ": "d",
    "ı": "i",
}
# Typographic apostrophes and dashes typed from phones and word processors.
_APOSTROPHES = "’‘ʼ`´"
_HYPHENS = "‐‑‒–—"
_ALLOWED = re.compile(r"[A-Z '\-]")


def plain_capitals(text: str) -> str:
    """`Hélène-Çağla d’Ornán` → `HELENE-CAGLA D'ORNAN`: capitals without diacritics, the
    hyphen, apostrophe and single spaces kept (the RNIPP/INSi form of a name). Characters
    outside the Latin alphabet (Arabic, Cyrillic…) are dropped: such names are captured as the
    identity document transliterates them (its Latin-alphabet zone)."""
    for char in _APOSTROPHES:
        text = text.replace(char, "'")
    for char in _HYPHENS:
        text = text.replace(char, "-")
    text = "".join(_SPELT_OUT.get(char, char) for char in text)
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).upper()
    kept = "".join(c if _ALLOWED.fullmatch(c) else " " for c in bare)
    return " ".join(kept.split())


def clean_name(text: str) -> str:
    """A name as captured: spaces trimmed and collapsed, typographic apostrophes and dashes
    made plain, case and accents kept (« de La Fontaine », « N'Diaye », « Ben Saïd »)."""
    for char in _APOSTROPHES:
        text = text.replace(char, "'")
    for char in _HYPHENS:
        text = text.replace(char, "-")
    return " ".join(text.split())


def split_first_names(text: str) -> list[str]:
    """The birth first names typed in one field, in their order. They are separated by
    commas (as on the identity card since 2021 and in the INSi answer's list), never by
    spaces: « Marie Claire, Aïcha » is two first names, the first being « Marie Claire »."""
    return [name for name in (clean_name(part) for part in text.split(",")) if name]


def join_first_names(names: Sequence[str]) -> str:
    return ", ".join(names)


@dataclass(frozen=True)
class StrictTraits:
    """The five strict traits, as held on the record (captured form)."""

    birth_name: str
    first_names: tuple[str, ...]
    first_first_name: str
    birth_date: datetime.date | None
    sex: str
    birth_place_code: str

    def missing(self) -> list[str]:
        """French labels of the strict traits not known yet. A person with a single name
        (no first name on the document) has no first name: that is not a missing trait."""
        labels = []
        if not self.birth_name:
            labels.append("nom de naissance")
        if self.birth_date is None:
            labels.append("date de naissance")
        if not self.sex:
            labels.append("sexe")
        if not self.birth_place_code:
            labels.append("lieu de naissance (code INSEE)")
        return labels

    def comparable(self) -> tuple[str, tuple[str, ...], str, datetime.date | None, str, str]:
        """The traits in RNIPP form: two captures of one identity compare equal even when
        one has accents and the other not (`HELENE` == `Hélène`)."""
        return (
            plain_capitals(self.birth_name),
            tuple(plain_capitals(n) for n in self.first_names),
            plain_capitals(self.first_first_name),
            self.birth_date,
            self.sex,
            self.birth_place_code,
        )


def first_of(names: Iterable[str]) -> str:
    for name in names:
        return name
    return ""


@dataclass(frozen=True)
class PrintedIdentity:
    """What a printed document (day sheet, invoice, care sheet, export) shows of a person,
    as the RNIV asks: the strict traits in plain capitals beside the used name and first
    name as the person uses them."""

    birth_name: str  # PLAIN CAPITALS
    first_first_name: str  # PLAIN CAPITALS
    birth_date: str  # dd/mm/yyyy
    sex: str  # F / M
    used_name: str  # PLAIN CAPITALS when it differs from the birth name, else ""
    used_first_name: str  # as captured, when it differs from the first birth first name

    def line(self) -> str:
        """`MARTIN HELENE, née le 12/03/1984 (F) — nom utilisé : DUPONT, prénom utilisé : Léna`."""
        born = "née" if self.sex == "F" else "né"
        text = " ".join(part for part in (self.birth_name, self.first_first_name) if part)
        text += f", {born} le {self.birth_date} ({self.sex})"
        extra = []
        if self.used_name:
            extra.append(f"nom utilisé : {self.used_name}")
        if self.used_first_name:
            extra.append(f"prénom utilisé : {self.used_first_name}")
        if extra:
            text += " — " + ", ".join(extra)
        return text


def printed_identity(
    *,
    birth_name: str,
    first_names: Sequence[str],
    first_first_name: str,
    birth_date: datetime.date,
    sex: str,
    used_name: str,
    used_first_name: str,
) -> PrintedIdentity:
    """The printed form of an identity (see `PrintedIdentity`). A record without a birth
    name yet (a provisional identity typed from a phone call) prints its used name in the
    birth name's place: the status printed beside it says it is not checked."""
    first = first_first_name or first_of(first_names)
    birth = plain_capitals(birth_name or used_name)
    used = plain_capitals(used_name)
    first_plain = plain_capitals(first)
    return PrintedIdentity(
        birth_name=birth,
        first_first_name=first_plain or plain_capitals(used_first_name),
        birth_date=f"{birth_date:%d/%m/%Y}",
        sex=sex,
        used_name=used if used and used != birth else "",
        used_first_name=(
            used_first_name
            if used_first_name and first_plain and plain_capitals(used_first_name) != first_plain
            else ""
        ),
    )
