"""Fee schedule, invoices, claims, batches (lots), return files and payments.

Status changes go through the transition methods below, which check the current state;
services (`billing.services`) wrap them in a transaction with the audit entry.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from billing.money import ZERO
from billing.pricing import ActKind, Exemption, InsuranceNature, Pathway, PayerType
from centre.models import Profession


class TransitionError(Exception):
    """A status change that the current state does not allow (French message)."""


def _money(verbose: str) -> Any:
    return models.DecimalField(verbose, max_digits=12, decimal_places=2, default=ZERO)


# --- fee schedule -----------------------------------------------------------------------------


class Act(models.Model):
    """An act of the NGAP fee schedule (G, VG, MEG, AMI, AMO…)."""

    code = models.CharField("code", max_length=12, unique=True)
    label = models.CharField("libellé", max_length=200)
    professions = ArrayField(
        models.CharField(max_length=40, choices=Profession.choices),
        verbose_name="professions autorisées",
        default=list,
    )
    kind = models.CharField("franchise ou participation", max_length=12, choices=ActKind.CHOICES)
    is_modifier = models.BooleanField("majoration", default=False)
    care_pathway = models.BooleanField("soumis au parcours de soins", default=False)
    default_coefficient = models.DecimalField(
        "coefficient par défaut", max_digits=6, decimal_places=2, default=Decimal("1")
    )
    is_active = models.BooleanField("actif", default=True)
    # Acts that carry their own exemption (compulsory examinations of the child or of
    # pregnancy, paid 100 %): billing.pricing.Exemption.
    exemption = models.CharField(
        "exonération propre à l'acte",
        max_length=20,
        choices=Exemption.CHOICES,
        blank=True,
        default="",
        db_default="",
    )

    class Meta:
        verbose_name = "acte"
        verbose_name_plural = "actes"
        ordering = ("code",)

    def __str__(self) -> str:
        return f"{self.code} — {self.label}"


class TariffQuerySet(models.QuerySet["Tariff"]):
    def valid_on(self, day: datetime.date) -> TariffQuerySet:
        return self.filter(valid_from__lte=day).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=day)
        )


class Tariff(models.Model):
    """A dated tariff: applies to consultations from `valid_from` (the latest one wins)."""

    act = models.ForeignKey(Act, on_delete=models.PROTECT, related_name="tariffs")
    unit_price = models.DecimalField(
        "tarif (ou valeur de la lettre clé)", max_digits=8, decimal_places=2
    )
    amo_rate = models.DecimalField("taux AMO", max_digits=5, decimal_places=4)
    valid_from = models.DateField("en vigueur du")
    valid_to = models.DateField("jusqu'au", null=True, blank=True)
    source = models.TextField("source")
    to_verify = models.BooleanField("à vérifier", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = TariffQuerySet.as_manager()

    class Meta:
        verbose_name = "tarif"
        verbose_name_plural = "tarifs"
        ordering = ("act__code", "-valid_from")
        constraints = [
            models.UniqueConstraint(fields=("act", "valid_from"), name="tariff_unique_start"),
            models.CheckConstraint(
                condition=Q(amo_rate__gte=0) & Q(amo_rate__lte=1), name="tariff_rate_range"
            ),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="tariff_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.act.code} {self.unit_price} € au {self.valid_from:%d/%m/%Y}"


class ParameterKey(models.TextChoices):
    PF_AMOUNT = "pf_amount", "Participation forfaitaire (par acte)"
    PF_DAY_CAP = "pf_day_cap", "Plafond journalier de la participation forfaitaire"
    PF_YEAR_CAP = "pf_year_cap", "Plafond annuel de la participation forfaitaire"
    FRANCHISE_AMOUNT = "franchise_amount", "Franchise médicale (par acte paramédical)"
    FRANCHISE_DAY_CAP = "franchise_day_cap", "Plafond journalier de la franchise"
    FRANCHISE_YEAR_CAP = "franchise_year_cap", "Plafond annuel de la franchise"
    OUT_OF_PATHWAY_RATE = "out_of_pathway_rate", "Taux AMO hors parcours de soins"


class Parameter(models.Model):
    """A dated billing parameter (PF, franchise, caps, pathway rate)."""

    key = models.CharField("paramètre", max_length=32, choices=ParameterKey.choices)
    value = models.DecimalField("valeur", max_digits=8, decimal_places=4)
    valid_from = models.DateField("en vigueur du")
    source = models.TextField("source")
    to_verify = models.BooleanField("à vérifier", default=False)

    class Meta:
        verbose_name = "paramètre de facturation"
        verbose_name_plural = "paramètres de facturation"
        ordering = ("key", "-valid_from")
        constraints = [
            models.UniqueConstraint(fields=("key", "valid_from"), name="parameter_unique_start")
        ]

    def __str__(self) -> str:
        return f"{self.get_key_display()} : {self.value} au {self.valid_from:%d/%m/%Y}"


# --- invoices ---------------------------------------------------------------------------------


class FseMode(models.TextChoices):
    CARD = "card", "Sécurisée avec la carte Vitale"
    DEGRADED = "degraded", "Mode dégradé (feuille papier à signer)"


class InvoiceQuerySet(models.QuerySet["Invoice"]):
    def current(self) -> InvoiceQuerySet:
        """Not replaced by a newer version (correction, PASS conversion)."""
        return self.filter(superseded_at__isnull=True)

    def with_patient_balance(self) -> InvoiceQuerySet:
        return self.current().filter(patient_due__gt=models.F("patient_paid"))

    def to_check(self) -> InvoiceQuerySet:
        return self.exclude(issues=[])


class Invoice(models.Model):
    """A feuille de soins: a frozen copy of the tariffs and coverage used to compute it."""

    number = models.CharField("n° de facture", max_length=20, unique=True)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="invoices"
    )
    appointment = models.OneToOneField(
        "appointments.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoice",
    )
    practitioner = models.ForeignKey(
        "centre.StaffProfile", on_delete=models.PROTECT, related_name="invoices"
    )
    site = models.ForeignKey("centre.Site", on_delete=models.PROTECT, related_name="+")
    date_of_care = models.DateField("date des soins", db_index=True)
    related_to_ald = models.BooleanField("en rapport avec une ALD", default=False)
    pathway_exempt = models.BooleanField(
        "hors parcours justifié (urgence, éloignement)", default=False
    )
    # Per invoice (the care sheet's own fields): pathway indicator, chosen at the close or
    # read from the coverage on the date of care, with its reason in words; nature of
    # insurance (a work accident with its number and date); exemption from the ticket
    # modérateur. Database defaults too, for bulk SQL inserts (benchmarks, imports).
    pathway = models.CharField(
        "parcours de soins",
        max_length=16,
        choices=Pathway.CHOICES,
        default=Pathway.NOT_APPLICABLE,
        db_default=Pathway.NOT_APPLICABLE,
    )
    pathway_chosen = models.BooleanField(
        "indicateur de parcours choisi à la clôture", default=False, db_default=False
    )
    pathway_reason = models.CharField(
        "parcours (explication)", max_length=300, blank=True, default="", db_default=""
    )
    insurance_nature = models.CharField(
        "nature d'assurance",
        max_length=10,
        choices=InsuranceNature.CHOICES,
        default=InsuranceNature.SICKNESS,
        db_default=InsuranceNature.SICKNESS,
    )
    exemption = models.CharField(
        "exonération du ticket modérateur",
        max_length=20,
        choices=Exemption.CHOICES,
        blank=True,
        default="",
        db_default="",
    )
    related_to_work_accident = models.BooleanField(
        "en rapport avec un accident du travail", default=False, db_default=False
    )
    work_accident_number = models.CharField(
        "n° de l'accident du travail", max_length=50, blank=True, default="", db_default=""
    )
    work_accident_date = models.DateField("date de l'accident du travail", null=True, blank=True)
    total = _money("total")
    amo = _money("part AMO")
    amc = _money("part complémentaire")
    patient_share = _money("reste à charge")
    patient_due = _money("à régler à l'accueil")
    patient_paid = _money("réglé par le·la patient·e")
    pending = _money("droits en attente")
    pf = _money("participation forfaitaire")
    franchise = _money("franchise")
    amc_payer = models.CharField(max_length=3, blank=True)
    amc_tiers_payant = models.BooleanField(default=False)
    out_of_pathway = models.BooleanField("hors parcours", default=False)
    coverage = models.JSONField("couverture utilisée", default=dict)
    issues = models.JSONField("à corriger", default=list, blank=True)
    notes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField("créée le", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The care sheet (FSE) as secured at the time of care by a certified SESAM-Vitale component
    # (art. R161-43 CSS: signed with the patient's Vitale card and the professional's card).
    # Only a sheet secured with the Vitale card carries the payment guarantee and the 7-working-
    # day payment delay under tiers payant (art. L161-36-3 and L161-36-4 CSS, décret
    # n° 2016-1069 du 3 août 2016); "" = no sheet secured (no certified component plugged in).
    fse_mode = models.CharField(
        "feuille de soins",
        max_length=10,
        choices=FseMode.choices,
        blank=True,
        default="",
        db_default="",
    )
    fse_number = models.CharField("n° de FSE", max_length=24, blank=True, default="", db_default="")
    fse_signed_at = models.DateTimeField("FSE signée le", null=True, blank=True)
    # Versions: a correction of the acts, or the conversion of care given while rights were
    # pending, makes a new invoice that `replaces` this one; this one is then superseded (it
    # keeps its figures, its claims are cancelled) and the appointment moves to the new one.
    # Database defaults too, so that bulk SQL inserts (benchmarks, imports) need not know them.
    version = models.PositiveSmallIntegerField("version", default=1, db_default=1)
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name="remplace",
    )
    superseded_at = models.DateTimeField("remplacée le", null=True, blank=True)
    version_reason = models.CharField(
        "motif de la nouvelle version", max_length=200, blank=True, default="", db_default=""
    )

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = "facture"
        verbose_name_plural = "factures"
        ordering = ("-date_of_care", "-id")
        indexes = [models.Index(fields=("patient", "date_of_care"), name="invoice_patient_date")]

    def __str__(self) -> str:
        return f"Facture {self.number}"

    @property
    def patient_balance(self) -> Decimal:
        return self.patient_due - self.patient_paid

    @property
    def recoverable_by_amo(self) -> Decimal:
        return self.pf + self.franchise


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    act = models.ForeignKey(Act, on_delete=models.PROTECT, related_name="+")
    tariff = models.ForeignKey(Tariff, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=12)
    label = models.CharField(max_length=200)
    unit_price = models.DecimalField(max_digits=8, decimal_places=2)
    coefficient = models.DecimalField(max_digits=6, decimal_places=2)
    amount = _money("montant")
    amo_rate = models.DecimalField(max_digits=5, decimal_places=4)
    amo = _money("part AMO")
    ticket_moderateur = _money("ticket modérateur")

    class Meta:
        verbose_name = "ligne de facture"
        verbose_name_plural = "lignes de facture"
        ordering = ("id",)

    def __str__(self) -> str:
        return f"{self.code} × {self.coefficient}"


# --- claims and batches -----------------------------------------------------------------------


class ClaimStatus(models.TextChoices):
    DRAFT = "draft", "À vérifier"
    READY = "ready", "Prête"
    IN_BATCH = "in_batch", "Dans un lot"
    SENT = "sent", "Envoyée"
    ACKNOWLEDGED = "acknowledged", "Réceptionnée (ARL)"
    PAID = "paid", "Payée"
    PARTLY_PAID = "partly_paid", "Payée en partie"
    REJECTED = "rejected", "Rejetée"
    CORRECTED = "corrected", "Corrigée (renvoyée)"
    BILLED_TO_PATIENT = "billed_patient", "Facturée au·à la patient·e"
    WRITTEN_OFF = "written_off", "Passée en perte"
    CANCELLED = "cancelled", "Annulée (facture remplacée)"


OPEN_AFTER_SENDING = (ClaimStatus.SENT, ClaimStatus.ACKNOWLEDGED)


# What may be cancelled when its invoice gets a new version: nothing the payer is still
# examining or has paid. Claims to the "rights pending" payer (PASS agreement / solidarity
# fund, a local agreement) may also be cancelled once sent: the conversion tells it so.
CANCELLABLE = (ClaimStatus.DRAFT, ClaimStatus.READY, ClaimStatus.REJECTED)
CANCELLABLE_PENDING = (
    *CANCELLABLE,
    ClaimStatus.IN_BATCH,
    ClaimStatus.SENT,
    ClaimStatus.ACKNOWLEDGED,
)
# Closed claims need nothing when their invoice gets a new version.
SETTLED_WITHOUT_MONEY = (ClaimStatus.CORRECTED, ClaimStatus.WRITTEN_OFF, ClaimStatus.CANCELLED)


class ClaimQuerySet(models.QuerySet["Claim"]):
    def ready(self) -> ClaimQuerySet:
        return self.filter(status=ClaimStatus.READY)

    def to_work(self) -> ClaimQuerySet:
        return self.filter(status__in=(ClaimStatus.REJECTED, ClaimStatus.PARTLY_PAID))


class Claim(models.Model):
    """What one payer owes for one invoice (tiers payant)."""

    reference = models.CharField("référence", max_length=24, unique=True)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="claims")
    payer_type = models.CharField("payeur", max_length=3, choices=PayerType.CHOICES)
    payer_code = models.CharField("organisme", max_length=20)
    payer_label = models.CharField("organisme (libellé)", max_length=120, blank=True)
    amount = _money("montant demandé")
    status = models.CharField(
        "état", max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.READY
    )
    batch = models.ForeignKey(
        "Batch", on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    acknowledged_on = models.DateField("ARL reçu le", null=True, blank=True)
    paid_amount = _money("montant payé")
    paid_on = models.DateField("payée le", null=True, blank=True)
    transfer_ref = models.CharField("référence du virement", max_length=40, blank=True)
    reject_code = models.CharField("code de rejet", max_length=8, blank=True)
    reject_label = models.CharField("motif de rejet", max_length=200, blank=True)
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )
    closing_reason = models.CharField(
        "motif (perte, facturation patient)", max_length=200, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        verbose_name = "demande de remboursement"
        verbose_name_plural = "demandes de remboursement"
        ordering = ("id",)
        indexes = [
            models.Index(fields=("status", "payer_type", "payer_code"), name="claim_status_payer"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.get_status_display()})"

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.paid_amount

    def _expect(self, *states: str, action: str) -> None:
        if self.status not in states:
            raise TransitionError(
                f"Impossible de {action} : la demande {self.reference} "
                f"est « {self.get_status_display()} »."
            )

    def mark_ready(self) -> None:
        self._expect(ClaimStatus.DRAFT, action="la rendre prête")
        self.status = ClaimStatus.READY

    def acknowledge(self, on: datetime.date) -> None:
        self._expect(ClaimStatus.SENT, action="enregistrer l'accusé de réception")
        self.status = ClaimStatus.ACKNOWLEDGED
        self.acknowledged_on = on

    def record_payment(self, *, amount: Decimal, on: datetime.date, ref: str) -> None:
        self._expect(*OPEN_AFTER_SENDING, action="enregistrer un paiement")
        self.paid_amount = amount
        self.paid_on = on
        self.transfer_ref = ref
        self.status = ClaimStatus.PAID if amount >= self.amount else ClaimStatus.PARTLY_PAID

    def reject(self, *, code: str, label: str) -> None:
        self._expect(*OPEN_AFTER_SENDING, action="enregistrer un rejet")
        self.status = ClaimStatus.REJECTED
        self.reject_code = code
        self.reject_label = label

    def cancel(self) -> None:
        """The invoice gets a new version: this claim will not be sent (or answered) any more."""
        allowed = CANCELLABLE_PENDING if self.payer_type == PayerType.PENDING else CANCELLABLE
        self._expect(*allowed, action="l'annuler")
        self.status = ClaimStatus.CANCELLED

    def mark_corrected(self) -> None:
        self._expect(ClaimStatus.REJECTED, ClaimStatus.PARTLY_PAID, action="la corriger")
        self.status = ClaimStatus.CORRECTED

    def bill_patient(self, reason: str) -> None:
        self._expect(ClaimStatus.REJECTED, ClaimStatus.PARTLY_PAID, action="la facturer au patient")
        self.status = ClaimStatus.BILLED_TO_PATIENT
        self.closing_reason = reason

    def write_off(self, reason: str) -> None:
        self._expect(
            ClaimStatus.REJECTED,
            ClaimStatus.PARTLY_PAID,
            ClaimStatus.DRAFT,
            action="la passer en perte",
        )
        if not reason.strip():
            raise TransitionError("Indiquez le motif de la perte.")
        self.status = ClaimStatus.WRITTEN_OFF
        self.closing_reason = reason


class BatchStatus(models.TextChoices):
    """File ready → sent → ARL positive / ARL negative → paid (docs/billing.md « Lots »)."""

    BUILDING = "building", "En construction"
    BUILT = "built", "Fichier prêt"
    SENT = "sent", "Envoyé"
    ACKNOWLEDGED = "acknowledged", "ARL positif"
    REFUSED = "refused", "ARL négatif (lot refusé)"
    PAID = "paid", "Payé"


class Batch(models.Model):
    """A lot: the claims sent together to one payer, numbered per payer."""

    payer_type = models.CharField("payeur", max_length=3, choices=PayerType.CHOICES)
    payer_code = models.CharField("organisme", max_length=20)
    number = models.PositiveIntegerField("n° de lot")
    status = models.CharField(
        "état", max_length=16, choices=BatchStatus.choices, default=BatchStatus.BUILDING
    )
    format_version = models.CharField("format", max_length=12, blank=True)
    file = models.FileField("fichier", upload_to="billing/batches/", blank=True)
    claims_count = models.PositiveIntegerField("demandes", default=0)
    total_amount = _money("montant total")
    created_at = models.DateTimeField(default=timezone.now)
    built_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)
    last_sent_at = models.DateTimeField("dernier envoi le", null=True, blank=True)
    send_count = models.PositiveSmallIntegerField("envois", default=0, db_default=0)
    paid_on = models.DateField("payé le", null=True, blank=True)
    acknowledged_on = models.DateField(null=True, blank=True)
    ack_code = models.CharField(max_length=8, blank=True)
    ack_label = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "lot"
        verbose_name_plural = "lots"
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=("payer_type", "payer_code", "number"), name="batch_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"Lot {self.payer_type} {self.payer_code} n° {self.number}"

    def _expect(self, *states: str, action: str) -> None:
        if self.status not in states:
            raise TransitionError(
                f"Impossible de {action} : le lot n° {self.number} "
                f"est « {self.get_status_display()} »."
            )

    def mark_built(self) -> None:
        self._expect(BatchStatus.BUILDING, action="le marquer construit")
        self.status = BatchStatus.BUILT
        self.built_at = timezone.now()

    def mark_sent(self) -> None:
        self._expect(BatchStatus.BUILT, action="l'envoyer")
        self.status = BatchStatus.SENT
        self.sent_at = self.last_sent_at = timezone.now()
        self.send_count = 1

    def mark_resent(self) -> None:
        """Sent again because no ARL came (the service checks the waiting time)."""
        self._expect(BatchStatus.SENT, action="le renvoyer")
        self.last_sent_at = timezone.now()
        self.send_count += 1

    def acknowledge(self, *, on: datetime.date, positive: bool, code: str, label: str) -> None:
        self._expect(BatchStatus.SENT, action="enregistrer l'accusé de réception")
        self.status = BatchStatus.ACKNOWLEDGED if positive else BatchStatus.REFUSED
        self.acknowledged_on = on
        self.ack_code, self.ack_label = code, label


# --- returns and payments ---------------------------------------------------------------------


class ReturnStatus(models.TextChoices):
    PENDING = "pending", "En attente de rapprochement"
    IMPORTED = "imported", "Importé"
    FAILED = "failed", "Refusé au rapprochement"


class ReturnFile(models.Model):
    """An imported acknowledgement / payment-reject file (imported once: same content = same
    sha256).

    Uploaded through the pages, it is validated as a whole at once, stored (`file`) as
    « en attente », then reconciled by the Celery task `billing.tasks.reconcile_return`."""

    filename = models.CharField("fichier", max_length=200)
    status = models.CharField(
        "état",
        max_length=12,
        choices=ReturnStatus.choices,
        default=ReturnStatus.IMPORTED,
        db_default=ReturnStatus.IMPORTED.value,
    )
    file = models.FileField(
        "fichier reçu", upload_to="billing/returns/", blank=True, default="", db_default=""
    )
    error = models.CharField(
        "motif du refus", max_length=300, blank=True, default="", db_default=""
    )
    reconciled_at = models.DateTimeField("rapproché le", null=True, blank=True)
    sha256 = models.CharField(max_length=64, unique=True)
    payer_type = models.CharField(max_length=3, choices=PayerType.CHOICES)
    payer_code = models.CharField(max_length=20)
    lines_count = models.PositiveIntegerField(default=0)
    acks_count = models.PositiveIntegerField(default=0)
    paid_count = models.PositiveIntegerField(default=0)
    partial_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    paid_total = _money("total payé")
    unmatched_count = models.PositiveIntegerField("à rapprocher", default=0, db_default=0)
    unmatched_total = models.DecimalField(
        "montant à rapprocher", max_digits=12, decimal_places=2, default=ZERO, db_default=ZERO
    )
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "fichier retour"
        verbose_name_plural = "fichiers retour"
        ordering = ("-imported_at", "-id")

    def __str__(self) -> str:
        return self.filename


class PaymentSource(models.TextChoices):
    AMO = "AMO", "Assurance maladie"
    C2S = "C2S", "C2S"
    AMC = "AMC", "Complémentaire"
    PENDING = "ATT", "Droits en attente"
    PATIENT = "PAT", "Patient·e"


class PaymentMethod(models.TextChoices):
    CASH = "cash", "Espèces"
    CARD = "card", "Carte bancaire"
    CHEQUE = "cheque", "Chèque"
    TRANSFER = "transfer", "Virement"


class Payment(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    return_file = models.ForeignKey(
        ReturnFile, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    source = models.CharField("payeur", max_length=3, choices=PaymentSource.choices)
    method = models.CharField("moyen de paiement", max_length=10, choices=PaymentMethod.choices)
    amount = models.DecimalField("montant", max_digits=12, decimal_places=2)
    received_on = models.DateField("reçu le")
    reference = models.CharField("référence", max_length=40, blank=True)
    receipt_number = models.CharField("n° de reçu", max_length=24, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "paiement"
        verbose_name_plural = "paiements"
        ordering = ("-received_on", "-id")
        constraints = [
            # A return file pays each claim once, however many times its import is retried.
            models.UniqueConstraint(
                fields=("return_file", "claim"),
                condition=Q(return_file__isnull=False),
                name="payment_once_per_return",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} € ({self.get_source_display()})"


class ItemKind(models.TextChoices):
    LUMP_SUM = "F", "Forfait"
    ADJUSTMENT = "J", "Ajustement"
    RECOVERY = "I", "Récupération (indu)"
    PAYMENT = "P", "Paiement sans demande correspondante"
    REJECT = "R", "Rejet sans demande correspondante"
    ACK = "A", "ARL sans lot correspondant"


class ItemStatus(models.TextChoices):
    OPEN = "open", "À rapprocher"
    RESOLVED = "resolved", "Rapproché"


class ReconciliationItem(models.Model):
    """A line of a return that matches no claim (« à rapprocher »): a lump sum, an adjustment,
    a recovery, or a payment / reject / ARL that names no claim or lot awaiting it. The rest of
    its file is reconciled; the clerk settles these by hand (`services.reconciliation`)."""

    return_file = models.ForeignKey(
        ReturnFile, on_delete=models.PROTECT, related_name="items", verbose_name="fichier"
    )
    line = models.PositiveIntegerField("ligne")
    kind = models.CharField("nature", max_length=1, choices=ItemKind.choices)
    payer_type = models.CharField("payeur", max_length=3, choices=PayerType.CHOICES)
    payer_code = models.CharField("organisme", max_length=20)
    # Signed: what the line adds to the transfer (a recovery is negative), None for a reject.
    amount = models.DecimalField("montant", max_digits=12, decimal_places=2, null=True)
    on = models.DateField("date", null=True, blank=True)
    transfer_ref = models.CharField("référence du virement", max_length=40, blank=True)
    claim_ref = models.CharField("référence de demande citée", max_length=24, blank=True)
    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    code = models.CharField("code", max_length=8, blank=True)
    label = models.CharField("libellé", max_length=200, blank=True)
    reason = models.CharField("pourquoi à rapprocher", max_length=300)
    status = models.CharField(
        "état", max_length=10, choices=ItemStatus.choices, default=ItemStatus.OPEN
    )
    resolved_at = models.DateTimeField("rapproché le", null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField("rapprochement", max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "ligne à rapprocher"
        verbose_name_plural = "lignes à rapprocher"
        ordering = ("created_at", "id")
        constraints = [
            models.UniqueConstraint(fields=("return_file", "line"), name="item_once_per_line")
        ]
        indexes = [models.Index(fields=("status", "payer_type", "payer_code"), name="item_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ligne {self.line}"
