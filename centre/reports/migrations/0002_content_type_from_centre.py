"""The content type of ReportRun follows the model: `centre.reportrun` becomes
`reports.reportrun`, so that its permissions (attached to groups), admin log entries and any
generic relation keep pointing at the same rows.

On a fresh database there is no row yet (content types are created after `migrate`): nothing
to do. If both rows exist (a `migrate` interrupted after post_migrate created the new one),
the old one is left for `remove_stale_contenttypes` rather than merged by guess.

The audit journal is append-only and keeps `object_type = "centre.reportrun"` in the entries
written before the move; new entries say `reports.reportrun` (see docs/reports.md).
"""

from django.db import migrations

MODELS = ("reportrun",)


def _move(apps, old: str, new: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if content_type.objects.filter(app_label=new, model=model).exists():
            continue
        content_type.objects.filter(app_label=old, model=model).update(app_label=new)


def forwards(apps, schema_editor):
    _move(apps, "centre", "reports")


def backwards(apps, schema_editor):
    _move(apps, "reports", "centre")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
