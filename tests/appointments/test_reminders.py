"""Reminders: never twice, never without consent, never after the start; delivery status
stored; the Brevo adapter is exercised against a local HTTP server only."""

from __future__ import annotations

import datetime
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from appointments import reminders, tasks
from appointments.models import DeliveryStatus, Reminder, ReminderKind, Status
from centre import sms
from centre.celery import app as celery_app
from centre.models import Site, User
from tests.appointments.factories import PatientFactory, appointment, practitioner

pytestmark = pytest.mark.django_db


@pytest.fixture
def soon(site: Site, staff: dict[str, User]) -> Any:
    """A booked appointment in 20 hours, patient consenting to SMS only."""
    return appointment(
        practitioner=practitioner(site=site),
        site=site,
        start=timezone.now() + datetime.timedelta(hours=20),
        booked_by=staff["accueil"],
        patient=PatientFactory(consent_sms=True, consent_email=False),
    )


def test_due_reminders_then_sent_once(soon: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert reminders.due_for_reminder() == [(soon.pk, "sms")]
    assert tasks.queue_reminders.delay().get() == 1
    reminder = Reminder.objects.get()
    assert reminder.status == DeliveryStatus.SENT
    assert reminder.to == "+33612345678"
    assert reminder.sent_at is not None
    assert "[SMS → +33612345678] Rappel : rendez-vous le" in capsys.readouterr().out
    # Beat runs again, and a task is replayed by hand: nothing more is sent.
    assert tasks.queue_reminders.delay().get() == 0
    assert tasks.send_reminder.delay(soon.pk, "sms").get() == "already"
    assert Reminder.objects.count() == 1


def test_never_without_consent(soon: Any) -> None:
    soon.patient.consent_sms = False
    soon.patient.save()
    assert reminders.due_for_reminder() == []
    assert tasks.send_reminder.delay(soon.pk, "sms").get() == "no_consent"
    assert tasks.send_reminder.delay(soon.pk, "email").get() == "no_consent"
    assert not Reminder.objects.exists()


def test_never_after_the_start(soon: Any) -> None:
    later = soon.start + datetime.timedelta(minutes=1)
    outcome = reminders.deliver(
        appointment_id=soon.pk, kind=ReminderKind.REMINDER, channel="sms", now=later
    )
    assert outcome.reason == "started"
    assert reminders.due_for_reminder(now=later) == []
    assert not Reminder.objects.exists()


def test_not_for_cancelled_appointments(soon: Any) -> None:
    soon.status = Status.CANCELLED
    soon.save()
    assert tasks.send_reminder.delay(soon.pk, "sms").get() == "not_booked"


def test_not_too_early(soon: Any) -> None:
    early = soon.start - datetime.timedelta(hours=30)
    assert reminders.due_for_reminder(now=early) == []


def test_email_reminder_with_consent(soon: Any) -> None:
    soon.patient.consent_email = True
    soon.patient.save()
    assert sorted(reminders.due_for_reminder()) == [(soon.pk, "email"), (soon.pk, "sms")]
    tasks.queue_reminders.delay()
    assert len(mail.outbox) == 1
    assert "Rappel : rendez-vous le" in mail.outbox[0].body
    assert Reminder.objects.filter(status=DeliveryStatus.SENT).count() == 2


def test_beat_schedule_runs_the_reminders() -> None:
    entry = celery_app.conf.beat_schedule["appointment-reminders"]
    assert entry["task"] == "appointments.tasks.queue_reminders"


# --- Brevo adapter against a local HTTP server ---------------------------------------------


class _Recorder(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    status = 201

    def do_POST(self) -> None:
        length = int(self.headers["content-length"])
        _Recorder.received.append(
            {"body": json.loads(self.rfile.read(length)), "api_key": self.headers["api-key"]}
        )
        self.send_response(_Recorder.status)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"reference": "ref-1", "messageId": 1511882900176220}')

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def provider() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    _Recorder.received = []
    _Recorder.status = 201
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/v3/transactionalSMS/sms"
    server.shutdown()
    server.server_close()


def test_brevo_adapter_sends_and_stores_the_provider_id(soon: Any, provider: str) -> None:
    with override_settings(
        SMS_BACKEND="centre.sms.BrevoSmsBackend", SMS_BREVO_URL=provider, SMS_BREVO_API_KEY="k-test"
    ):
        assert tasks.send_reminder.delay(soon.pk, "sms").get() == "sent"
    [request] = _Recorder.received
    assert request["api_key"] == "k-test"
    assert request["body"]["recipient"] == "33612345678"
    assert request["body"]["type"] == "transactional"
    assert request["body"]["content"].startswith("Rappel : rendez-vous le")
    reminder = Reminder.objects.get()
    assert reminder.provider_id == "1511882900176220"
    assert reminder.status == DeliveryStatus.SENT


def test_brevo_failure_is_recorded_and_not_retried(soon: Any, provider: str) -> None:
    _Recorder.status = 400
    with override_settings(
        SMS_BACKEND="centre.sms.BrevoSmsBackend", SMS_BREVO_URL=provider, SMS_BREVO_API_KEY="k-test"
    ):
        assert tasks.send_reminder.delay(soon.pk, "sms").get() == "failed"
        assert tasks.send_reminder.delay(soon.pk, "sms").get() == "already"
    reminder = Reminder.objects.get()
    assert reminder.status == DeliveryStatus.FAILED
    assert reminder.error.startswith("HTTP 400")
    assert len(_Recorder.received) == 1


def test_brevo_without_key_does_not_call_out() -> None:
    with override_settings(SMS_BREVO_API_KEY=""):
        result = sms.BrevoSmsBackend().send(to="+33612345678", text="x")
    assert not result.ok
    assert "SMS_BREVO_API_KEY" in result.error
