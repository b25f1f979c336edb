from django.apps import AppConfig


class ParticipationConfig(AppConfig):
    """Participation of inhabitants (surveys, users' committee), a Django app of its own
    (label `participation`). Its tables keep the names they had when the models belonged to
    `outreach` (`outreach_survey`, …): the models moved in the migration state only, see
    participation/migrations/0001_initial.py."""

    name = "outreach.participation"
    label = "participation"
    verbose_name = "Participation des habitant·e·s"
    default_auto_field = "django.db.models.BigAutoField"
