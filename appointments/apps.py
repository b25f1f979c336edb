from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "appointments"
    verbose_name = "Rendez-vous"
    default_auto_field = "django.db.models.BigAutoField"
