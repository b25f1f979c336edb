"""Create the `collecte` role (volunteer inhabitants who type in paper questionnaires) as a
Django group, like the staff roles of centre/migrations/0003_role_groups.py."""

from django.db import migrations


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="collecte")


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="collecte").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0002_participation"),
        ("centre", "0003_role_groups"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
