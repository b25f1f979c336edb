from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Sex(models.TextChoices):
    FEMALE = "F", "Femme"
    MALE = "M", "Homme"


class Patient(models.Model):
    """A person known to the centre: identity and contact only. No medical notes here."""

    last_name = models.CharField("nom d'usage", max_length=100)
    birth_name = models.CharField("nom de naissance", max_length=100, blank=True)
    first_name = models.CharField("prénom(s)", max_length=150)
    sex = models.CharField("sexe", max_length=1, choices=Sex.choices)
    birth_date = models.DateField("date de naissance")
    birth_rank = models.PositiveSmallIntegerField(
        "rang de naissance", null=True, blank=True, help_text="Pour des jumeaux (1, 2…)."
    )
    nir = models.CharField("NIR (n° de sécurité sociale)", max_length=15, blank=True)
    phone = models.CharField("téléphone", max_length=20, blank=True)
    phone_alt = models.CharField("autre téléphone", max_length=20, blank=True)
    email = models.EmailField("e-mail", blank=True)
    address = models.CharField("adresse", max_length=250, blank=True)
    postal_code = models.CharField("code postal", max_length=10, blank=True)
    city = models.CharField("commune", max_length=100, blank=True)
    in_qpv = models.BooleanField("habite en quartier prioritaire (QPV)", null=True, blank=True)
    language = models.CharField("langue préférée", max_length=10, default="fr")
    interpreter_needed = models.BooleanField("besoin d'interprète", default=False)
    consent_sms = models.BooleanField("accepte les SMS de rappel", default=False)
    consent_email = models.BooleanField("accepte les e-mails de rappel", default=False)
    gdpr_informed_on = models.DateField(
        "informé·e du traitement des données le", null=True, blank=True
    )
    admin_notes = models.TextField("notes administratives", blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name="fusionné dans",
    )
    anonymised_at = models.DateTimeField("anonymisé le", null=True, blank=True)
    created_at = models.DateTimeField("créé le", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        verbose_name = "patient·e"
        verbose_name_plural = "patient·e·s"
        ordering = ("last_name", "first_name", "birth_date")

    def __str__(self) -> str:
        return f"{self.last_name.upper()} {self.first_name} ({self.birth_date:%d/%m/%Y})"
