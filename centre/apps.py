from django.apps import AppConfig


class CentreConfig(AppConfig):
    name = "centre"
    verbose_name = "Centre et organisation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Loads the Celery app so that shared tasks bind to it in web processes
        # (`celery -A centre` finds it as centre.celery on its own).
        from centre import signals  # noqa: F401
        from centre.celery import app  # noqa: F401
