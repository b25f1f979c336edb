"""Celery tasks of the billing app: they take ids, are idempotent and call a service."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache

from billing.services import batches, returns
from centre.models import User

PROGRESS_KEY = "billing:build-progress:{run}"


def progress_of(run: str) -> dict[str, int] | None:
    value: dict[str, int] | None = cache.get(PROGRESS_KEY.format(run=run))
    return value


@shared_task(
    name="billing.tasks.build_batches",
    acks_late=True,
    time_limit=1800,
    soft_time_limit=1700,
    max_retries=3,
    default_retry_delay=60,
)
def build_batches(
    claim_ids: list[int] | None = None, actor_id: int | None = None, run: str = ""
) -> list[int]:
    """Idempotent: claims already in a batch are no longer ready, so a second run (or a run
    retried after a worker crash) only picks up what is left."""
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None

    def progress(done: int, total: int) -> None:
        if run:
            cache.set(PROGRESS_KEY.format(run=run), {"done": done, "total": total}, 3600)

    if run:
        cache.set(PROGRESS_KEY.format(run=run), {"done": 0, "total": -1}, 3600)
    return batches.batches_build(by=actor, claim_ids=claim_ids, progress=progress)


@shared_task(
    name="billing.tasks.reconcile_return",
    acks_late=True,
    time_limit=1800,
    soft_time_limit=1700,
)
def reconcile_return(return_file_id: int, actor_id: int | None = None) -> str:
    """Idempotent: the file row is locked and only a file « en attente » is reconciled, in one
    transaction (a retry after a crash starts again from nothing imported)."""
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    return returns.return_reconcile(return_file_id=return_file_id, by=actor).status
