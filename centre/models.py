from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models.fields.json import KeyTransform
from django.utils import timezone
from rest_framework_api_key.models import AbstractAPIKey

from centre.roles import HOME_PRIORITY, Role
from centre.validators import validate_am_number, validate_finess, validate_rpps


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("Une adresse e-mail est obligatoire.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A member of staff. People log in with their e-mail; there is no public sign-up."""

    email = models.EmailField("adresse e-mail", unique=True)
    first_name = models.CharField("prénom", max_length=150, blank=True)
    last_name = models.CharField("nom", max_length=150, blank=True)
    is_active = models.BooleanField(
        "actif", default=True, help_text="Décocher plutôt que supprimer : le journal le garde."
    )
    is_staff = models.BooleanField("accès à l'administration", default=False)
    date_joined = models.DateTimeField("créé le", default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = "compte"
        verbose_name_plural = "comptes"
        ordering = ("last_name", "first_name")

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email

    @property
    def roles(self) -> frozenset[str]:
        """Role names of the user, cached on the instance for the request."""
        cached: frozenset[str] | None = getattr(self, "_roles_cache", None)
        if cached is None:
            cached = frozenset(self.groups.values_list("name", flat=True))
            self._roles_cache = cached
        return cached

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def main_role(self) -> Role | None:
        for role in HOME_PRIORITY:
            if role.value in self.roles:
                return role
        return None


class Centre(models.Model):
    """The organisation (one per installation; a network would run one per centre)."""

    name = models.CharField("nom", max_length=200)
    finess = models.CharField("n° FINESS", max_length=9, unique=True, validators=[validate_finess])
    am_number = models.CharField(
        "n° d'assurance maladie",
        max_length=9,
        blank=True,
        validators=[validate_am_number],
        help_text="Numéro de facturation attribué par la caisse.",
    )
    address = models.TextField("adresse")
    phone = models.CharField("téléphone", max_length=30, blank=True)
    email = models.EmailField("e-mail", blank=True)

    class Meta:
        verbose_name = "centre"
        verbose_name_plural = "centres"

    def __str__(self) -> str:
        return self.name


class HolidaySubdivision(models.TextChoices):
    """The public-holiday calendar of a site, as the `holidays` package names it. Metropolitan
    France (Code du travail, art. L3133-1) unless the site is in Alsace-Moselle (art.
    L3134-13: Good Friday and 26 December too) or in an overseas department (abolition of
    slavery). See docs/appointments.md."""

    METROPOLITAN = "", "France métropolitaine"
    MOSELLE = "57", "Moselle (57)"
    ALSACE = "6AE", "Alsace (Bas-Rhin 67, Haut-Rhin 68)"
    GUADELOUPE = "971", "Guadeloupe (971)"
    MARTINIQUE = "972", "Martinique (972)"
    GUYANE = "973", "Guyane (973)"
    REUNION = "974", "La Réunion (974)"
    MAYOTTE = "976", "Mayotte (976)"


class Site(models.Model):
    """A place of care of the centre (main building, antenna)."""

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="sites")
    name = models.CharField("nom", max_length=200)
    finess = models.CharField(
        "n° FINESS de l'établissement",
        max_length=9,
        blank=True,
        validators=[validate_finess],
    )
    address = models.TextField("adresse")
    in_qpv = models.BooleanField("en quartier prioritaire (QPV)", default=False)
    holiday_subdivision = models.CharField(
        "calendrier des jours fériés",
        max_length=3,
        choices=HolidaySubdivision.choices,
        default=HolidaySubdivision.METROPOLITAN,
        blank=True,
        help_text="Les rendez-vous ne sont pas pris les jours fériés de ce calendrier.",
    )
    is_active = models.BooleanField("actif", default=True)

    class Meta:
        verbose_name = "site"
        verbose_name_plural = "sites"
        ordering = ("name",)
        constraints = [
            models.UniqueConstraint(fields=("centre", "name"), name="site_unique_name_in_centre")
        ]

    def __str__(self) -> str:
        return self.name


class Profession(models.TextChoices):
    GENERALISTE = "medecin_generaliste", "Médecin généraliste"
    GYNECOLOGUE = "gynecologue", "Gynécologue médical·e"
    SAGE_FEMME = "sage_femme", "Sage-femme"
    INFIRMIER = "infirmier", "Infirmier·e"
    ORTHOPHONISTE = "orthophoniste", "Orthophoniste"
    KINESITHERAPEUTE = "kinesitherapeute", "Masseur-kinésithérapeute"
    PSYCHOLOGUE = "psychologue", "Psychologue"
    DIETETICIEN = "dieteticien", "Diététicien·ne"

    @classmethod
    def doctors(cls) -> frozenset[str]:
        return frozenset({cls.GENERALISTE, cls.GYNECOLOGUE})


class StaffProfile(models.Model):
    """What the centre knows of a member of staff beyond the login: sites and, for
    practitioners, profession and RPPS number. Roles are the user's groups."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="profile"
    )
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="staff")
    sites = models.ManyToManyField(Site, related_name="staff", blank=True, verbose_name="sites")
    job_title = models.CharField("fonction", max_length=120, blank=True)
    profession = models.CharField(
        "profession", max_length=40, choices=Profession.choices, blank=True
    )
    specialty = models.CharField("spécialité", max_length=120, blank=True)
    rpps = models.CharField("n° RPPS", max_length=11, blank=True, validators=[validate_rpps])
    sex = models.CharField(
        "sexe", max_length=1, choices=[("F", "Femme"), ("M", "Homme")], blank=True
    )
    languages = models.CharField(
        "langues parlées", max_length=200, blank=True, help_text="Codes séparés par des virgules."
    )

    class Meta:
        verbose_name = "profil"
        verbose_name_plural = "profils"
        constraints = [
            models.UniqueConstraint(
                fields=("rpps",), condition=~models.Q(rpps=""), name="staff_unique_rpps"
            ),
            models.CheckConstraint(
                condition=models.Q(profession="") | ~models.Q(rpps=""),
                name="practitioner_has_rpps",
                violation_error_message="Un·e soignant·e doit avoir un numéro RPPS.",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)

    @property
    def is_practitioner(self) -> bool:
        return bool(self.profession)


class ApiToken(AbstractAPIKey):
    """A personal API token: named, expiring, revocable, owned by one person.

    Only the prefix (to find the row) and a SHA-512 hash of the whole key are stored
    (djangorestframework-api-key): the key itself is shown once, at creation. The key is
    random (32 characters of a 62-letter alphabet), so a fast hash is enough; a password hash
    would only slow down every API request."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name="compte",
    )
    last_used_at = models.DateTimeField("dernière utilisation", null=True, blank=True)
    revoked_at = models.DateTimeField("révoqué le", null=True, blank=True)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "jeton d'API"
        verbose_name_plural = "jetons d'API"
        ordering = ("-created",)


class JournalKey(models.Model):
    """The key that seals the personal values of the journal entries about one person
    (crypto-shredding). Held outside the journal: erasing the person destroys the key
    (`secret` emptied, `destroyed_at` set), so the entries keep who did what and when but
    their personal values can no longer be read — without rewriting the append-only journal.

    A person may have several rows over time: after erasure, later entries about the
    (now anonymous) record are sealed with a new key."""

    subject_type = models.CharField("type de personne", max_length=40)
    subject_id = models.CharField("identifiant de la personne", max_length=64)
    secret = models.BinaryField("clé", null=True, editable=False)
    created_at = models.DateTimeField("créée le", default=timezone.now)
    destroyed_at = models.DateTimeField("détruite le", null=True, blank=True)

    class Meta:
        verbose_name = "clé du journal"
        verbose_name_plural = "clés du journal"
        constraints = [
            models.UniqueConstraint(
                fields=("subject_type", "subject_id"),
                condition=models.Q(destroyed_at__isnull=True),
                name="journalkey_one_live_key",
            )
        ]
        indexes = [models.Index(fields=("subject_type", "subject_id"), name="journalkey_subject")]

    def __str__(self) -> str:
        state = "détruite" if self.destroyed_at else "active"
        return f"Clé {self.subject_type} n° {self.subject_id} ({state})"


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    """Entries come out unsealed: personal values decrypted with their person's key, or
    « [effacé] » when the key was destroyed (`centre.journal_keys.unseal`)."""

    def _fetch_all(self) -> None:
        fresh = self._result_cache is None
        super()._fetch_all()
        if fresh and self._result_cache:
            from centre.journal_keys import unseal

            unseal(self._result_cache)


class AuditEntry(models.Model):
    """Append-only journal of every write and every sensitive read.

    The database itself refuses UPDATE and DELETE on this table (trigger in migration 0002),
    so not even a bug or a shell session in the application can rewrite history; only the
    retention function `centre_audit_purge_reads` may delete old reads (migration 0009).

    An entry about a person (a patient, a person met in outreach) names the person by
    `subject_type`/`subject_id` only; its values (`changes`, `extra`, the person's label) are
    sealed with the person's `JournalKey` (see `centre.audit`). Entries loaded through the
    manager are unsealed in memory: values whose key was destroyed read « [effacé] ».
    """

    at = models.DateTimeField("quand", default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="qui",
    )
    actor_label = models.CharField("qui (libellé)", max_length=254, blank=True)
    action = models.CharField("action", max_length=80, db_index=True)
    object_type = models.CharField("type d'objet", max_length=80, blank=True)
    object_id = models.CharField("identifiant", max_length=64, blank=True)
    object_repr = models.CharField("objet", max_length=200, blank=True)
    changes = models.JSONField("modifications", default=dict, blank=True)
    extra = models.JSONField("détails", default=dict, blank=True)
    request_id = models.CharField("requête", max_length=64, blank=True)
    ip = models.GenericIPAddressField("adresse IP", null=True, blank=True)
    # Database defaults too: bulk SQL inserts (billing returns, the purge function) need not
    # know these columns.
    subject_type = models.CharField(
        "personne concernée (type)", max_length=40, blank=True, default="", db_default=""
    )
    subject_id = models.CharField(
        "personne concernée", max_length=64, blank=True, default="", db_default=""
    )
    is_read = models.BooleanField(
        "consultation", default=False, db_default=False, help_text="Lecture ou export."
    )
    key = models.ForeignKey(
        JournalKey,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="clé",
    )
    sealed_label = models.TextField("objet (scellé)", blank=True, default="", db_default="")

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "entrée du journal"
        verbose_name_plural = "journal d'audit"
        base_manager_name = "objects"  # refresh_from_db and relations unseal too
        ordering = ("-at", "-id")
        indexes = [
            models.Index(fields=("object_type", "object_id", "-at"), name="audit_object"),
            models.Index(fields=("subject_type", "subject_id", "-at"), name="audit_subject"),
            # « Who read this record » looks for its id among the ids a list showed.
            GinIndex(KeyTransform("ids", "extra"), name="audit_list_ids"),
        ]

    # Set by `AuditEntryQuerySet` (or `audit.record`): the object's label, unsealed.
    object_label: str = ""

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"
