"""A batch build interrupted by killing a real worker, then re-run: each claim is in exactly
one batch (real Celery worker process, real Redis broker, real PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count, Sum

from billing.models import Batch, Claim, ClaimStatus
from billing.services import batches
from centre.celery import app
from centre.models import Site, User
from tests.billing.factories import make_invoice, make_patient

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

WORKER = """
import os, sys
import django
django.setup()
from django.conf import settings
settings.BILLING_TRANSMISSION_ADAPTER = "tests.billing.slow_adapter.SlowAdapter"
settings.MEDIA_ROOT = sys.argv[1]
from centre.celery import app
app.conf.update(task_always_eager=False, broker_url=settings.REDIS_URL)
app.worker_main(["worker", "--pool=solo", "--loglevel=WARNING", "-Q", sys.argv[2]])
"""


def test_killed_worker_then_rerun_puts_each_claim_in_exactly_one_batch(
    staff: dict[str, User], site: Site, tmp_path: Path
) -> None:
    assert settings.REDIS_URL, "make test sets REDIS_URL to the test Redis database"
    caisses = ["861", "751", "331", "691", "131"]
    for caisse in caisses:
        for _ in range(3):
            make_invoice(
                by=staff["soignant"],
                practitioner=staff["soignant"],
                site=site,
                patient=make_patient(caisse=caisse),
            )
    queue = f"billing-crash-{os.getpid()}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(tmp_path), queue],
        env=env,
        cwd=settings.BASE_DIR,
    )
    previous = {"task_always_eager": app.conf.task_always_eager, "broker_url": app.conf.broker_url}
    try:
        app.conf.update(task_always_eager=False, broker_url=settings.REDIS_URL)
        app.send_task("billing.tasks.build_batches", kwargs={"run": "crash"}, queue=queue)
        deadline = time.monotonic() + 60
        while not Batch.objects.filter(status="built").exists():  # first batch committed
            assert time.monotonic() < deadline, "the worker never built a batch"
            assert worker.poll() is None, "the worker stopped"
            time.sleep(0.1)
        worker.send_signal(signal.SIGKILL)  # mid-way: the next batch's file is being written
        worker.wait(timeout=10)
    finally:
        app.conf.update(**previous)
        if worker.poll() is None:
            worker.kill()
    time.sleep(0.5)  # PostgreSQL notices the dead connection and rolls its transaction back
    done = Batch.objects.count()
    assert 1 <= done < len(caisses)
    assert Claim.objects.filter(status=ClaimStatus.IN_BATCH).count() == 3 * done
    assert not Claim.objects.filter(status=ClaimStatus.IN_BATCH, batch__isnull=True).exists()
    assert Claim.objects.filter(status=ClaimStatus.READY).count() == 3 * (len(caisses) - done)

    batches.batches_build(by=staff["facturation"])  # the re-run (or the retried task)
    batches.batches_build(by=staff["facturation"])  # and once more: nothing left to do

    assert not Claim.objects.exclude(status=ClaimStatus.IN_BATCH).exists()
    assert not Claim.objects.filter(batch__isnull=True).exists()
    per_batch = Batch.objects.annotate(n=Count("claims"), total=Sum("claims__amount"))
    assert sorted(b.payer_code for b in per_batch) == sorted(caisses)
    assert all(b.n == b.claims_count == 3 for b in per_batch)
    assert all(b.total == b.total_amount for b in per_batch)
