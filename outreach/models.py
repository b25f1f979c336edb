"""Outreach: places, permanences, the people met, rights-access sessions, rights files
(dossiers), referrals and collective actions.

Vocabulary and what is recorded: docs/outreach.md (« Vocabulaire et sources »), after the
practice of health mediation (Code de la santé publique, art. L1110-13; HAS référentiel of
October 2017) and of rights-access permanences. Mediators' notes
(`RightsSession.notes`) are private to the `mediation` and `direction` roles; reception only
ever sees a `Referral` (its reason for reception, urgency and status).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class TransitionError(Exception):
    """A status change that the current status does not allow (French message)."""


# --- Vocabulary -----------------------------------------------------------------------------


class PlaceKind(models.TextChoices):
    SOCIAL_CENTRE = "centre_social", "Centre social / maison de quartier"
    CCAS = "ccas", "CCAS"
    HOSTEL = "foyer", "Foyer / résidence sociale"
    ASSOCIATION = "association", "Association"
    SCHOOL = "ecole", "École"
    MARKET = "marche", "Marché"
    STREET = "rue", "Rue / espace public"
    HOME_VISIT = "domicile", "Visite à domicile"


class Sex(models.TextChoices):
    FEMALE = "F", "Femme"
    MALE = "M", "Homme"
    UNKNOWN = "", "Non renseigné"


class AgeBand(models.TextChoices):
    UNDER_18 = "lt18", "Moins de 18 ans"
    FROM_18 = "18_25", "18–25 ans"
    FROM_26 = "26_44", "26–44 ans"
    FROM_45 = "45_64", "45–64 ans"
    FROM_65 = "65p", "65 ans et plus"
    UNKNOWN = "", "Non renseigné"


class TriState(models.TextChoices):
    YES = "oui", "Oui"
    NO = "non", "Non"
    UNKNOWN = "nsp", "Ne sait pas"


class Channel(models.TextChoices):
    PERMANENCE = "permanence", "Permanence"
    PHONE = "telephone", "Téléphone"
    HOME_VISIT = "domicile", "Visite à domicile"
    CENTRE = "centre", "Au centre de santé"


class Situation(models.TextChoices):
    NO_COVERAGE = "sans_couverture", "Aucune couverture"
    AMO_ONLY = "amo_sans_complementaire", "AMO sans complémentaire"
    RIGHTS_ENDING = "droits_fin", "Droits terminés ou bientôt terminés"
    C2S_AME_EXPIRED = "c2s_ame_expiree", "C2S / AME expirée"
    NO_GP = "sans_medecin_traitant", "Pas de médecin traitant"
    NO_CARD = "sans_carte_vitale", "Pas de carte Vitale"
    OTHER = "autre", "Autre"
    UNKNOWN = "", "Non renseignée"


class Topic(models.TextChoices):
    AMO = "amo", "AMO / PUMa (ouverture, renouvellement)"
    C2S = "c2s", "Complémentaire santé solidaire (C2S)"
    AME = "ame", "Aide médicale de l'État (AME)"
    COMPLEMENTARY = "complementaire", "Complémentaire / mutuelle communale"
    GP = "medecin_traitant", "Médecin traitant"
    VITALE = "carte_vitale", "Carte Vitale"
    MDPH = "mdph", "MDPH / handicap"
    INVALIDITY = "invalidite", "Invalidité"
    MATERNITY = "maternite", "Maternité"
    PREVENTION = "prevention", "Prévention et dépistage"
    MENTAL_HEALTH = "sante_mentale", "Santé mentale"
    DENTAL_OPTICAL = "dentaire_optique", "Dentaire / optique"
    HOUSING_INCOME = "logement_revenus", "Logement ou revenus liés à la santé"
    OTHER = "autre", "Autre"
    # Historical values (CMU-C and ACS became the C2S in November 2019): kept readable in old
    # records, not offered for new sessions.
    CMU_C = "cmu_c", "CMU-C (avant nov. 2019)"
    ACS = "acs", "ACS (avant nov. 2019)"


HISTORICAL_TOPICS = frozenset({Topic.CMU_C, Topic.ACS})
CURRENT_TOPICS = [(v, label) for v, label in Topic.choices if v not in HISTORICAL_TOPICS]


class Action(models.TextChoices):
    INFORMATION = "information", "Information"
    FORM_FILLED = "dossier_rempli", "Dossier rempli ensemble"
    FILE_SENT = "dossier_envoye", "Dossier envoyé"
    CALL_BODY = "appel_organisme", "Appel / courriel à un organisme (avec accord)"
    ACCOMPANIMENT = "accompagnement", "Accompagnement physique"
    APPOINTMENT = "rdv_centre", "Rendez-vous pris au centre"
    ORIENTATION = "orientation", "Orientation vers un partenaire"


# Acting with a body on the person's behalf needs the person's consent (date and scope).
ACTIONS_NEEDING_CONSENT = frozenset({Action.CALL_BODY, Action.FILE_SENT})


class Interpreting(models.TextChoices):
    NONE = "aucun", "Aucun"
    PRO_ON_SITE = "pro_sur_place", "Professionnel sur place"
    PRO_PHONE = "pro_telephone", "Professionnel par téléphone"
    VOLUNTEER = "benevole", "Bénévole / proche"


class Outcome(models.TextChoices):
    IN_PROGRESS = "en_cours", "En cours"
    RESOLVED = "resolu", "Résolu"
    SUBMITTED = "depose", "Dossier déposé — en attente de décision"
    REFERRED = "oriente", "Orienté·e"
    ABANDONED = "abandon", "Abandon / perdu de vue"


class RightKind(models.TextChoices):
    AMO = "amo", "AMO / PUMa"
    C2S = "c2s", "C2S"
    AME = "ame", "AME"
    COMPLEMENTARY = "complementaire", "Complémentaire / mutuelle communale"
    GP = "medecin_traitant", "Déclaration de médecin traitant"
    VITALE = "carte_vitale", "Carte Vitale"
    MDPH = "mdph", "MDPH / handicap"
    INVALIDITY = "invalidite", "Pension d'invalidité"
    OTHER = "autre", "Autre"
    CMU_C = "cmu_c", "CMU-C (avant nov. 2019)"
    ACS = "acs", "ACS (avant nov. 2019)"


# --- Places and permanences -----------------------------------------------------------------


class Place(models.Model):
    """A partner place where permanences or collective actions are held (lieu)."""

    name = models.CharField("nom", max_length=200, unique=True)
    kind = models.CharField("type de lieu", max_length=20, choices=PlaceKind.choices)
    address = models.CharField("adresse", max_length=250, blank=True)
    neighbourhood = models.CharField("quartier", max_length=100, blank=True)
    in_qpv = models.BooleanField("en quartier prioritaire (QPV)", default=False)
    site = models.ForeignKey(
        "centre.Site",
        on_delete=models.PROTECT,
        related_name="outreach_places",
        verbose_name="site de rattachement",
        help_text="Le site du centre dont dépend ce lieu (pour les indicateurs par site).",
    )
    partner_contact = models.CharField("contact partenaire", max_length=250, blank=True)
    is_active = models.BooleanField("actif", default=True)

    class Meta:
        verbose_name = "lieu"
        verbose_name_plural = "lieux"
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class CancelScope(models.TextChoices):
    """What cancelling a permanence of a series covers."""

    ONE = "one", "Seulement celle-ci"
    FOLLOWING = "following", "Celle-ci et les suivantes de la série"


class PermanenceQuerySet(models.QuerySet["Permanence"]):
    def on_day(self, day: datetime.date) -> PermanenceQuerySet:
        return self.filter(start__date=day)

    def in_month(self, year: int, month: int) -> PermanenceQuerySet:
        return self.filter(start__year=year, start__month=month)


class Permanence(models.Model):
    """One occurrence of a permanence at a place. A recurring permanence is a series of
    occurrences sharing `series` (created together), so each one can be moved or cancelled."""

    place = models.ForeignKey(
        Place, on_delete=models.PROTECT, related_name="permanences", verbose_name="lieu"
    )
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="outreach_permanences",
        verbose_name="médiateur·rice",
    )
    start = models.DateTimeField("début")
    end = models.DateTimeField("fin")
    series = models.UUIDField("série", null=True, blank=True, db_index=True)
    is_cancelled = models.BooleanField("annulée", default=False)
    # Shown with « Annulée » on the day view, the calendar and the printed programme that
    # partners pin up: a public word, never a personal detail.
    cancellation_reason = models.CharField(
        "motif d'annulation",
        max_length=200,
        blank=True,
        help_text="Affiché sur le programme : pas de détail personnel (ex. « congés », "
        "« locaux du partenaire fermés »).",
    )
    public_note = models.CharField(
        "mention pour le programme", max_length=200, blank=True, help_text="Ex. « sans RDV »."
    )

    objects = PermanenceQuerySet.as_manager()

    class Meta:
        verbose_name = "permanence"
        verbose_name_plural = "permanences"
        ordering = ("start",)
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="permanence_end_after_start",
                violation_error_message="La fin doit être après le début.",
            )
        ]
        indexes = [models.Index(fields=("start",), name="permanence_start")]

    def __str__(self) -> str:
        local = timezone.localtime(self.start)
        return f"{self.place} — {local:%d/%m/%Y %H:%M}"

    def cancel_refusal(self, *, now: datetime.datetime) -> str:
        """Why this permanence cannot be cancelled ("" if it can), leaving aside the sessions
        entered on it (a query: `services.permanence_cancel` checks them). A permanence is
        over once it has ended: one under way may still be cancelled (the partner closes
        its premises at 3 pm), as `services.place_update` counts it as still planned."""
        if self.is_cancelled:
            return "Cette permanence est déjà annulée."
        if self.end <= now:
            return "Cette permanence est passée : elle ne peut plus être annulée."
        return ""

    def cancel(self, *, now: datetime.datetime, reason: str = "") -> None:
        refusal = self.cancel_refusal(now=now)
        if refusal:
            raise TransitionError(refusal)
        self.is_cancelled = True
        self.cancellation_reason = reason.strip()


# --- People and sessions ----------------------------------------------------------------------


class Person(models.Model):
    """A person met in outreach: anonymous (sex, age band, QPV, neighbourhood, language) until
    linked — with consent — to a patient record of the centre."""

    alias = models.CharField(
        "repère",
        max_length=60,
        blank=True,
        help_text="Facultatif : initiales ou prénom, pour la retrouver lors du suivi.",
    )
    patient = models.OneToOneField(
        "patients.Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outreach_person",
        verbose_name="patient·e",
    )
    sex = models.CharField("sexe", max_length=1, choices=Sex.choices, blank=True)
    age_band = models.CharField("âge", max_length=5, choices=AgeBand.choices, blank=True)
    in_qpv = models.CharField(
        "habite en QPV", max_length=3, choices=TriState.choices, default=TriState.UNKNOWN
    )
    neighbourhood = models.CharField("quartier", max_length=100, blank=True)
    language = models.CharField("langue", max_length=10, default="fr")
    linked_at = models.DateTimeField("rattachée le", null=True, blank=True)
    link_consent_on = models.DateField("accord de rattachement le", null=True, blank=True)
    created_at = models.DateTimeField("créée le", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )

    class Meta:
        verbose_name = "personne rencontrée"
        verbose_name_plural = "personnes rencontrées"
        ordering = ("-created_at",)

    def __str__(self) -> str:
        if self.patient_id is not None:
            return str(self.patient)
        label = self.alias or f"Personne n° {self.pk}"
        parts = [
            self.get_sex_display() if self.sex else "",
            self.get_age_band_display() if self.age_band else "",
            self.neighbourhood,
        ]
        details = ", ".join(p for p in parts if p)
        return f"{label} ({details})" if details else label

    @property
    def is_anonymous(self) -> bool:
        return self.patient_id is None


class FileStatus(models.TextChoices):
    NEED = "besoin", "Besoin identifié"
    DOCUMENTS = "pieces", "Pièces réunies"
    FILED = "depose", "Déposé"
    DECIDED = "decide", "Décision reçue"
    ABANDONED = "abandon", "Abandonné"


class Decision(models.TextChoices):
    GRANTED = "accorde", "Accordé"
    PARTIAL = "partiel", "Accordé partiellement"
    REFUSED = "refuse", "Refusé"


class FiledHow(models.TextChoices):
    POST = "courrier", "Courrier"
    ONLINE = "en_ligne", "En ligne"
    IN_PERSON = "guichet", "Au guichet"
    EMAIL = "courriel", "Courriel"


class RightsFileQuerySet(models.QuerySet["RightsFile"]):
    def open(self) -> RightsFileQuerySet:
        return self.exclude(status__in=(FileStatus.DECIDED, FileStatus.ABANDONED))


class RightsFile(models.Model):
    """A dossier: the sessions about one need, from the need to the decision. Funders ask for
    the time from filing to decision (Saint-Denis PASS de ville: 30 days on average)."""

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="files", verbose_name="personne"
    )
    kind = models.CharField("droit", max_length=20, choices=RightKind.choices)
    status = models.CharField(
        "étape", max_length=10, choices=FileStatus.choices, default=FileStatus.NEED
    )
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="outreach_files",
        verbose_name="suivi par",
    )
    opened_on = models.DateField("besoin identifié le")
    documents_on = models.DateField("pièces réunies le", null=True, blank=True)
    filed_on = models.DateField("déposé le", null=True, blank=True)
    filed_how = models.CharField("déposé par", max_length=10, choices=FiledHow.choices, blank=True)
    decided_on = models.DateField("décision du", null=True, blank=True)
    decision = models.CharField("décision", max_length=10, choices=Decision.choices, blank=True)
    effective_from = models.DateField("droits ouverts à partir du", null=True, blank=True)
    closed_on = models.DateField("clos le", null=True, blank=True)

    objects = RightsFileQuerySet.as_manager()

    class Meta:
        verbose_name = "dossier"
        verbose_name_plural = "dossiers"
        ordering = ("-opened_on", "-pk")
        constraints = [
            models.CheckConstraint(
                condition=Q(filed_on__isnull=True) | Q(filed_on__gte=F("opened_on")),
                name="rights_file_filed_after_opened",
            ),
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True)
                | (Q(filed_on__isnull=False) & Q(decided_on__gte=F("filed_on"))),
                name="rights_file_decided_after_filed",
            ),
        ]

    def __str__(self) -> str:
        return f"Dossier {self.get_kind_display()} — {self.person}"

    @property
    def is_open(self) -> bool:
        return self.status not in (FileStatus.DECIDED, FileStatus.ABANDONED)

    @property
    def days_to_decision(self) -> int | None:
        """Days from filing to the decision (the figure funders ask for)."""
        if self.filed_on and self.decided_on:
            return (self.decided_on - self.filed_on).days
        return None

    def _check(self, allowed: tuple[str, ...], what: str) -> None:
        if self.status not in allowed:
            raise TransitionError(
                f"Impossible de {what} : le dossier est à l'étape « {self.get_status_display()} »."
            )

    def gather_documents(self, *, on: datetime.date) -> None:
        self._check((FileStatus.NEED,), "noter les pièces réunies")
        if on < self.opened_on:
            raise TransitionError("Les pièces ne peuvent être réunies avant le besoin.")
        self.documents_on = on
        self.status = FileStatus.DOCUMENTS

    def file(self, *, on: datetime.date, how: str) -> None:
        self._check((FileStatus.NEED, FileStatus.DOCUMENTS), "déposer le dossier")
        if on < self.opened_on:
            raise TransitionError("Le dépôt ne peut précéder l'identification du besoin.")
        if how not in FiledHow.values:
            raise TransitionError("Indiquez comment le dossier a été déposé.")
        self.filed_on = on
        self.filed_how = how
        self.status = FileStatus.FILED

    def decide(
        self, *, on: datetime.date, decision: str, effective_from: datetime.date | None
    ) -> None:
        self._check((FileStatus.FILED,), "noter la décision")
        assert self.filed_on is not None
        if on < self.filed_on:
            raise TransitionError("La décision ne peut précéder le dépôt.")
        if decision not in Decision.values:
            raise TransitionError("Décision inconnue.")
        if decision != Decision.REFUSED and effective_from is None:
            raise TransitionError("Indiquez la date d'ouverture des droits.")
        self.decided_on = on
        self.decision = decision
        self.effective_from = effective_from if decision != Decision.REFUSED else None
        self.closed_on = on
        self.status = FileStatus.DECIDED

    def abandon(self, *, on: datetime.date) -> None:
        self._check(
            (FileStatus.NEED, FileStatus.DOCUMENTS, FileStatus.FILED), "abandonner le dossier"
        )
        self.closed_on = on
        self.status = FileStatus.ABANDONED


class RightsSessionQuerySet(models.QuerySet["RightsSession"]):
    def followups_due(self, *, on: datetime.date) -> RightsSessionQuerySet:
        """Follow-ups planned on or before `on` and not done yet."""
        return self.filter(followup_on__lte=on, followup_done_at__isnull=True)

    def in_period(self, start: datetime.date, end: datetime.date) -> RightsSessionQuerySet:
        return self.filter(held_on__gte=start, held_on__lte=end)


class RightsSession(models.Model):
    """One person, one meeting (entretien d'accès aux droits)."""

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="sessions", verbose_name="personne"
    )
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="outreach_sessions",
        verbose_name="médiateur·rice",
    )
    channel = models.CharField(
        "où", max_length=12, choices=Channel.choices, default=Channel.PERMANENCE
    )
    permanence = models.ForeignKey(
        Permanence,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name="permanence",
    )
    place = models.ForeignKey(
        Place,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name="lieu",
    )
    # Denormalised from the place (or the mediator's site) so indicators filter by site in
    # one join-free WHERE.
    site = models.ForeignKey(
        "centre.Site", on_delete=models.PROTECT, related_name="+", verbose_name="site"
    )
    held_on = models.DateField("date")
    started_at = models.TimeField("heure", null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField("durée (minutes)", default=20)
    first_contact = models.BooleanField("premier contact", default=True)
    situation = models.CharField(
        "situation à l'arrivée", max_length=30, choices=Situation.choices, blank=True
    )
    topics = ArrayField(
        models.CharField(max_length=20, choices=Topic.choices), verbose_name="sujets"
    )
    actions = ArrayField(
        models.CharField(max_length=20, choices=Action.choices),
        verbose_name="actions",
        default=list,
        blank=True,
    )
    interpreting = models.CharField(
        "interprétariat", max_length=15, choices=Interpreting.choices, default=Interpreting.NONE
    )
    interpreter_language = models.CharField("langue d'interprétariat", max_length=10, blank=True)
    outcome = models.CharField(
        "issue", max_length=10, choices=Outcome.choices, default=Outcome.IN_PROGRESS
    )
    followup_on = models.DateField("suivi prévu le", null=True, blank=True)
    followup_done_at = models.DateTimeField("suivi fait le", null=True, blank=True)
    file = models.ForeignKey(
        RightsFile,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name="dossier",
    )
    consent_on = models.DateField("accord de la personne le", null=True, blank=True)
    consent_scope = models.CharField("portée de l'accord", max_length=200, blank=True)
    notes = models.TextField("notes de médiation (confidentielles)", blank=True)
    created_at = models.DateTimeField("saisie le", default=timezone.now)

    objects = RightsSessionQuerySet.as_manager()

    class Meta:
        verbose_name = "entretien"
        verbose_name_plural = "entretiens"
        ordering = ("-held_on", "-started_at", "-pk")
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1) & Q(duration_minutes__lte=480),
                name="session_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(followup_on__isnull=True) | Q(followup_on__gte=F("held_on")),
                name="session_followup_after_session",
            ),
        ]
        indexes = [
            models.Index(fields=("held_on",), name="session_held_on"),
            models.Index(
                fields=("followup_on",),
                condition=Q(followup_done_at__isnull=True, followup_on__isnull=False),
                name="session_followup_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"Entretien du {self.held_on:%d/%m/%Y} — {self.person}"

    def topic_labels(self) -> list[str]:
        return [Topic(t).label for t in self.topics if t in Topic.values]

    def action_labels(self) -> list[str]:
        return [Action(a).label for a in self.actions if a in Action.values]

    def mark_followup_done(self, *, at: datetime.datetime) -> None:
        if self.followup_on is None:
            raise TransitionError("Aucun suivi n'était prévu pour cet entretien.")
        if self.followup_done_at is not None:
            raise TransitionError("Ce suivi est déjà fait.")
        self.followup_done_at = at


# --- Referrals --------------------------------------------------------------------------------


class ReferralTarget(models.TextChoices):
    CENTRE = "centre", "Le centre de santé (rendez-vous)"
    PASS = "pass", "PASS"
    CCAS = "ccas", "CCAS"
    CPAM = "cpam", "CPAM"
    SOCIAL_WORKER = "assistante_sociale", "Assistant·e social·e"
    PMI = "pmi", "PMI"
    CMP = "cmp", "CMP"
    HOSPITAL = "hopital", "Hôpital"
    ASSOCIATION = "association", "Association"
    OTHER = "autre", "Autre partenaire"


class Urgency(models.TextChoices):
    NORMAL = "normale", "Normale"
    SOON = "rapide", "Dans la semaine"
    URGENT = "urgente", "Urgente (sous 48 h)"


# How long a referral may wait before it is late: « sous 48 h » and « dans la semaine » say it
# in their label; a normal one is the centre's own target of a month (docs/outreach.md).
URGENCY_DELAY = {
    Urgency.URGENT: datetime.timedelta(hours=48),
    Urgency.SOON: datetime.timedelta(days=7),
    Urgency.NORMAL: datetime.timedelta(days=30),
}


def referral_due_at(urgency: str, created_at: datetime.datetime) -> datetime.datetime:
    return created_at + URGENCY_DELAY[Urgency(urgency)]


class ReferralStatus(models.TextChoices):
    PENDING = "attente", "En attente"
    BOOKED = "programmee", "Programmée"
    DECLINED = "refusee", "Refusée"
    CANCELLED = "annulee", "Annulée"


class ReferralQuerySet(models.QuerySet["Referral"]):
    def pending_to_centre(self) -> ReferralQuerySet:
        return self.filter(target=ReferralTarget.CENTRE, status=ReferralStatus.PENDING)

    def overdue(self, now: datetime.datetime | None = None) -> ReferralQuerySet:
        """Still waiting after their urgency's deadline."""
        return self.filter(status=ReferralStatus.PENDING, due_at__lt=now or timezone.now())


class Referral(models.Model):
    """An orientation: to the centre (a booking request reception works from a queue) or to
    a partner (PASS, CCAS, CPAM…), with its outcome."""

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="referrals", verbose_name="personne"
    )
    session = models.ForeignKey(
        RightsSession,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name="entretien",
    )
    target = models.CharField("vers", max_length=20, choices=ReferralTarget.choices)
    partner_name = models.CharField("partenaire (nom)", max_length=120, blank=True)
    site = models.ForeignKey(
        "centre.Site",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="site",
    )
    reason = models.CharField(
        "motif pour l'accueil",
        max_length=250,
        help_text="Visible par l'accueil : pas de détail médical ou social inutile.",
    )
    consultation_type = models.ForeignKey(
        "appointments.ConsultationType",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="consultation souhaitée",
    )
    urgency = models.CharField(
        "urgence", max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    appointment = models.OneToOneField(
        "appointments.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outreach_referral",
        verbose_name="rendez-vous",
    )
    interpreter_language = models.CharField("interprète en", max_length=10, blank=True)
    status = models.CharField(
        "statut", max_length=12, choices=ReferralStatus.choices, default=ReferralStatus.PENDING
    )
    outcome = models.CharField("suite donnée", max_length=250, blank=True)
    decided_at = models.DateTimeField("traitée le", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="traitée par",
    )
    created_at = models.DateTimeField("demandée le", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="outreach_referrals",
        verbose_name="demandée par",
    )
    # Set from the urgency when the referral is made (`referral_due_at`).
    due_at = models.DateTimeField("à programmer avant le")
    # Why the motif may not fit the person as recorded, said when it was made (a warning,
    # not a refusal: reception sees it in its queue).
    fit_warning = models.CharField("point d'attention", max_length=250, blank=True)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        verbose_name = "orientation"
        verbose_name_plural = "orientations"
        ordering = ("-created_at",)
        indexes = [
            models.Index(
                fields=("created_at",),
                condition=Q(status="attente", target="centre"),
                name="referral_pending_centre",
            ),
            models.Index(
                fields=("due_at",),
                condition=Q(status="attente"),
                name="referral_pending_due",
            ),
        ]

    def __str__(self) -> str:
        return f"Orientation vers {self.get_target_display()} — {self.person}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.due_at is None:
            self.due_at = referral_due_at(self.urgency, self.created_at)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def is_overdue(self, now: datetime.datetime | None = None) -> bool:
        return self.status == ReferralStatus.PENDING and self.due_at < (now or timezone.now())

    @property
    def overdue(self) -> bool:
        return self.is_overdue()

    @property
    def days_late(self) -> int:
        """Whole days past the deadline (0 when not late)."""
        if not self.is_overdue():
            return 0
        return (timezone.now() - self.due_at).days

    def _decide(self, status: str, *, by: object, at: datetime.datetime, outcome: str) -> None:
        if self.status != ReferralStatus.PENDING:
            raise TransitionError(
                f"Cette orientation est déjà « {self.get_status_display().lower()} »."
            )
        self.status = status
        self.decided_at = at
        self.decided_by = by  # type: ignore[assignment]
        if outcome:
            self.outcome = outcome

    def mark_booked(self, *, by: object, at: datetime.datetime, outcome: str = "") -> None:
        self._decide(ReferralStatus.BOOKED, by=by, at=at, outcome=outcome)

    def decline(self, *, by: object, at: datetime.datetime, reason: str) -> None:
        if not reason.strip():
            raise TransitionError("Indiquez pourquoi l'orientation est refusée.")
        self._decide(ReferralStatus.DECLINED, by=by, at=at, outcome=reason.strip())

    def cancel(self, *, by: object, at: datetime.datetime, reason: str = "") -> None:
        self._decide(ReferralStatus.CANCELLED, by=by, at=at, outcome=reason.strip())


# --- Collective actions -----------------------------------------------------------------------


class CollectiveKind(models.TextChoices):
    WORKSHOP = "atelier", "Atelier santé"
    ETP = "etp", "Éducation thérapeutique (groupe)"
    CAFE = "cafe_sante", "Café Santé"
    SCREENING = "depistage", "Dépistage"
    VACCINATION = "vaccination", "Journée de vaccination"
    WALK = "marche", "Marche santé"
    STAND = "stand", "Stand d'information"
    CHECKUP = "bilan", "Bilan de santé hors les murs"
    TRAINING = "formation", "Formation de professionnels"
    MEETING = "reunion", "Réunion publique / comité d'usagers"


class Theme(models.TextChoices):
    RIGHTS = "droits", "Accès aux droits"
    NUTRITION = "nutrition", "Alimentation"
    DIABETES = "diabete", "Diabète"
    VACCINATION = "vaccination", "Vaccination"
    EYES = "vue", "Vue"
    TEETH = "dentaire", "Santé bucco-dentaire"
    MENTAL = "sante_mentale", "Santé mentale"
    WOMEN = "sante_femmes", "Santé des femmes"
    PHYSICAL = "activite_physique", "Activité physique"
    ADDICTION = "addictions", "Addictions"
    CANCER = "cancer", "Dépistage des cancers"
    OTHER = "autre", "Autre"


class CollectiveAction(models.Model):
    kind = models.CharField("type d'action", max_length=15, choices=CollectiveKind.choices)
    title = models.CharField("intitulé", max_length=200)
    place = models.ForeignKey(
        Place,
        on_delete=models.PROTECT,
        related_name="collective_actions",
        verbose_name="lieu",
    )
    site = models.ForeignKey(
        "centre.Site", on_delete=models.PROTECT, related_name="+", verbose_name="site"
    )
    held_on = models.DateField("date")
    start_time = models.TimeField("début", null=True, blank=True)
    end_time = models.TimeField("fin", null=True, blank=True)
    partners = models.CharField("partenaires", max_length=250, blank=True)
    participants_count = models.PositiveIntegerField("nombre de participant·e·s")
    attendees = models.ManyToManyField(
        "patients.Patient",
        blank=True,
        related_name="outreach_collective_actions",
        verbose_name="patient·e·s présent·e·s",
    )
    # People met by the mediation who came without a patient record (named by their alias).
    attendee_persons = models.ManyToManyField(
        "outreach.Person",
        blank=True,
        related_name="collective_actions",
        verbose_name="personnes rencontrées présentes",
    )
    themes = ArrayField(
        models.CharField(max_length=20, choices=Theme.choices),
        verbose_name="thèmes",
        default=list,
        blank=True,
    )
    cls_action = models.CharField(
        "fiche action du CLS",
        max_length=30,
        blank=True,
        help_text="Référence au contrat local de santé, ex. « Axe 2 — fiche 2.3 ».",
    )
    notes = models.TextField("bilan", blank=True)
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="outreach_collective_actions",
        verbose_name="organisé par",
    )
    created_at = models.DateTimeField("saisie le", default=timezone.now)

    class Meta:
        verbose_name = "action collective"
        verbose_name_plural = "actions collectives"
        ordering = ("-held_on", "-pk")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__isnull=True)
                | Q(start_time__isnull=True)
                | Q(end_time__gt=F("start_time")),
                name="collective_action_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.held_on:%d/%m/%Y})"

    def theme_labels(self) -> list[str]:
        return [Theme(t).label for t in self.themes if t in Theme.values]
