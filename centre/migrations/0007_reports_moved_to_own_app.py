"""ReportRun moves to its own app, `reports` (centre/reports/), in the migration state only.

The table `centre_reportrun` and its rows stay where they are (the model declares
`db_table = "centre_reportrun"`); `reports/0001_initial` takes the model into its state, also
without touching the database. Numbered 0007 to leave 0005/0006 to the centre migrations
written at the same time; the integrator chains it after the last of them.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("centre", "0006_api_token"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ReportRun")],
            database_operations=[],
        ),
    ]
