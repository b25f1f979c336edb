"""The phonetic functions of 0005_id_phonetic_keys call each other and `patients_unaccent` by
schema-qualified name, as the search functions of 0002 do: `pg_dump` restores with an empty
search_path, and the generated column `phonetic_keys` is recomputed during the restore, so an
unqualified call there made every backup unrestorable (tests/security/test_backup_restore.py)."""

import importlib
import re

from django.db import migrations

ORIGINAL = importlib.import_module("patients.migrations.0005_id_phonetic_keys").PHONETIC_FUNCTIONS
QUALIFIED = re.sub(r"(?<![.\w])(patients_(?:phonetic_\w+|unaccent))\(", r"public.\1(", ORIGINAL)


class Migration(migrations.Migration):
    dependencies = [("patients", "0007_merge_identity_coverage")]

    operations = [migrations.RunSQL(QUALIFIED, ORIGINAL)]
