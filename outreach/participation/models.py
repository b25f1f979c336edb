"""Participation of inhabitants: surveys (questionnaires designed with inhabitants, typed in
from paper by volunteers or answered through a public link) and the users' committee
(meetings, decisions and their follow-up, ideas and requests raised by users).

What the models must serve is in docs/participation.md: paper questionnaires handed out widely
(few come back), then collected face to face by trained inhabitants for a health diagnosis,
and a users' committee whose decisions and answers to requests are followed up.

A Django app of its own (label `participation`); the tables keep the names they had in
`outreach` (`Meta.db_table`), see participation/migrations/0001_initial.py.
"""

from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from outreach.models import TransitionError

# --- Surveys ----------------------------------------------------------------------------------


class SurveyStatus(models.TextChoices):
    DRAFT = "brouillon", "En préparation"
    OPEN = "ouverte", "Ouverte à la saisie"
    CLOSED = "close", "Close"


class QuestionKind(models.TextChoices):
    SINGLE = "choix_unique", "Choix unique"
    MULTIPLE = "choix_multiple", "Choix multiple"
    SCALE = "echelle", "Échelle"
    NUMBER = "nombre", "Nombre"
    TEXT = "texte", "Texte court"


CHOICE_KINDS = frozenset({QuestionKind.SINGLE, QuestionKind.MULTIPLE})
NUMERIC_KINDS = frozenset({QuestionKind.SCALE, QuestionKind.NUMBER})

# Languages a questionnaire may be translated into (the languages met at the centre).
LANGUAGES = (
    ("en", "Anglais"),
    ("ar", "Arabe"),
    ("es", "Espagnol"),
    ("pt", "Portugais"),
    ("tr", "Turc"),
    ("ro", "Roumain"),
    ("ru", "Russe"),
    ("uk", "Ukrainien"),
    ("wo", "Wolof"),
)
LANGUAGE_LABELS = dict(LANGUAGES)


def new_public_token() -> str:
    return secrets.token_urlsafe(18)


class Survey(models.Model):
    title = models.CharField("titre", max_length=200)
    introduction = models.TextField(
        "introduction",
        blank=True,
        help_text="Lue en haut du questionnaire : qui le mène, pourquoi, ce que deviennent "
        "les réponses.",
    )
    languages = models.JSONField(
        "traductions", default=list, blank=True, help_text="Codes des langues proposées."
    )
    status = models.CharField(
        "état", max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT
    )
    public_token = models.CharField(
        "jeton du lien public", max_length=40, unique=True, null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("créée le", default=timezone.now)
    opened_at = models.DateTimeField("ouverte le", null=True, blank=True)
    closed_at = models.DateTimeField("close le", null=True, blank=True)

    class Meta:
        db_table = "outreach_survey"
        verbose_name = "enquête"
        verbose_name_plural = "enquêtes"
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == SurveyStatus.OPEN

    @property
    def is_editable(self) -> bool:
        """Questions change only before entry starts: answers must keep their meaning."""
        return self.status == SurveyStatus.DRAFT

    def open(self, *, at: datetime.datetime) -> None:
        if self.status == SurveyStatus.OPEN:
            raise TransitionError("L'enquête est déjà ouverte à la saisie.")
        if not self.questions.exists():
            raise TransitionError("Ajoutez au moins une question avant d'ouvrir l'enquête.")
        self.status = SurveyStatus.OPEN
        self.opened_at = self.opened_at or at
        self.closed_at = None

    def close(self, *, at: datetime.datetime) -> None:
        if self.status != SurveyStatus.OPEN:
            raise TransitionError("Seule une enquête ouverte peut être close.")
        self.status = SurveyStatus.CLOSED
        self.closed_at = at


class Question(models.Model):
    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="questions", verbose_name="enquête"
    )
    position = models.PositiveIntegerField("ordre")
    kind = models.CharField("type", max_length=15, choices=QuestionKind.choices)
    text = models.CharField("question", max_length=300)
    translations = models.JSONField("traductions", default=dict, blank=True)
    required = models.BooleanField("réponse obligatoire", default=False)
    min_value = models.IntegerField("minimum", null=True, blank=True)
    max_value = models.IntegerField("maximum", null=True, blank=True)

    class Meta:
        db_table = "outreach_question"
        verbose_name = "question"
        verbose_name_plural = "questions"
        ordering = ("survey", "position")
        constraints = [
            models.UniqueConstraint(
                fields=("survey", "position"),
                name="question_position_unique",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(max_value__gt=F("min_value")),
                name="question_max_above_min",
                violation_error_message="Le maximum doit être supérieur au minimum.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.text}"

    def text_in(self, language: str) -> str:
        return str(self.translations.get(language) or self.text)

    @property
    def has_choices(self) -> bool:
        return self.kind in CHOICE_KINDS

    @property
    def is_numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS


class Choice(models.Model):
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="choices", verbose_name="question"
    )
    position = models.PositiveIntegerField("ordre")
    label = models.CharField("réponse proposée", max_length=200)
    translations = models.JSONField("traductions", default=dict, blank=True)

    class Meta:
        db_table = "outreach_choice"
        verbose_name = "réponse proposée"
        verbose_name_plural = "réponses proposées"
        ordering = ("question", "position")

    def __str__(self) -> str:
        return self.label

    def label_in(self, language: str) -> str:
        return str(self.translations.get(language) or self.label)


class SheetChannel(models.TextChoices):
    PAPER = "papier", "Questionnaire papier saisi"
    ONLINE = "en_ligne", "En ligne (lien public)"


class AnswerSheet(models.Model):
    """One person's questionnaire. Anonymous unless the person asked to be contacted (then
    only the contact they chose to give is kept)."""

    survey = models.ForeignKey(
        Survey, on_delete=models.PROTECT, related_name="sheets", verbose_name="enquête"
    )
    channel = models.CharField("canal", max_length=10, choices=SheetChannel.choices)
    language = models.CharField("langue", max_length=5, default="fr")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="saisi par",
    )
    created_at = models.DateTimeField("saisi le", default=timezone.now)
    wants_contact = models.BooleanField("souhaite être recontacté·e", default=False)
    contact_name = models.CharField("nom ou prénom", max_length=120, blank=True)
    contact = models.CharField("téléphone ou e-mail", max_length=200, blank=True)

    class Meta:
        db_table = "outreach_answersheet"
        verbose_name = "questionnaire rempli"
        verbose_name_plural = "questionnaires remplis"
        ordering = ("survey", "pk")
        constraints = [
            models.CheckConstraint(
                condition=Q(wants_contact=True) | (Q(contact_name="") & Q(contact="")),
                name="answer_sheet_anonymous_without_consent",
            )
        ]

    def __str__(self) -> str:
        return f"Questionnaire n° {self.pk} — {self.survey}"


class Answer(models.Model):
    """One answer: a choice (one row per ticked choice for multiple choice), a number (scale
    and number questions) or a short text."""

    sheet = models.ForeignKey(
        AnswerSheet, on_delete=models.CASCADE, related_name="answers", verbose_name="questionnaire"
    )
    question = models.ForeignKey(
        Question, on_delete=models.PROTECT, related_name="answers", verbose_name="question"
    )
    choice = models.ForeignKey(
        Choice, on_delete=models.PROTECT, null=True, blank=True, related_name="answers"
    )
    number = models.IntegerField("nombre", null=True, blank=True)
    text = models.CharField("texte", max_length=500, blank=True)

    class Meta:
        db_table = "outreach_answer"
        verbose_name = "réponse"
        verbose_name_plural = "réponses"
        constraints = [
            models.UniqueConstraint(
                fields=("sheet", "question", "choice"), name="answer_choice_once"
            ),
            models.UniqueConstraint(
                fields=("sheet", "question"),
                condition=Q(choice__isnull=True),
                name="answer_value_once",
            ),
        ]
        indexes = [models.Index(fields=("question", "choice"), name="answer_question_choice")]

    def __str__(self) -> str:
        return f"{self.question_id} : {self.choice_id or self.number or self.text}"


# --- Users' committee -------------------------------------------------------------------------


class CommitteeMeeting(models.Model):
    held_on = models.DateField("date")
    place = models.CharField("lieu", max_length=200)
    participants = models.PositiveIntegerField("participant·e·s", default=0)
    agenda = models.TextField("ordre du jour", blank=True)
    minutes = models.TextField("compte rendu", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        db_table = "outreach_committeemeeting"
        verbose_name = "réunion du comité d'usagers"
        verbose_name_plural = "réunions du comité d'usagers"
        ordering = ("-held_on", "-pk")

    def __str__(self) -> str:
        return f"Comité d'usagers du {self.held_on:%d/%m/%Y}"


class DecisionStatus(models.TextChoices):
    TODO = "a_faire", "À faire"
    IN_PROGRESS = "en_cours", "En cours"
    DONE = "faite", "Faite"
    DROPPED = "abandonnee", "Abandonnée"


DECISION_MOVES = {
    DecisionStatus.TODO: (DecisionStatus.IN_PROGRESS, DecisionStatus.DONE, DecisionStatus.DROPPED),
    DecisionStatus.IN_PROGRESS: (DecisionStatus.DONE, DecisionStatus.DROPPED),
    DecisionStatus.DONE: (),
    DecisionStatus.DROPPED: (),
}


class CommitteeDecision(models.Model):
    meeting = models.ForeignKey(
        CommitteeMeeting, on_delete=models.CASCADE, related_name="decisions"
    )
    text = models.CharField("décision", max_length=300)
    status = models.CharField(
        "suivi", max_length=12, choices=DecisionStatus.choices, default=DecisionStatus.TODO
    )
    follow_up = models.CharField("où en est-on", max_length=300, blank=True)
    updated_at = models.DateTimeField("mis à jour le", default=timezone.now)

    class Meta:
        db_table = "outreach_committeedecision"
        verbose_name = "décision du comité"
        verbose_name_plural = "décisions du comité"
        ordering = ("meeting", "pk")

    def __str__(self) -> str:
        return self.text

    def move_to(self, status: str, *, note: str, at: datetime.datetime) -> None:
        allowed = DECISION_MOVES.get(DecisionStatus(self.status), ())
        if status not in allowed:
            target = DecisionStatus(status).label if status in DecisionStatus.values else status
            raise TransitionError(
                f"Impossible de passer la décision de « {self.get_status_display()} » "
                f"à « {target} »."
            )
        self.status = status
        self.follow_up = note or self.follow_up
        self.updated_at = at


class RequestStatus(models.TextChoices):
    RECEIVED = "recue", "Reçue"
    STUDIED = "etudiee", "À l'étude"
    DONE = "realisee", "Réalisée"
    DECLINED = "refusee", "Refusée"


OPEN_REQUEST_STATUSES = (RequestStatus.RECEIVED, RequestStatus.STUDIED)


class UserRequestQuerySet(models.QuerySet["UserRequest"]):
    def open(self) -> UserRequestQuerySet:
        return self.filter(status__in=OPEN_REQUEST_STATUSES)


class UserRequest(models.Model):
    """An idea or a request raised by users (at a committee meeting, in the box, at the desk)."""

    raised_on = models.DateField("reçue le")
    summary = models.CharField("idée ou demande", max_length=300)
    details = models.TextField("détails", blank=True)
    meeting = models.ForeignKey(
        CommitteeMeeting,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name="soulevée en comité",
    )
    status = models.CharField(
        "état", max_length=10, choices=RequestStatus.choices, default=RequestStatus.RECEIVED
    )
    decline_reason = models.CharField("motif du refus", max_length=300, blank=True)
    status_changed_at = models.DateTimeField("état changé le", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = UserRequestQuerySet.as_manager()

    class Meta:
        db_table = "outreach_userrequest"
        verbose_name = "idée ou demande des usager·e·s"
        verbose_name_plural = "idées et demandes des usager·e·s"
        ordering = ("-raised_on", "-pk")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="refusee") | ~Q(decline_reason=""),
                name="user_request_declined_with_reason",
                violation_error_message="Indiquez le motif du refus.",
            )
        ]

    def __str__(self) -> str:
        return self.summary

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REQUEST_STATUSES

    def _check_open(self, what: str) -> None:
        if not self.is_open:
            raise TransitionError(
                f"Impossible de {what} : la demande est « {self.get_status_display()} »."
            )

    def study(self, *, at: datetime.datetime) -> None:
        if self.status != RequestStatus.RECEIVED:
            raise TransitionError("Seule une demande reçue peut être mise à l'étude.")
        self.status = RequestStatus.STUDIED
        self.status_changed_at = at

    def complete(self, *, at: datetime.datetime) -> None:
        self._check_open("la noter réalisée")
        self.status = RequestStatus.DONE
        self.status_changed_at = at

    def decline(self, *, reason: str, at: datetime.datetime) -> None:
        self._check_open("la refuser")
        if not reason.strip():
            raise TransitionError("Indiquez le motif du refus : il sera dit aux usager·e·s.")
        self.status = RequestStatus.DECLINED
        self.decline_reason = reason.strip()
        self.status_changed_at = at
