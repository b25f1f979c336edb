"""Loading the INSEE Code officiel géographique (COG) into `BirthPlace`: the files shipped in
`patients/data/` (loaded by migration 0006) or a newer official file given to
`manage.py load_cog`. docs/identitovigilance.md, « Lieu de naissance ».

Two formats are read, recognised by their header:
- the communes: Passerelle's `cog_communes_<year>.csv` (code, type, departement, libelle,
  commune_parente) or the INSEE's own `v_commune_<year>.csv` (TYPECOM, COM, …, DEP, …,
  LIBELLE, …, COMPARENT);
- the countries and territories: Passerelle's `cog_pays_<year>.csv` (code, libelle,
  libelle_officiel, pays_de_rattachement, debut, fin) or the INSEE's
  `v_pays_territoire_<year>.csv` (COG, …, CRPAY, …, LIBCOG, …).
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
SHIPPED_FILES = ("cog_communes_2024.csv", "cog_pays_2025.csv")


def _date(text: str) -> datetime.date | None:
    return datetime.date.fromisoformat(text) if text else None


def read_rows(text: str) -> Iterator[dict[str, Any]]:
    """`BirthPlace` field values read from one COG file (see the module's docstring)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = set(reader.fieldnames or ())
    for row in reader:
        if {"code", "type", "departement"} <= header:
            yield {
                "code": row["code"],
                "kind": "commune",
                "name": row["libelle"],
                "cog_type": row["type"],
                "department": row["departement"],
                "parent_code": row["commune_parente"],
                "valid_until": None,
            }
        elif {"TYPECOM", "COM", "LIBELLE"} <= header:
            yield {
                "code": row["COM"],
                "kind": "commune",
                "name": row["LIBELLE"],
                "cog_type": row["TYPECOM"],
                "department": row.get("DEP", ""),
                "parent_code": row.get("COMPARENT", ""),
                "valid_until": None,
            }
        elif {"code", "libelle", "pays_de_rattachement"} <= header:
            yield {
                "code": row["code"],
                "kind": "pays",
                "name": row["libelle"],
                "cog_type": "",
                "department": "",
                "parent_code": row["pays_de_rattachement"],
                "valid_until": _date(row["fin"]),
            }
        elif {"COG", "LIBCOG"} <= header:
            if row["COG"] == "XXXXX" or row["COG"] == "99100":
                continue  # France itself: a birth in France is coded by its commune
            yield {
                "code": row["COG"],
                "kind": "pays",
                "name": row["LIBCOG"],
                "cog_type": "",
                "department": "",
                "parent_code": row.get("CRPAY", ""),
                "valid_until": None,
            }
        else:
            raise ValueError("Fichier COG non reconnu : en-tête inattendu.")


def unique_by_code(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per code, the current commune first (a commune nouvelle and its chef-lieu
    déléguée share a code in the COG)."""
    chosen: dict[str, dict[str, Any]] = {}
    for row in rows:
        known = chosen.get(row["code"])
        if known is None or (row["cog_type"] == "COM" and known["cog_type"] != "COM"):
            chosen[row["code"]] = row
    return [chosen[code] for code in sorted(chosen)]


def shipped_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for name in SHIPPED_FILES:
        rows.extend(read_rows((DATA_DIR / name).read_text(encoding="utf-8")))
    return unique_by_code(rows)
