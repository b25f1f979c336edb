from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Reports and dashboards, a Django app of its own (label `reports`). Its table keeps the
    name it had when the model belonged to `centre` (`centre_reportrun`): the model moved in
    the migration state only, see reports/migrations/0001_initial.py."""

    name = "centre.reports"
    label = "reports"
    verbose_name = "Rapports et tableau de bord"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from centre.notifications import register
        from centre.reports import notifications

        register(notifications.provider)
