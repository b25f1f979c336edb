import datetime

from django.db import migrations, models
from django.db.models import Q

DELAYS = {
    "urgente": datetime.timedelta(hours=48),
    "rapide": datetime.timedelta(days=7),
    "normale": datetime.timedelta(days=30),
}


def backfill(apps, schema_editor):
    Referral = apps.get_model("outreach", "Referral")
    for urgency, delay in DELAYS.items():
        Referral.objects.filter(urgency=urgency).update(due_at=models.F("created_at") + delay)


class Migration(migrations.Migration):
    dependencies = [("outreach", "0005_participation_moved_to_own_app")]

    operations = [
        migrations.AddField(
            model_name="referral",
            name="due_at",
            field=models.DateTimeField(null=True, verbose_name="à programmer avant le"),
        ),
        migrations.AddField(
            model_name="referral",
            name="fit_warning",
            field=models.CharField(blank=True, max_length=250, verbose_name="point d'attention"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="referral",
            name="due_at",
            field=models.DateTimeField(verbose_name="à programmer avant le"),
        ),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                condition=Q(status="attente"), fields=["due_at"], name="referral_pending_due"
            ),
        ),
    ]
