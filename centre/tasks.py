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
