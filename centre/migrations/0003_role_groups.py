"""Create the five staff roles as Django groups.

Access is checked by role in each app's perms.py; the groups' model permissions only govern
the Django admin (reference data for the direction)."""

from django.db import migrations

ROLES = ("accueil", "soignant", "mediation", "facturation", "direction")

# Admin permissions of the direction on the organisation (codename prefixes per model).
DIRECTION_ADMIN = {
    "centre": ("view", "change"),
    "site": ("view", "add", "change"),
    "staffprofile": ("view", "change"),
    "auditentry": ("view",),
}


def create_groups(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; create this app's now.
    app_config = apps.get_app_config("centre")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role in ROLES:
        Group.objects.get_or_create(name=role)
    direction = Group.objects.get(name="direction")
    for model, actions in DIRECTION_ADMIN.items():
        codenames = [f"{action}_{model}" for action in actions]
        direction.permissions.add(
            *Permission.objects.filter(content_type__app_label="centre", codename__in=codenames)
        )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("centre", "0002_audit_append_only"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
