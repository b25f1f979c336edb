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

app.conf.beat_schedule = {
    "purge-expired-sessions": {
        "task": "centre.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=15),
    },
}
