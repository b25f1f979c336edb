from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Facturation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from billing.timeline import invoice_events, payment_events
        from patients import hooks

        hooks.register_timeline(invoice_events)
        hooks.register_timeline(payment_events)

        from billing import notifications
        from centre.notifications import register

        register(notifications.provider)
