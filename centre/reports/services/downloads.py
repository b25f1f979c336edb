"""Downloads of a report's files: a signed, expiring link bound to the account it was shown to,
and the download itself, journaled (`report.download`) whichever door serves it (page or API).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core import signing

from centre import audit
from centre.models import User
from centre.refusals import Kind
from centre.reports.errors import LinkExpired, ReportError, check_direction
from centre.reports.models import ReportRun, RunStatus

DOWNLOAD_SALT = "centre.reports.download"
FORMATS = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def download_token(*, by: User, run: ReportRun, fmt: str) -> str:
    """A signed, time-stamped token naming the run, the format and the user it is shown to."""
    if fmt not in FORMATS:
        raise ReportError("Format inconnu.", field="format")
    return signing.dumps({"r": run.pk, "f": fmt, "u": by.pk}, salt=DOWNLOAD_SALT)


def read_download_token(token: str, *, by: User) -> tuple[int, str]:
    """The run id and format a link names, if it is genuine, unexpired and made for `by`."""
    try:
        data = signing.loads(token, salt=DOWNLOAD_SALT, max_age=settings.REPORT_LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise LinkExpired(
            "Ce lien de téléchargement a expiré : rouvrez la page du rapport pour en obtenir un "
            "nouveau."
        ) from None
    except signing.BadSignature:
        raise ReportError("Lien de téléchargement invalide.") from None
    if data.get("u") != by.pk or data.get("f") not in FORMATS:
        raise ReportError("Ce lien de téléchargement a été créé pour un autre compte.")
    return int(data["r"]), str(data["f"])


def report_download(*, by: User, run: ReportRun, fmt: str) -> Path:
    """The file to send; the download is an export of the centre's figures, written to the
    audit journal (`report.download`, with the format) by every door that serves it."""
    check_direction(by)
    if fmt not in FORMATS:
        raise ReportError("Format inconnu.", field="format")
    relative = run.files().get(fmt)
    if run.status != RunStatus.DONE or not relative:
        raise ReportError("Ce rapport n'a pas de fichier à télécharger.", kind=Kind.NOT_FOUND)
    path = Path(settings.MEDIA_ROOT) / relative
    if not path.is_file():
        raise ReportError(
            "Le fichier de ce rapport n'existe plus : relancez le rapport.", kind=Kind.NOT_FOUND
        )
    audit.record_read(actor=by, action="report.download", obj=run, format=fmt)
    return path


def report_download_by_link(*, by: User, token: str) -> tuple[Path, str]:
    """The file a signed link names (path, format), journaled as `report_download`."""
    run_id, fmt = read_download_token(token, by=by)
    run = ReportRun.objects.filter(pk=run_id).first()
    if run is None:
        raise ReportError("Ce rapport n'existe plus.", kind=Kind.NOT_FOUND)
    return report_download(by=by, run=run, fmt=fmt), fmt


def link_minutes() -> int:
    return max(1, settings.REPORT_LINK_MAX_AGE // 60)
