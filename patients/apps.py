from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = "Patients"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Each app's `gdpr.py` registers how it erases and exports a person's data.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("gdpr")
