"""Appointments: consultation types, opening schedules, absences, the appointments themselves,
reminders, the waiting list and practitioners' calendar feeds.

Times are aware datetimes stored in UTC; the centre works in Europe/Paris (settings.TIME_ZONE).
Two PostgreSQL exclusion constraints make double booking impossible whatever the code path:
one practitioner cannot have two overlapping active appointments, and neither can one patient.
"""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, DateTimeRangeField, RangeOperators
from django.db import models
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Lower
from django.utils import timezone

from centre.models import Profession, User


class TransitionError(Exception):
    """A status change that the current status does not allow (French message)."""


class Colour(models.TextChoices):
    # Colours map to CSS classes (`rdv-colour-<value>`): no inline style under the CSP.
    BLUE = "blue", "Bleu"
    GREEN = "green", "Vert"
    ORANGE = "orange", "Orange"
    PURPLE = "purple", "Violet"
    TEAL = "teal", "Turquoise"
    PINK = "pink", "Rose"
    GREY = "grey", "Gris"


class ConsultationType(models.Model):
    """A reason for an appointment (motif), e.g. « Consultation de médecine générale »."""

    label = models.CharField("libellé", max_length=120, unique=True)
    profession = models.CharField("profession", max_length=40, choices=Profession.choices)
    duration_minutes = models.PositiveSmallIntegerField("durée par défaut (minutes)", default=20)
    colour = models.CharField("couleur", max_length=10, choices=Colour.choices, default="blue")
    bookable_by_mediators = models.BooleanField(
        "réservable par la médiation (orientation)", default=False
    )
    needs_interpreter_slot = models.BooleanField("nécessite un créneau d'interprète", default=False)
    is_active = models.BooleanField("actif", default=True)
    # Who the motif is meant for: an orientation or a booking that does not fit is warned
    # about, never refused (the record may be wrong, or the person's situation unusual).
    audience_sex = models.CharField(
        "destiné aux",
        max_length=1,
        blank=True,
        choices=(("", "Tout le monde"), ("F", "Femmes"), ("M", "Hommes")),
        default="",
    )
    audience_min_age = models.PositiveSmallIntegerField("âge minimum (ans)", null=True, blank=True)
    audience_max_age = models.PositiveSmallIntegerField("âge maximum (ans)", null=True, blank=True)

    class Meta:
        verbose_name = "motif de consultation"
        verbose_name_plural = "motifs de consultation"
        ordering = ("profession", "label")
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5) & Q(duration_minutes__lte=240),
                name="consultation_type_duration_range",
            ),
            # « Vaccination » and « vaccination » would be two entries of one select list:
            # the label is unique whatever its case, in the database too (two people creating
            # the same type at once, or the admin).
            models.UniqueConstraint(
                Lower("label"),
                name="consultation_type_label_ci_unique",
                violation_error_message="Un motif porte déjà ce libellé.",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def duration(self) -> datetime.timedelta:
        return datetime.timedelta(minutes=self.duration_minutes)

    def audience_mismatch(
        self, *, sex: str = "", ages: tuple[int | None, int | None] = (None, None)
    ) -> str:
        """Why this motif does not fit a person as recorded (French, for a warning), or "".

        `sex` is "F", "M" or "" (not recorded); `ages` the youngest and oldest the person can
        be (one age for a patient, an age band for someone met anonymously). Nothing is said
        when what is recorded cannot tell."""
        if self.audience_sex and sex and sex != self.audience_sex:
            meant = "aux femmes" if self.audience_sex == "F" else "aux hommes"
            recorded = "un homme" if sex == "M" else "une femme"
            return (
                f"« {self.label} » est destiné {meant} ; "
                f"la personne est enregistrée comme {recorded}."
            )
        youngest, oldest = ages
        if (
            self.audience_min_age is not None
            and oldest is not None
            and oldest < self.audience_min_age
        ):
            return f"« {self.label} » est prévu à partir de {self.audience_min_age} ans."
        if (
            self.audience_max_age is not None
            and youngest is not None
            and youngest > self.audience_max_age
        ):
            return f"« {self.label} » est prévu jusqu'à {self.audience_max_age} ans."
        return ""


class Weekday(models.IntegerChoices):
    MONDAY = 0, "lundi"
    TUESDAY = 1, "mardi"
    WEDNESDAY = 2, "mercredi"
    THURSDAY = 3, "jeudi"
    FRIDAY = 4, "vendredi"
    SATURDAY = 5, "samedi"
    SUNDAY = 6, "dimanche"


class WeeklySchedule(models.Model):
    """A recurring opening plage: practitioner P is at site S every <weekday> from
    <start_time> to <end_time> (Paris wall-clock time), between two dates."""

    practitioner = models.ForeignKey(
        "centre.StaffProfile",
        on_delete=models.PROTECT,
        related_name="weekly_schedules",
        verbose_name="soignant·e",
    )
    site = models.ForeignKey("centre.Site", on_delete=models.PROTECT, verbose_name="site")
    weekday = models.PositiveSmallIntegerField("jour", choices=Weekday.choices)
    start_time = models.TimeField("début")
    end_time = models.TimeField("fin")
    valid_from = models.DateField("à partir du")
    valid_until = models.DateField("jusqu'au (inclus)", null=True, blank=True)
    open_on_public_holidays = models.BooleanField("ouvert les jours fériés", default=False)

    class Meta:
        verbose_name = "plage hebdomadaire"
        verbose_name_plural = "plages hebdomadaires"
        ordering = ("practitioner", "weekday", "start_time")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="weekly_schedule_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="weekly_schedule_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.practitioner} — {self.get_weekday_display()} "
            f"{self.start_time:%H:%M}–{self.end_time:%H:%M}"
        )


class ExtraSchedule(models.Model):
    """A one-off opening plage (an extra half-day)."""

    practitioner = models.ForeignKey(
        "centre.StaffProfile",
        on_delete=models.PROTECT,
        related_name="extra_schedules",
        verbose_name="soignant·e",
    )
    site = models.ForeignKey("centre.Site", on_delete=models.PROTECT, verbose_name="site")
    date = models.DateField("date")
    start_time = models.TimeField("début")
    end_time = models.TimeField("fin")

    class Meta:
        verbose_name = "plage ponctuelle"
        verbose_name_plural = "plages ponctuelles"
        ordering = ("date", "start_time")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="extra_schedule_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} — {self.date:%d/%m/%Y} {self.start_time:%H:%M}"


class AbsenceReason(models.TextChoices):
    HOLIDAY = "conges", "Congés"
    TRAINING = "formation", "Formation"
    SICKNESS = "maladie", "Arrêt maladie"
    OTHER = "autre", "Autre"


class Absence(models.Model):
    """A period when a practitioner sees no one: it hides the slots it covers."""

    practitioner = models.ForeignKey(
        "centre.StaffProfile",
        on_delete=models.PROTECT,
        related_name="absences",
        verbose_name="soignant·e",
    )
    start = models.DateTimeField("début")
    end = models.DateTimeField("fin")
    reason = models.CharField("motif", max_length=20, choices=AbsenceReason.choices)
    note = models.CharField("précision", max_length=200, blank=True)

    class Meta:
        verbose_name = "absence"
        verbose_name_plural = "absences"
        ordering = ("start",)
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="absence_end_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} — {self.get_reason_display()}"


class Status(models.TextChoices):
    BOOKED = "booked", "Prévu"
    ARRIVED = "arrived", "Arrivé·e"
    SEEN = "seen", "Vu·e"
    NO_SHOW = "no_show", "Absent·e (non excusé·e)"
    EXCUSED = "excused", "Annulé par le·la patient·e"
    CANCELLED = "cancelled", "Annulé par le centre"


# An appointment in one of these statuses occupies its time: the exclusion constraints and the
# slot search count it. No-show, excused and cancelled free the slot.
ACTIVE_STATUSES = (Status.BOOKED, Status.ARRIVED, Status.SEEN)
FINAL_STATUSES = (Status.SEEN, Status.NO_SHOW, Status.EXCUSED, Status.CANCELLED)
# A consultation took place when the patient arrived or was seen: what the reports count as
# « consultations réalisées » and what the consultations list shows by default.
HELD_STATUSES = (Status.ARRIVED, Status.SEEN)


def days_bounds(
    first_day: datetime.date, last_day: datetime.date
) -> tuple[datetime.datetime, datetime.datetime]:
    """From `first_day` to `last_day` (both included) in the centre's time zone, as an aware
    half-open range: an appointment at 23:30 on the last day (Paris) is in, whatever UTC says."""
    tz = timezone.get_default_timezone()
    start = datetime.datetime.combine(first_day, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(
        last_day + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
    )
    return start, end


def _tstzrange() -> Func:
    # Half-open [start, end): an appointment ending at 9:20 does not overlap one starting at 9:20.
    return Func(
        F("start"),
        F("end"),
        Value("[)"),
        function="TSTZRANGE",
        output_field=DateTimeRangeField(),
    )


class AppointmentQuerySet(models.QuerySet["Appointment"]):
    def active(self) -> AppointmentQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)

    def between(self, start: datetime.datetime, end: datetime.datetime) -> AppointmentQuerySet:
        return self.filter(start__lt=end, end__gt=start)

    def active_between(
        self, start: datetime.datetime, end: datetime.datetime
    ) -> AppointmentQuerySet:
        """`active().between(start, end)`, written so PostgreSQL uses the GiST index of the
        patient exclusion constraint (same range expression, same status condition). The
        B-tree on (practitioner, start) cannot bound `end > start`: with three years of
        history the plain form read every past appointment (37 ms instead of 0.5 ms for a
        day on the generated centre, see docs/performance.md)."""
        if start >= end:
            return self.none()
        return (
            self.active()
            .alias(span=_tstzrange())
            .filter(span__overlap=DateTimeTZRange(start, end, "[)"))
            .between(start, end)
        )

    def on_day(self, day: datetime.date) -> AppointmentQuerySet:
        tz = timezone.get_current_timezone()
        start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
        end = datetime.datetime.combine(
            day + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
        )
        return self.filter(start__gte=start, start__lt=end)

    def on_days(self, first_day: datetime.date, last_day: datetime.date) -> AppointmentQuerySet:
        """Appointments starting between two days (both included, centre's time zone): the
        period of the reports' indicators and of the consultations list."""
        start, end = days_bounds(first_day, last_day)
        return self.filter(start__gte=start, start__lt=end)

    def held(self) -> AppointmentQuerySet:
        return self.filter(status__in=HELD_STATUSES)

    def for_site(self, site: Any) -> AppointmentQuerySet:
        return self.filter(site=site)

    def to_fill_in(self, now: datetime.datetime | None = None) -> AppointmentQuerySet:
        """Past appointments still without a final status (booked or arrived)."""
        return self.filter(
            status__in=(Status.BOOKED, Status.ARRIVED), end__lte=now or timezone.now()
        )


class Appointment(models.Model):
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name="patient·e",
    )
    practitioner = models.ForeignKey(
        "centre.StaffProfile",
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name="soignant·e",
    )
    consultation_type = models.ForeignKey(
        ConsultationType, on_delete=models.PROTECT, related_name="+", verbose_name="motif"
    )
    site = models.ForeignKey(
        "centre.Site", on_delete=models.PROTECT, related_name="appointments", verbose_name="site"
    )
    start = models.DateTimeField("début")
    end = models.DateTimeField("fin")
    status = models.CharField(
        "statut", max_length=12, choices=Status.choices, default=Status.BOOKED, db_index=True
    )
    interpreter_language = models.CharField(
        "interprète (langue)",
        max_length=40,
        blank=True,
        help_text="Laisser vide si aucun interprète n'est nécessaire.",
    )
    is_walk_in = models.BooleanField("sans rendez-vous", default=False)
    note = models.CharField("remarque pour l'accueil", max_length=200, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="pris par",
    )
    status_changed_at = models.DateTimeField("statut changé le", null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="statut changé par",
    )
    cancel_reason = models.CharField("motif d'annulation", max_length=200, blank=True)
    # Waiting room (salle d'attente): arrived at `arrived_at`, called in by the practitioner
    # at `called_at` (« en consultation »), then seen. Both empty for an appointment that has
    # not arrived; minutes waited = called_at (or now) − arrived_at.
    arrived_at = models.DateTimeField("arrivé·e à", null=True, blank=True)
    called_at = models.DateTimeField("appelé·e en consultation à", null=True, blank=True)
    # Booked (or moved, or recorded as a walk-in) outside the booking rules by reception or
    # direction, who gave this reason; `forced_rules` lists the rules overridden
    # (`appointments.slots.Rule`). Empty when the booking kept every rule.
    # Database defaults too: bulk loads and raw inserts (benchmarks, imports) that do not
    # name these columns get "not forced".
    forced_reason = models.CharField(
        "motif du forçage", max_length=200, blank=True, default="", db_default=""
    )
    forced_rules = ArrayField(
        models.CharField(max_length=20),
        verbose_name="règles forcées",
        default=list,
        db_default=Value([], output_field=ArrayField(models.CharField(max_length=20))),
        blank=True,
    )
    created_at = models.DateTimeField("créé le", default=timezone.now)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        verbose_name = "rendez-vous"
        verbose_name_plural = "rendez-vous"
        ordering = ("start", "id")
        indexes = [
            models.Index(fields=("site", "start"), name="appointment_site_start"),
            models.Index(fields=("practitioner", "start"), name="appointment_pract_start"),
            models.Index(fields=("patient", "start"), name="appointment_patient_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="appointment_end_after_start"
            ),
            # Walk-ins are recorded after the fact, squeezed between bookings: they must never
            # be refused, so they are left out of the practitioner constraint (they still
            # count as busy in the slot search).
            ExclusionConstraint(
                name="appointment_no_practitioner_overlap",
                expressions=[
                    (_tstzrange(), RangeOperators.OVERLAPS),
                    ("practitioner", RangeOperators.EQUAL),
                ],
                condition=Q(status__in=ACTIVE_STATUSES) & Q(is_walk_in=False),
                violation_error_message="Ce créneau n'est plus libre pour ce·tte soignant·e.",
            ),
            ExclusionConstraint(
                name="appointment_no_patient_overlap",
                expressions=[
                    (_tstzrange(), RangeOperators.OVERLAPS),
                    ("patient", RangeOperators.EQUAL),
                ],
                condition=Q(status__in=ACTIVE_STATUSES),
                violation_error_message="Ce·tte patient·e a déjà un rendez-vous à cette heure.",
            ),
        ]

    def __str__(self) -> str:
        local = timezone.localtime(self.start)
        return f"RDV du {local:%d/%m/%Y %H:%M} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def forced_label(self) -> str:
        """« Hors plage, Jour férié » for the agenda's badge ("" when no rule was forced)."""
        from appointments.slots import RULE_LABELS, Rule

        return ", ".join(RULE_LABELS[Rule(r)] for r in self.forced_rules if r in set(Rule))

    @property
    def has_started(self) -> bool:
        return self.start <= timezone.now()

    # --- transitions: each checks the current status; services wrap them with the audit ---

    def _move_to(self, status: Status, *, by: User | None) -> None:
        self.status = status
        self.status_changed_at = timezone.now()
        self.status_changed_by = by

    def _refuse(self, action: str) -> TransitionError:
        return TransitionError(
            f"Impossible de {action} : le rendez-vous est « {self.get_status_display()} »."
        )

    @property
    def in_consultation(self) -> bool:
        """Called in by the practitioner and not yet seen (salle d'attente → cabinet)."""
        return self.status == Status.ARRIVED and self.called_at is not None

    @property
    def waiting(self) -> bool:
        """In the waiting room: arrived, not yet called in."""
        return self.status == Status.ARRIVED and self.called_at is None

    def minutes_waited(self, now: datetime.datetime | None = None) -> int | None:
        """Whole minutes between arrival and the call (or now while still waiting)."""
        if self.arrived_at is None:
            return None
        until = self.called_at or now or timezone.now()
        return max(0, int((until - self.arrived_at).total_seconds() // 60))

    def mark_arrived(self, *, by: User | None) -> None:
        if self.status != Status.BOOKED:
            raise self._refuse("noter l'arrivée")
        self._move_to(Status.ARRIVED, by=by)
        self.arrived_at = self.status_changed_at
        self.called_at = None

    def call_in(self, *, by: User | None) -> None:
        """The practitioner calls the patient from the waiting room into consultation."""
        if self.status != Status.ARRIVED:
            raise TransitionError(
                "Impossible d'appeler en consultation : le rendez-vous est "
                f"« {self.get_status_display()} » (notez d'abord l'arrivée)."
            )
        if self.called_at is not None:
            raise TransitionError("Ce·tte patient·e est déjà en consultation.")
        self.called_at = timezone.now()
        self.status_changed_at = self.called_at
        self.status_changed_by = by

    def mark_seen(self, *, by: User | None) -> None:
        # A practitioner may close a consultation whose arrival reception did not record.
        if self.status not in (Status.BOOKED, Status.ARRIVED):
            raise self._refuse("noter la consultation comme faite")
        if not self.has_started:
            raise TransitionError("Le rendez-vous n'a pas encore commencé.")
        self._move_to(Status.SEEN, by=by)

    def mark_no_show(self, *, by: User | None) -> None:
        if self.status != Status.BOOKED:
            raise self._refuse("noter une absence")
        if not self.has_started:
            raise TransitionError("Une absence ne peut être notée qu'après l'heure du rendez-vous.")
        self._move_to(Status.NO_SHOW, by=by)

    def cancel(self, *, by: User | None, by_patient: bool, reason: str = "") -> None:
        """Cancelled by the patient in time (excused) or by the centre."""
        if self.status != Status.BOOKED:
            raise self._refuse("annuler")
        if by_patient and self.has_started:
            raise TransitionError(
                "Le rendez-vous a commencé : notez plutôt une absence non excusée."
            )
        self.cancel_reason = reason
        self._move_to(Status.EXCUSED if by_patient else Status.CANCELLED, by=by)

    def undo_arrival(self, *, by: User | None) -> None:
        if self.status != Status.ARRIVED:
            raise self._refuse("annuler l'arrivée")
        self._move_to(Status.BOOKED, by=by)
        self.arrived_at = None
        self.called_at = None


class ReminderChannel(models.TextChoices):
    SMS = "sms", "SMS"
    EMAIL = "email", "E-mail"


class ReminderKind(models.TextChoices):
    CONFIRMATION = "confirmation", "Confirmation de prise de rendez-vous"
    REMINDER = "reminder", "Rappel la veille"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "En cours"
    SENT = "sent", "Envoyé"
    FAILED = "failed", "Échec"


class Reminder(models.Model):
    """One message about one appointment on one channel. The unique constraint is what makes
    « never twice » true even with two workers running the same task at once."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField("type", max_length=20, choices=ReminderKind.choices)
    channel = models.CharField("canal", max_length=10, choices=ReminderChannel.choices)
    to = models.CharField("destinataire", max_length=254)
    status = models.CharField(
        "état", max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    provider_id = models.CharField("identifiant chez le prestataire", max_length=120, blank=True)
    error = models.CharField("erreur", max_length=300, blank=True)
    created_at = models.DateTimeField("créé le", default=timezone.now)
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)

    class Meta:
        verbose_name = "message au patient"
        verbose_name_plural = "messages aux patients"
        constraints = [
            models.UniqueConstraint(
                fields=("appointment", "kind", "channel"), name="reminder_once_per_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_channel_display()} → {self.to}"


class WaitingStatus(models.TextChoices):
    WAITING = "waiting", "En attente"
    BOOKED = "booked", "Rendez-vous pris"
    WITHDRAWN = "withdrawn", "Retiré"


class WaitingListEntry(models.Model):
    """A patient who would take an earlier slot of a type if one frees up."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="+", verbose_name="patient·e"
    )
    consultation_type = models.ForeignKey(
        ConsultationType, on_delete=models.PROTECT, related_name="+", verbose_name="motif"
    )
    practitioner = models.ForeignKey(
        "centre.StaffProfile",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="soignant·e souhaité·e",
    )
    site = models.ForeignKey(
        "centre.Site", on_delete=models.PROTECT, null=True, blank=True, verbose_name="site"
    )
    before = models.DateField("souhaite un rendez-vous avant le", null=True, blank=True)
    note = models.CharField("remarque", max_length=200, blank=True)
    status = models.CharField(
        "état", max_length=10, choices=WaitingStatus.choices, default=WaitingStatus.WAITING
    )
    created_at = models.DateTimeField("inscrit·e le", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    notified_at = models.DateTimeField("prévenu·e le", null=True, blank=True)

    class Meta:
        verbose_name = "inscription en liste d'attente"
        verbose_name_plural = "liste d'attente"
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"Attente {self.consultation_type_id} — patient {self.patient_id}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A practitioner's secret ICS URL. Revoking it sets `revoked_at`; a new one gets a new
    token, so a leaked URL stops working at once."""

    practitioner = models.ForeignKey(
        "centre.StaffProfile", on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "flux agenda (ICS)"
        verbose_name_plural = "flux agenda (ICS)"
        constraints = [
            models.UniqueConstraint(
                fields=("practitioner",),
                condition=Q(revoked_at__isnull=True),
                name="calendar_feed_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"Flux ICS de {self.practitioner}"


class WaitingListOffer(models.Model):
    """A freed slot offered to one person of the waiting list, on one channel. The unique
    constraint makes « never twice » hold even when two workers handle the same cancellation:
    the row is committed before the message goes out (as for reminders)."""

    entry = models.ForeignKey(
        WaitingListEntry, on_delete=models.CASCADE, related_name="offers", verbose_name="attente"
    )
    freed = models.ForeignKey(
        Appointment,
        on_delete=models.CASCADE,
        related_name="waiting_offers",
        verbose_name="rendez-vous libéré",
    )
    slot_start = models.DateTimeField("créneau proposé")
    channel = models.CharField("canal", max_length=10, choices=ReminderChannel.choices)
    to = models.CharField("destinataire", max_length=254)
    status = models.CharField(
        "état", max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    provider_id = models.CharField("identifiant chez le prestataire", max_length=120, blank=True)
    error = models.CharField("erreur", max_length=300, blank=True)
    created_at = models.DateTimeField("proposé le", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="proposé par",
    )
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)

    class Meta:
        verbose_name = "créneau proposé (liste d'attente)"
        verbose_name_plural = "créneaux proposés (liste d'attente)"
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=("entry", "freed", "channel"), name="waiting_offer_once_per_channel"
            )
        ]

    def __str__(self) -> str:
        return f"Créneau proposé {self.get_channel_display()} → {self.to}"
