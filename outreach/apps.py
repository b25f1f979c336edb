from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "outreach"
    verbose_name = "Médiation et actions hors les murs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from outreach.timeline import collective_action_events, referral_events, session_events
        from patients import hooks

        hooks.register_timeline(session_events)
        hooks.register_timeline(referral_events)
        hooks.register_timeline(collective_action_events)

        from centre.notifications import register
        from outreach import notifications

        register(notifications.provider)
