"""Load the QPV street list (reference data) from a CSV file.

Columns: city, postal_code, street, qpv_code, qpv_name. Idempotent: a street already known for
the city is updated. The official lists are published by the ANCT (sig.ville.gouv.fr); the
sample shipped in patients/data/ is illustrative and must be replaced by the official one.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from patients.models import QpvStreet
from patients.services.identity import street_key

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "qpv_poitiers_exemple.csv"
COLUMNS = {"city", "postal_code", "street", "qpv_code", "qpv_name"}


class Command(BaseCommand):
    help = "Charge la liste des rues en quartier prioritaire (QPV) depuis un fichier CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("csv", nargs="?", default=str(SAMPLE), help="fichier CSV (UTF-8)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["csv"])
        if not path.exists():
            raise CommandError(f"Fichier introuvable : {path}")
        created = updated = 0
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = COLUMNS - set(reader.fieldnames or [])
            if missing:
                raise CommandError(f"Colonnes manquantes : {', '.join(sorted(missing))}")
            with transaction.atomic():
                for line, row in enumerate(reader, start=2):
                    street, city = row["street"].strip(), row["city"].strip()
                    if not street or not city or not row["qpv_name"].strip():
                        raise CommandError(f"Ligne {line} : voie, commune et QPV sont requis.")
                    _, was_created = QpvStreet.objects.update_or_create(
                        city=city,
                        street_key=street_key(street),
                        defaults={
                            "street": street,
                            "postal_code": row["postal_code"].strip(),
                            "qpv_code": row["qpv_code"].strip(),
                            "qpv_name": row["qpv_name"].strip(),
                        },
                    )
                    created += was_created
                    updated += not was_created
        self.stdout.write(f"Rues en QPV : {created} ajoutée(s), {updated} mise(s) à jour.")
