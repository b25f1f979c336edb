from django.apps import AppConfig


class CentreConfig(AppConfig):
    name = "centre"
    verbose_name = "Centre et organisation"
    default_auto_field = "django.db.models.BigAutoField"
