"""The content types of the participation models follow them: `outreach.survey` becomes
`participation.survey` (and so on), so that their permissions (attached to groups), admin log
entries and any generic relation keep pointing at the same rows.

On a fresh database there is no row yet (content types are created after `migrate`): nothing
to do. If both rows exist (a `migrate` interrupted after post_migrate created the new one),
the old one is left for `remove_stale_contenttypes` rather than merged by guess.

The audit journal is append-only and keeps `object_type = "outreach.survey"` (…) in the entries
written before the move; new entries say `participation.survey` (see docs/participation.md).
"""

from django.db import migrations

MODELS = (
    "survey",
    "question",
    "choice",
    "answersheet",
    "answer",
    "committeemeeting",
    "committeedecision",
    "userrequest",
)


def _move(apps, old: str, new: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if content_type.objects.filter(app_label=new, model=model).exists():
            continue
        content_type.objects.filter(app_label=old, model=model).update(app_label=new)


def forwards(apps, schema_editor):
    _move(apps, "outreach", "participation")


def backwards(apps, schema_editor):
    _move(apps, "participation", "outreach")


class Migration(migrations.Migration):
    dependencies = [
        ("participation", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
