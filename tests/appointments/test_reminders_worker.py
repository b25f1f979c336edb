"""Reminders sent by a real Celery worker consuming from the real Redis broker (not eager):
beat's task fans out one task per (appointment, channel), the worker delivers each once."""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.utils import timezone

from appointments import tasks
from appointments.models import DeliveryStatus, Reminder, ReminderKind
from centre.celery import app
from centre.models import AuditEntry, Site, User
from tests.appointments.factories import PatientFactory, appointment, practitioner

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def real_worker() -> Iterator[None]:
    assert settings.REDIS_URL, "make test sets REDIS_URL to the test Redis database"
    previous = {
        "task_always_eager": app.conf.task_always_eager,
        "broker_url": app.conf.broker_url,
        "result_backend": app.conf.result_backend,
    }
    app.conf.update(
        task_always_eager=False, broker_url=settings.REDIS_URL, result_backend=settings.REDIS_URL
    )
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.update(**previous)


def test_reminders_go_through_a_real_worker_once_and_only_with_consent(
    real_worker: None, site: Site, staff: dict[str, User]
) -> None:
    start = timezone.now() + datetime.timedelta(hours=20)
    doctor = practitioner(site=site)
    consenting = appointment(
        practitioner=doctor,
        site=site,
        start=start,
        booked_by=staff["accueil"],
        patient=PatientFactory(consent_sms=True, consent_email=True),
    )
    appointment(
        practitioner=doctor,
        site=site,
        start=start + datetime.timedelta(minutes=30),
        booked_by=staff["accueil"],
        patient=PatientFactory(consent_sms=False, consent_email=False),
    )
    # Beat's task runs on the worker and queues one task per consented channel.
    assert tasks.queue_reminders.delay().get(timeout=30) == 2
    deadline = timezone.now() + datetime.timedelta(seconds=30)
    while Reminder.objects.filter(status=DeliveryStatus.SENT).count() < 2:
        assert timezone.now() < deadline, "the worker did not send the reminders in time"
        time.sleep(0.2)  # the worker runs in its own thread, with its own connection
    sent = Reminder.objects.order_by("channel")
    assert [(r.appointment_id, r.kind, r.channel, r.status) for r in sent] == [
        (consenting.pk, ReminderKind.REMINDER, "email", DeliveryStatus.SENT),
        (consenting.pk, ReminderKind.REMINDER, "sms", DeliveryStatus.SENT),
    ]
    assert AuditEntry.objects.filter(action="appointment.reminder_sent").count() == 2
    # Beat runs again and a task is replayed by hand on the worker: nothing is sent twice.
    assert tasks.queue_reminders.delay().get(timeout=30) == 0
    assert tasks.send_reminder.delay(consenting.pk, "sms").get(timeout=30) == "already"
    assert Reminder.objects.count() == 2
