from __future__ import annotations

from celery import shared_task
from django.core.management import call_command


@shared_task(name="centre.tasks.ping", acks_late=True)
def ping() -> str:
    """Used by /healthz-style checks and by the worker test."""
    return "pong"


@shared_task(name="centre.tasks.clear_expired_sessions", acks_late=True, max_retries=3)
def clear_expired_sessions() -> None:
    call_command("clearsessions")


@shared_task(name="centre.tasks.purge_old_reads", acks_late=True, max_retries=3)
def purge_old_reads() -> int:
    """Reads of the journal older than AUDIT_READ_RETENTION_DAYS are deleted by the database
    function that alone may delete from the journal, and the purge is journaled by it."""
    from centre import audit

    return audit.purge_old_reads()


@shared_task(name="centre.tasks.send_digests", acks_late=True, max_retries=3)
def send_digests() -> int:
    """The daily « À faire » e-mail (settings.NOTIFICATIONS_DIGEST); once a day per person."""
    from centre.services import digests

    return digests.digest_send_all()
