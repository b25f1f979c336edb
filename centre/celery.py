"""Celery application. Tasks take ids, are idempotent, are enqueued with
`transaction.on_commit`, and call a service; the beat schedule lives here, in code."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "centre.settings")

app = Celery("passerelle")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Report runs live in a package of the centre app, not in centre/tasks.py.
app.autodiscover_tasks(["centre.reports"])

app.conf.beat_schedule = {
    "purge-expired-sessions": {
        "task": "centre.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=15),
    },
    # Appointment reminders (SMS / e-mail the day before); the task is idempotent.
    "appointment-reminders": {
        "task": "appointments.tasks.queue_reminders",
        "schedule": crontab(minute="*/15"),
    },
    # Report runs requested while the broker was down are queued again once it is back.
    "reports-requeue-delayed": {
        "task": "centre.reports.requeue_delayed_runs",
        "schedule": crontab(minute="*/5"),
    },
    # Reports' files older than REPORT_FILES_KEEP_DAYS are deleted (figures stay).
    "reports-purge-old-files": {
        "task": "centre.reports.purge_old_files",
        "schedule": crontab(hour=3, minute=45),
    },
    # Journal reads older than AUDIT_READ_RETENTION_DAYS are purged by the database function
    # that alone may delete from the journal (migration centre 0009); the purge is journaled.
    "audit-purge-old-reads": {
        "task": "centre.tasks.purge_old_reads",
        "schedule": crontab(hour=4, minute=10),
    },
    # The « À faire » e-mail of each member of staff (only if NOTIFICATIONS_DIGEST is on).
    "notifications-digest": {
        "task": "centre.tasks.send_digests",
        "schedule": crontab(hour=7, minute=30),
    },
    # Ready claims are grouped into batches (lots) every night; the task is idempotent.
    "billing-build-batches": {
        "task": "billing.tasks.build_batches",
        "schedule": crontab(hour=2, minute=30),
    },
}
