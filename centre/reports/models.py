"""ReportRun: one request for a report, computed in the background (Celery).

App label `reports`; the table keeps the name it had in `centre` (`Meta.db_table`), see
reports/migrations/0001_initial.py."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class RunStatus(models.TextChoices):
    QUEUED = "queued", "En attente"
    RUNNING = "running", "En cours"
    DONE = "done", "Terminé"
    FAILED = "failed", "Échec"


class RunTransitionError(Exception):
    """A status change the current status does not allow (French message)."""


class ReportRun(models.Model):
    """A report for a template, a period and a site (or all sites).

    The parameters are stored as given, so that running them again computes the same figures;
    the files live under MEDIA_ROOT/reports/ and are only served through the authenticated,
    audited download view.
    """

    template = models.CharField("modèle", max_length=40)
    period_start = models.DateField("du")
    period_end = models.DateField("au")
    site = models.ForeignKey(
        "centre.Site",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="site",
        help_text="Vide : tous les sites.",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="demandé par",
    )
    status = models.CharField(
        "état", max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField("avancement (%)", default=0)
    figures = models.JSONField("chiffres", default=list, blank=True)
    suppression_threshold = models.PositiveSmallIntegerField("seuil de secret statistique")
    pdf_file = models.CharField("fichier PDF", max_length=255, blank=True)
    csv_file = models.CharField("fichier CSV", max_length=255, blank=True)
    xlsx_file = models.CharField("fichier XLSX", max_length=255, blank=True)
    error = models.TextField("erreur", blank=True)
    attempts = models.PositiveSmallIntegerField("tentatives", default=0)
    created_at = models.DateTimeField("demandé le", default=timezone.now)
    started_at = models.DateTimeField("commencé le", null=True, blank=True)
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)
    compute_seconds = models.FloatField("calcul des indicateurs (s)", null=True, blank=True)
    render_seconds = models.FloatField("production des fichiers (s)", null=True, blank=True)

    class Meta:
        # The table name of the days the model belonged to `centre` (data kept, no rename).
        db_table = "centre_reportrun"
        verbose_name = "rapport"
        verbose_name_plural = "rapports"
        ordering = ("-created_at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="reportrun_period_order",
            ),
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="reportrun_progress_max"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"Rapport {self.template} du {self.period_start:%d/%m/%Y} au {self.period_end:%d/%m/%Y}"
        )

    @property
    def is_finished(self) -> bool:
        return self.status in (RunStatus.DONE, RunStatus.FAILED)

    def files(self) -> dict[str, str]:
        found = {"pdf": self.pdf_file, "csv": self.csv_file, "xlsx": self.xlsx_file}
        return {fmt: path for fmt, path in found.items() if path}

    # --- transitions ---------------------------------------------------------------------

    def start(self) -> None:
        # RUNNING again is allowed: a worker lost mid-run hands the task to another one
        # (acks_late), which starts over from nothing.
        if self.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
            raise RunTransitionError(
                f"Impossible de lancer le rapport : il est « {self.get_status_display()} »."
            )
        self.status = RunStatus.RUNNING
        self.progress = 0
        self.attempts += 1
        self.error = ""
        self.started_at = timezone.now()
        self.finished_at = None

    def finish(self, *, figures: list[dict[str, Any]], files: dict[str, str]) -> None:
        if self.status != RunStatus.RUNNING:
            raise RunTransitionError("Seul un rapport en cours peut être terminé.")
        self.status = RunStatus.DONE
        self.progress = 100
        self.figures = figures
        self.pdf_file = files.get("pdf", "")
        self.csv_file = files.get("csv", "")
        self.xlsx_file = files.get("xlsx", "")
        self.finished_at = timezone.now()

    def fail(self, message: str) -> None:
        if self.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
            raise RunTransitionError("Ce rapport est déjà terminé.")
        self.status = RunStatus.FAILED
        self.error = message
        self.pdf_file = self.csv_file = self.xlsx_file = ""
        self.finished_at = timezone.now()
