"""Report runs: request one (direction only, journaled, queued once committed), produce its
files (called by the Celery task), give up, queue again after a broker outage, purge old
files."""

from __future__ import annotations

import datetime
import errno
import logging
import shutil
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import OperationalError, connections, transaction
from django.utils import timezone
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from centre import audit
from centre.models import Site, User
from centre.reports import figures, tasks
from centre.reports.errors import ReportError, check_direction
from centre.reports.exports import ExportContext, to_csv, to_xlsx
from centre.reports.indicators import Period, compute
from centre.reports.models import ReportRun, RunStatus
from centre.reports.pdf import render_pdf
from centre.reports.presentation import pdf_context
from centre.reports.templates import TEMPLATES, ReportTemplate, last_full_month

logger = logging.getLogger(__name__)

MAX_PERIOD_DAYS = 2 * 366


# --- requesting a run ---------------------------------------------------------------------


def report_request(
    *,
    by: User,
    template: str,
    period: Period,
    site: Site | None,
) -> ReportRun:
    """Records the request and queues its generation once the transaction commits."""
    check_direction(by)
    if template not in TEMPLATES:
        raise ReportError("Ce modèle de rapport n'existe pas.", field="template")
    if period.days > MAX_PERIOD_DAYS:
        raise ReportError("La période d'un rapport ne peut dépasser deux ans.")
    if period.end > timezone.localdate():
        raise ReportError("La période ne peut pas se terminer après aujourd'hui.")
    with transaction.atomic():
        run = ReportRun.objects.create(
            template=template,
            period_start=period.start,
            period_end=period.end,
            site=site,
            requested_by=by,
            suppression_threshold=settings.REPORT_SUPPRESSION_THRESHOLD,
        )
        audit.record(
            actor=by,
            action="report.request",
            obj=run,
            extra={
                "template": template,
                "from": period.start,
                "to": period.end,
                "site": site.pk if site else None,
            },
        )
        transaction.on_commit(lambda: _enqueue(run.pk))
    return run


# Shown on the run's page while the broker is unreachable; the run stays « en attente ».
QUEUE_DOWN = (
    "La file d'attente des tâches ne répond pas : le rapport est retardé. Il sera produit "
    "automatiquement dès son retour, sans nouvelle demande de votre part."
)


def runs_in_process() -> bool:
    """Without a broker (no REDIS_URL: the demo of `make run`), Celery would run the task
    eagerly, inside the request: the page would wait for the whole report with no progress.
    The run is then produced by a thread of the web process, and the page follows its
    progress as it would a worker's. Tests keep eager, synchronous runs unless they ask."""
    default = settings.CELERY_TASK_ALWAYS_EAGER and settings.ENVIRONMENT != "test"
    return bool(getattr(settings, "REPORT_RUN_IN_PROCESS", default))


def _generate_in_thread(run_id: int) -> None:
    def target() -> None:
        try:
            report_generate(run_id=run_id)
        except Exception:  # the run is marked failed by report_generate when it can be
            logger.exception("Rapport %s : la production dans le processus web a échoué", run_id)
            report_give_up(
                run_id=run_id,
                message="Le rapport n'a pas pu être produit. Relancez-le ; si l'erreur revient, "
                "prévenez l'équipe technique.",
            )
        finally:
            connections.close_all()

    threading.Thread(target=target, name=f"report-run-{run_id}", daemon=True).start()


def _enqueue(run_id: int) -> bool:
    """Queue the generation of a run. When the broker (Redis) is down, the request is not
    lost and does not wait: publishing is not retried (`retry=False`), the run stays « en
    attente » with the QUEUE_DOWN note, and `report_requeue_delayed` (beat, every five
    minutes) queues it again once the broker answers."""
    if runs_in_process():
        _generate_in_thread(run_id)
        return True
    try:
        tasks.generate_report.apply_async((run_id,), retry=False)
    except (KombuError, RedisError, OSError) as error:
        logger.warning("Rapport %s : file d'attente indisponible (%s)", run_id, error)
        ReportRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(error=QUEUE_DOWN)
        return False
    return True


def report_requeue_delayed() -> int:
    """Queue again the runs whose first queuing failed; returns how many were queued."""
    queued = 0
    for run_id in ReportRun.objects.filter(status=RunStatus.QUEUED, error=QUEUE_DOWN).values_list(
        "pk", flat=True
    ):
        ReportRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(error="")
        queued += _enqueue(run_id)
    return queued


# --- generating its files -----------------------------------------------------------------


def _report_dir(run: ReportRun) -> Path:
    return Path(settings.MEDIA_ROOT) / "reports" / str(run.pk)


def _set_progress(run_id: int, percent: int) -> None:
    # Outside any transaction, so that the page polling the run sees it move.
    ReportRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(progress=percent)


def _start(run_id: int) -> ReportRun | None:
    with transaction.atomic():
        run = (
            ReportRun.objects.select_for_update(of=("self",)).select_related("site").get(pk=run_id)
        )
        if run.is_finished:
            return None  # a retried or duplicated task: the run is already settled
        run.start()
        run.save()
    return run


def report_generate(*, run_id: int) -> ReportRun:
    """Computes the figures and writes the PDF, CSV and XLSX of a run; idempotent (a finished
    run is left as it is, an interrupted one starts over). Any error marks the run failed with
    a French message and leaves no file behind."""
    run = _start(run_id)
    if run is None:
        return ReportRun.objects.get(pk=run_id)
    attempt = run.attempts
    folder = _report_dir(run)
    try:
        template = TEMPLATES[run.template]
        period = Period(run.period_start, run.period_end)
        sites = [run.site] if run.site else None
        began = time.perf_counter()
        results = compute(
            template.available(),
            period,
            sites,
            on_progress=lambda done, total: _set_progress(run_id, int(60 * done / total)),
        )
        figs = [figures.figure(r, run.suppression_threshold) for r in results]
        computed = time.perf_counter()
        files = _write_files(run, template, figs, folder)
        rendered = time.perf_counter()
    except OperationalError:
        # The database went away: the task retries the whole run (nothing was kept).
        shutil.rmtree(folder, ignore_errors=True)
        raise
    except Exception as error:
        shutil.rmtree(folder, ignore_errors=True)
        message = _french_error(error)
        logger.exception("Rapport %s en échec", run_id)
        with transaction.atomic():
            run = ReportRun.objects.select_for_update().get(pk=run_id)
            if run.status == RunStatus.RUNNING and run.attempts == attempt:
                run.fail(message)
                run.save()
        return run
    with transaction.atomic():
        run = ReportRun.objects.select_for_update().get(pk=run_id)
        if run.status != RunStatus.RUNNING or run.attempts != attempt:
            return run  # another worker took the run over; its files win
        run.compute_seconds = round(computed - began, 3)
        run.render_seconds = round(rendered - computed, 3)
        run.finish(figures=figs, files=files)
        run.save()
    return run


def _french_error(error: Exception) -> str:
    from centre.reports.pdf import PdfError

    if isinstance(error, PdfError):
        return str(error)
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return (
            "Le disque du serveur est plein : les fichiers du rapport n'ont pas pu être "
            "enregistrés. Prévenez l'équipe technique, puis relancez le rapport."
        )
    if isinstance(error, OSError):
        return (
            "Les fichiers du rapport n'ont pas pu être enregistrés sur le serveur "
            f"({error.strerror or type(error).__name__}). Prévenez l'équipe technique."
        )
    if isinstance(error, SoftTimeLimitExceeded):
        return (
            "Le rapport a dépassé le temps de calcul permis : choisissez une période plus courte "
            "ou un seul site."
        )
    return (
        "Le rapport n'a pas pu être produit "
        f"({type(error).__name__}). Relancez-le ; si l'erreur revient, prévenez l'équipe technique."
    )


def _export_context(run: ReportRun, template: ReportTemplate) -> ExportContext:
    return ExportContext(
        template_title=template.title,
        period_start=run.period_start.isoformat(),
        period_end=run.period_end.isoformat(),
        site_label=run.site.name if run.site else "Tous les sites",
        threshold=run.suppression_threshold,
        generated_at=timezone.localtime().strftime("%Y-%m-%d %H:%M"),
    )


def _write_files(
    run: ReportRun, template: ReportTemplate, figs: list[dict[str, Any]], folder: Path
) -> dict[str, str]:
    ctx = _export_context(run, template)
    contents: dict[str, bytes] = {}
    contents["csv"] = to_csv(ctx, figs)
    _set_progress(run.pk, 65)
    contents["xlsx"] = to_xlsx(ctx, figs)
    _set_progress(run.pk, 70)
    contents["pdf"] = render_pdf(pdf_context(run, template, figs))
    _set_progress(run.pk, 95)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"rapport-{run.template}-{run.period_start:%Y%m%d}-{run.period_end:%Y%m%d}"
    paths: dict[str, str] = {}
    for fmt, data in contents.items():
        target = folder / f"{stem}.{fmt}"
        partial = target.with_suffix(f".{fmt}.part")
        partial.write_bytes(data)
        partial.replace(target)  # atomic: a reader never sees half a file
        paths[fmt] = str(target.relative_to(settings.MEDIA_ROOT))
    return paths


def default_period(
    today: datetime.date | None = None, *, template: ReportTemplate | None = None
) -> Period:
    """The period a form proposes: the last complete month, or for an annual template the
    last complete calendar year."""
    today = today or timezone.localdate()
    if template is not None:
        return template.default_period(today)
    return last_full_month(today)


def report_give_up(*, run_id: int, message: str) -> None:
    """Marks a run failed when its task will not try again (retries exhausted)."""
    with transaction.atomic():
        run = ReportRun.objects.select_for_update().get(pk=run_id)
        if not run.is_finished:
            run.fail(message)
            run.save()
    shutil.rmtree(_report_dir(run), ignore_errors=True)


def report_purge_files(now: datetime.datetime | None = None) -> int:
    """Delete the files of the reports finished more than REPORT_FILES_KEEP_DAYS ago (beat,
    every night); returns how many reports lost their files. Funders' files hold small counts
    of a neighbourhood's patients: they are not kept on disk longer than useful. The figures
    stay on the report's page, and the report can be requested again for new files. Each
    purge is journaled with the report; the directory is removed once that is committed."""
    limit = (now or timezone.now()) - datetime.timedelta(days=settings.REPORT_FILES_KEEP_DAYS)
    old = ReportRun.objects.filter(status=RunStatus.DONE, finished_at__lt=limit).exclude(
        pdf_file="", csv_file="", xlsx_file=""
    )
    purged = 0
    for run_id in old.values_list("pk", flat=True):
        with transaction.atomic():
            run = ReportRun.objects.select_for_update().get(pk=run_id)
            files = sorted(run.files())
            if not files:  # purged meanwhile by another run of the task
                continue
            run.pdf_file = run.csv_file = run.xlsx_file = ""
            run.save(update_fields=["pdf_file", "csv_file", "xlsx_file"])
            audit.record(
                actor=None,
                action="report.files.purge",
                obj=run,
                changes={"files": [files, []]},
                extra={"keep_days": settings.REPORT_FILES_KEEP_DAYS},
            )
            transaction.on_commit(partial(shutil.rmtree, _report_dir(run), ignore_errors=True))
        purged += 1
    return purged


def files_keep_days() -> int:
    return settings.REPORT_FILES_KEEP_DAYS
