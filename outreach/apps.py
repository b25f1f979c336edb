from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "outreach"
    verbose_name = "Médiation et actions hors les murs"
    default_auto_field = "django.db.models.BigAutoField"
