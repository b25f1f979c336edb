"""`manage.py import_patients FILE --by EMAIL [--kind appointments] [--map champ=Colonne]
[--decision LIGNE=new|ID] [--force-reason TEXTE] [--commit]`: the page's import from a shell
(docs/patients.md, « Import »). A dry run unless `--commit`; the same service either way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from centre.models import User
from centre.refusals import Refusal
from patients.services import imports


class Command(BaseCommand):
    help = "Importe des patient·e·s ou des rendez-vous à venir d'un export CSV ou XLSX."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--by", required=True, help="e-mail de la personne de direction")
        parser.add_argument("--kind", choices=list(imports.KINDS), default="patients")
        parser.add_argument("--map", action="append", default=[], metavar="champ=Colonne")
        parser.add_argument("--decision", action="append", default=[], metavar="LIGNE=new|ID")
        parser.add_argument("--force-reason", default="")
        parser.add_argument("--commit", action="store_true", help="importer (sinon essai)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        by = User.objects.filter(email__iexact=options["by"], is_active=True).first()
        if by is None:
            raise CommandError(f"Aucun compte actif « {options['by']} ».")
        kind = options["kind"]
        try:
            table = imports.read_table(path.read_bytes(), path.name)
            mapping = imports.guess_mapping(kind, table.headers)
            for item in options["map"]:
                key, _, header = item.partition("=")
                mapping[key.strip()] = header.strip()
            decisions: dict[int, imports.Decision] = {}
            for item in options["decision"]:
                line, _, value = item.partition("=")
                decisions[int(line)] = "new" if value.strip() == "new" else int(value)
            report = imports.import_run(
                by=by,
                kind=kind,
                table=table,
                mapping=mapping,
                dry_run=not options["commit"],
                decisions=decisions,
                force_reason=options["force_reason"],
                filename=path.name,
            )
        except (Refusal, ValueError, OSError) as error:
            raise CommandError(str(error)) from None
        for column in imports.COLUMNS[kind]:
            if column.key in mapping:
                self.stdout.write(f"  {column.label} ← « {mapping[column.key]} »")
        for line in report.lines:
            result = " ; ".join(line.problems) if line.problems else line.outcome
            self.stdout.write(f"Ligne {line.number} — {line.label} : {result}")
        problems = len(report.problem_lines)
        if report.committed:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Import terminé : {report.created} créé·e·s, {report.linked} rattaché·e·s, "
                    f"{report.booked} rendez-vous."
                )
            )
        elif problems:
            verdict = "Essai à blanc" if report.dry_run else "Import refusé, rien n'est importé"
            raise CommandError(f"{verdict} : {problems} ligne(s) à corriger.")
        else:
            self.stdout.write(
                f"Essai à blanc sans erreur : {report.created} à créer, {report.linked} à "
                f"rattacher, {report.booked} rendez-vous. Relancez avec --commit."
            )
