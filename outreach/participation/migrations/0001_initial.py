"""Surveys and the users' committee, formerly in `outreach`: created in the migration state
only.

The tables `outreach_*` already exist (outreach/0002_participation created them) and keep their
rows; outreach/0005_participation_moved_to_own_app removed the models from the `outreach` state.
"""

import django.db.models.constraints
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('outreach', '0005_participation_moved_to_own_app'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Question',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('position', models.PositiveIntegerField(verbose_name='ordre')),
                        ('kind', models.CharField(choices=[('choix_unique', 'Choix unique'), ('choix_multiple', 'Choix multiple'), ('echelle', 'Échelle'), ('nombre', 'Nombre'), ('texte', 'Texte court')], max_length=15, verbose_name='type')),
                        ('text', models.CharField(max_length=300, verbose_name='question')),
                        ('translations', models.JSONField(blank=True, default=dict, verbose_name='traductions')),
                        ('required', models.BooleanField(default=False, verbose_name='réponse obligatoire')),
                        ('min_value', models.IntegerField(blank=True, null=True, verbose_name='minimum')),
                        ('max_value', models.IntegerField(blank=True, null=True, verbose_name='maximum')),
                    ],
                    options={
                        'verbose_name': 'question',
                        'verbose_name_plural': 'questions',
                        'db_table': 'outreach_question',
                        'ordering': ('survey', 'position'),
                    },
                ),
                migrations.CreateModel(
                    name='CommitteeMeeting',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('held_on', models.DateField(verbose_name='date')),
                        ('place', models.CharField(max_length=200, verbose_name='lieu')),
                        ('participants', models.PositiveIntegerField(default=0, verbose_name='participant·e·s')),
                        ('agenda', models.TextField(blank=True, verbose_name='ordre du jour')),
                        ('minutes', models.TextField(blank=True, verbose_name='compte rendu')),
                        ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': "réunion du comité d'usagers",
                        'verbose_name_plural': "réunions du comité d'usagers",
                        'db_table': 'outreach_committeemeeting',
                        'ordering': ('-held_on', '-pk'),
                    },
                ),
                migrations.CreateModel(
                    name='CommitteeDecision',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('text', models.CharField(max_length=300, verbose_name='décision')),
                        ('status', models.CharField(choices=[('a_faire', 'À faire'), ('en_cours', 'En cours'), ('faite', 'Faite'), ('abandonnee', 'Abandonnée')], default='a_faire', max_length=12, verbose_name='suivi')),
                        ('follow_up', models.CharField(blank=True, max_length=300, verbose_name='où en est-on')),
                        ('updated_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='mis à jour le')),
                        ('meeting', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='decisions', to='participation.committeemeeting')),
                    ],
                    options={
                        'verbose_name': 'décision du comité',
                        'verbose_name_plural': 'décisions du comité',
                        'db_table': 'outreach_committeedecision',
                        'ordering': ('meeting', 'pk'),
                    },
                ),
                migrations.CreateModel(
                    name='Choice',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('position', models.PositiveIntegerField(verbose_name='ordre')),
                        ('label', models.CharField(max_length=200, verbose_name='réponse proposée')),
                        ('translations', models.JSONField(blank=True, default=dict, verbose_name='traductions')),
                        ('question', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='choices', to='participation.question', verbose_name='question')),
                    ],
                    options={
                        'verbose_name': 'réponse proposée',
                        'verbose_name_plural': 'réponses proposées',
                        'db_table': 'outreach_choice',
                        'ordering': ('question', 'position'),
                    },
                ),
                migrations.CreateModel(
                    name='Survey',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('title', models.CharField(max_length=200, verbose_name='titre')),
                        ('introduction', models.TextField(blank=True, help_text='Lue en haut du questionnaire : qui le mène, pourquoi, ce que deviennent les réponses.', verbose_name='introduction')),
                        ('languages', models.JSONField(blank=True, default=list, help_text='Codes des langues proposées.', verbose_name='traductions')),
                        ('status', models.CharField(choices=[('brouillon', 'En préparation'), ('ouverte', 'Ouverte à la saisie'), ('close', 'Close')], default='brouillon', max_length=10, verbose_name='état')),
                        ('public_token', models.CharField(blank=True, max_length=40, null=True, unique=True, verbose_name='jeton du lien public')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='créée le')),
                        ('opened_at', models.DateTimeField(blank=True, null=True, verbose_name='ouverte le')),
                        ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='close le')),
                        ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'enquête',
                        'verbose_name_plural': 'enquêtes',
                        'db_table': 'outreach_survey',
                        'ordering': ('-created_at', '-pk'),
                    },
                ),
                migrations.AddField(
                    model_name='question',
                    name='survey',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='questions', to='participation.survey', verbose_name='enquête'),
                ),
                migrations.CreateModel(
                    name='AnswerSheet',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('channel', models.CharField(choices=[('papier', 'Questionnaire papier saisi'), ('en_ligne', 'En ligne (lien public)')], max_length=10, verbose_name='canal')),
                        ('language', models.CharField(default='fr', max_length=5, verbose_name='langue')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='saisi le')),
                        ('wants_contact', models.BooleanField(default=False, verbose_name='souhaite être recontacté·e')),
                        ('contact_name', models.CharField(blank=True, max_length=120, verbose_name='nom ou prénom')),
                        ('contact', models.CharField(blank=True, max_length=200, verbose_name='téléphone ou e-mail')),
                        ('entered_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='saisi par')),
                        ('survey', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='sheets', to='participation.survey', verbose_name='enquête')),
                    ],
                    options={
                        'verbose_name': 'questionnaire rempli',
                        'verbose_name_plural': 'questionnaires remplis',
                        'db_table': 'outreach_answersheet',
                        'ordering': ('survey', 'pk'),
                    },
                ),
                migrations.CreateModel(
                    name='UserRequest',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('raised_on', models.DateField(verbose_name='reçue le')),
                        ('summary', models.CharField(max_length=300, verbose_name='idée ou demande')),
                        ('details', models.TextField(blank=True, verbose_name='détails')),
                        ('status', models.CharField(choices=[('recue', 'Reçue'), ('etudiee', "À l'étude"), ('realisee', 'Réalisée'), ('refusee', 'Refusée')], default='recue', max_length=10, verbose_name='état')),
                        ('decline_reason', models.CharField(blank=True, max_length=300, verbose_name='motif du refus')),
                        ('status_changed_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='état changé le')),
                        ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('meeting', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='requests', to='participation.committeemeeting', verbose_name='soulevée en comité')),
                    ],
                    options={
                        'verbose_name': 'idée ou demande des usager·e·s',
                        'verbose_name_plural': 'idées et demandes des usager·e·s',
                        'db_table': 'outreach_userrequest',
                        'ordering': ('-raised_on', '-pk'),
                    },
                ),
                migrations.CreateModel(
                    name='Answer',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.IntegerField(blank=True, null=True, verbose_name='nombre')),
                        ('text', models.CharField(blank=True, max_length=500, verbose_name='texte')),
                        ('sheet', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='answers', to='participation.answersheet', verbose_name='questionnaire')),
                        ('choice', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='answers', to='participation.choice')),
                        ('question', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='answers', to='participation.question', verbose_name='question')),
                    ],
                    options={
                        'verbose_name': 'réponse',
                        'verbose_name_plural': 'réponses',
                        'db_table': 'outreach_answer',
                        'indexes': [models.Index(fields=['question', 'choice'], name='answer_question_choice')],
                        'constraints': [models.UniqueConstraint(fields=('sheet', 'question', 'choice'), name='answer_choice_once'), models.UniqueConstraint(condition=models.Q(('choice__isnull', True)), fields=('sheet', 'question'), name='answer_value_once')],
                    },
                ),
                migrations.AddConstraint(
                    model_name='question',
                    constraint=models.UniqueConstraint(deferrable=django.db.models.constraints.Deferrable['DEFERRED'], fields=('survey', 'position'), name='question_position_unique'),
                ),
                migrations.AddConstraint(
                    model_name='question',
                    constraint=models.CheckConstraint(condition=models.Q(('min_value__isnull', True), ('max_value__isnull', True), ('max_value__gt', models.F('min_value')), _connector='OR'), name='question_max_above_min', violation_error_message='Le maximum doit être supérieur au minimum.'),
                ),
                migrations.AddConstraint(
                    model_name='answersheet',
                    constraint=models.CheckConstraint(condition=models.Q(('wants_contact', True), models.Q(('contact_name', ''), ('contact', '')), _connector='OR'), name='answer_sheet_anonymous_without_consent'),
                ),
                migrations.AddConstraint(
                    model_name='userrequest',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'refusee'), _negated=True), models.Q(('decline_reason', ''), _negated=True), _connector='OR'), name='user_request_declined_with_reason', violation_error_message='Indiquez le motif du refus.'),
                ),
            ],
        ),
    ]
