"""`manage.py load_cog FILE [FILE…]`: refresh the birth places from the INSEE's COG files
(v_commune_<year>.csv, v_pays_territoire_<year>.csv, from insee.fr « Code officiel
géographique »). Rows are added or updated, never deleted: a record may keep the code of a
commune that has since merged (the code at the birth date is the one the RNIPP holds)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from patients.cog import read_rows, unique_by_code
from patients.models import BirthPlace


class Command(BaseCommand):
    help = "Met à jour les lieux de naissance (COG de l'INSEE) à partir des fichiers officiels."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        rows: list[dict[str, Any]] = []
        for path in options["files"]:
            try:
                rows.extend(read_rows(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError) as error:
                raise CommandError(f"{path} : {error}") from None
        created = updated = 0
        with transaction.atomic():
            for row in unique_by_code(rows):
                code = row.pop("code")
                _, was_created = BirthPlace.objects.update_or_create(code=code, defaults=row)
                created += was_created
                updated += not was_created
        self.stdout.write(f"{created} lieu(x) ajouté(s), {updated} mis à jour.")
