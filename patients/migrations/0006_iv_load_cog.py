"""Loads the birth places of the INSEE COG shipped in patients/data/ (communes at
1 January 2024, countries and territories 2025). Self-contained on purpose: it reads the
files as they are versioned, and `manage.py load_cog` refreshes the table later."""

import csv
import datetime
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data"


def load(apps, schema_editor):
    BirthPlace = apps.get_model("patients", "BirthPlace")
    rows = []
    with open(DATA / "cog_communes_2024.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            rows.append(
                BirthPlace(
                    code=row["code"],
                    kind="commune",
                    name=row["libelle"],
                    cog_type=row["type"],
                    department=row["departement"],
                    parent_code=row["commune_parente"],
                )
            )
    with open(DATA / "cog_pays_2025.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            rows.append(
                BirthPlace(
                    code=row["code"],
                    kind="pays",
                    name=row["libelle"],
                    parent_code=row["pays_de_rattachement"],
                    valid_until=(datetime.date.fromisoformat(row["fin"]) if row["fin"] else None),
                )
            )
    BirthPlace.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)


def unload(apps, schema_editor):
    apps.get_model("patients", "BirthPlace").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("patients", "0005_iv_strict_traits_status_ins")]

    operations = [migrations.RunPython(load, unload)]
