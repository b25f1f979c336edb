"""ReportRun, formerly `centre.ReportRun`: created in the migration state only.

The table `centre_reportrun` already exists (centre/0004_report_run created it) and keeps its
rows; centre/0007_reports_moved_to_own_app removed the model from the `centre` state.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('centre', '0007_reports_moved_to_own_app'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='ReportRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('template', models.CharField(max_length=40, verbose_name='modèle')),
                        ('period_start', models.DateField(verbose_name='du')),
                        ('period_end', models.DateField(verbose_name='au')),
                        ('status', models.CharField(choices=[('queued', 'En attente'), ('running', 'En cours'), ('done', 'Terminé'), ('failed', 'Échec')], default='queued', max_length=10, verbose_name='état')),
                        ('progress', models.PositiveSmallIntegerField(default=0, verbose_name='avancement (%)')),
                        ('figures', models.JSONField(blank=True, default=list, verbose_name='chiffres')),
                        ('suppression_threshold', models.PositiveSmallIntegerField(verbose_name='seuil de secret statistique')),
                        ('pdf_file', models.CharField(blank=True, max_length=255, verbose_name='fichier PDF')),
                        ('csv_file', models.CharField(blank=True, max_length=255, verbose_name='fichier CSV')),
                        ('xlsx_file', models.CharField(blank=True, max_length=255, verbose_name='fichier XLSX')),
                        ('error', models.TextField(blank=True, verbose_name='erreur')),
                        ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='tentatives')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='demandé le')),
                        ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='commencé le')),
                        ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='terminé le')),
                        ('compute_seconds', models.FloatField(blank=True, null=True, verbose_name='calcul des indicateurs (s)')),
                        ('render_seconds', models.FloatField(blank=True, null=True, verbose_name='production des fichiers (s)')),
                        ('requested_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='demandé par')),
                        ('site', models.ForeignKey(blank=True, help_text='Vide : tous les sites.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='centre.site', verbose_name='site')),
                    ],
                    options={
                        'verbose_name': 'rapport',
                        'verbose_name_plural': 'rapports',
                        'db_table': 'centre_reportrun',
                        'ordering': ('-created_at', '-id'),
                        'constraints': [models.CheckConstraint(condition=models.Q(('period_end__gte', models.F('period_start'))), name='reportrun_period_order'), models.CheckConstraint(condition=models.Q(('progress__lte', 100)), name='reportrun_progress_max')],
                    },
                ),
            ],
        ),
    ]
