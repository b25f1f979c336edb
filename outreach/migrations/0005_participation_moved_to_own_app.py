"""The participation models (surveys, users' committee) move to their own app,
`participation` (outreach/participation/), in the migration state only.

The tables (`outreach_survey`, `outreach_answer`, …) and their rows stay where they are (each
model declares its former `db_table`); `participation/0001_initial` takes the models into its
state, also without touching the database. Removed from the state in dependency order: the
models pointing to others first.
"""

from django.db import migrations

MOVED = (
    "Answer",
    "AnswerSheet",
    "Choice",
    "Question",
    "Survey",
    "CommitteeDecision",
    "UserRequest",
    "CommitteeMeeting",
)


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0004_permanence_cancellation_reason"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name=name) for name in MOVED],
            database_operations=[],
        ),
    ]
