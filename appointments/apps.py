from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "appointments"
    verbose_name = "Rendez-vous"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from appointments import imports, selectors
        from patients import hooks

        hooks.register_next_appointment(selectors.next_appointment_provider)
        hooks.register_timeline(selectors.timeline_provider)
        hooks.register_appointment_importer(imports.import_appointment)

        from appointments import notifications
        from centre.notifications import register

        register(notifications.provider)
