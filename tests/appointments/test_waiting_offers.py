"""Waiting list: a freed slot is offered by SMS / e-mail (with consent), recorded, never twice,
audited; not once it has started or been booked again."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appointments import reminders, tasks
from appointments.models import DeliveryStatus, WaitingListEntry, WaitingListOffer
from appointments.services import statuses, waiting_list
from centre.models import AuditEntry, Site, User
from tests.appointments.factories import (
    ConsultationTypeFactory,
    PatientFactory,
    appointment,
    practitioner,
)

pytestmark = pytest.mark.django_db
ClientFor = Callable[[str | None], Client]


def wait(staff: dict[str, User], **patient: Any) -> WaitingListEntry:
    return waiting_list.waiting_list_add(
        patient=PatientFactory(**patient),
        consultation_type=ConsultationTypeFactory(),
        by=staff["accueil"],
    )


@pytest.fixture
def booked(site: Site, staff: dict[str, User]) -> Any:
    return appointment(
        practitioner=practitioner(site=site),
        site=site,
        start=timezone.now() + datetime.timedelta(days=2),
        booked_by=staff["accueil"],
    )


def test_cancelling_offers_the_slot_to_the_waiting_list_once(
    booked: Any,
    staff: dict[str, User],
    capsys: pytest.CaptureFixture[str],
    django_capture_on_commit_callbacks: Callable[..., Any],
    client_for: ClientFor,
) -> None:
    sms_only = wait(staff, consent_sms=True, consent_email=False)
    no_consent = wait(staff, consent_sms=False, consent_email=False)
    both = wait(staff, consent_sms=True, consent_email=True)
    fourth = wait(staff, consent_sms=True)  # beyond APPOINTMENT_WAITING_LIST_OFFERS (3)
    with django_capture_on_commit_callbacks(execute=True):
        statuses.appointment_cancel(appointment=booked, by=staff["accueil"], by_patient=True)
    offers = WaitingListOffer.objects.order_by("entry_id", "channel")
    assert [(o.entry_id, o.channel, o.status) for o in offers] == [
        (sms_only.pk, "sms", DeliveryStatus.SENT),
        (both.pk, "email", DeliveryStatus.SENT),
        (both.pk, "sms", DeliveryStatus.SENT),
    ]
    out = capsys.readouterr().out
    assert out.count("Un rendez-vous s'est libéré le ") == 2
    assert booked.patient.last_name not in out  # no name in the message
    assert [m.subject for m in mail.outbox] == ["Un rendez-vous s'est libéré"]
    assert WaitingListEntry.objects.get(pk=sms_only.pk).notified_at is not None
    assert WaitingListEntry.objects.get(pk=no_consent.pk).notified_at is None
    assert not WaitingListOffer.objects.filter(entry=fourth).exists()
    sent = AuditEntry.objects.filter(action="waiting_list.offer_sent")
    assert sent.count() == 3
    assert {e.extra["freed_appointment"] for e in sent} == {booked.pk}
    # The task again (a retry), then reception by hand: nothing is sent twice.
    assert tasks.offer_freed_slot.delay(booked.pk).get() == [
        "already",
        "no_consent",
        "already",
        "already",
    ]
    page = client_for("accueil").post(
        reverse("appointments:waiting_offer", args=[sms_only.pk, booked.pk]), follow=True
    )
    assert "déjà été proposé" in page.content.decode()
    assert WaitingListOffer.objects.count() == 3
    # The appointment page shows what was offered to whom.
    detail = client_for("accueil").get(reverse("appointments:detail", args=[booked.pk]))
    assert "Créneau proposé par SMS" in detail.content.decode()
    # Reception offers it to the fourth person by hand.
    client_for("accueil").post(reverse("appointments:waiting_offer", args=[fourth.pk, booked.pk]))
    assert WaitingListOffer.objects.get(entry=fourth).created_by == staff["accueil"]


def test_no_offer_once_the_slot_is_taken_again_or_has_started(
    booked: Any, site: Site, staff: dict[str, User]
) -> None:
    entry = wait(staff)
    statuses.appointment_cancel(appointment=booked, by=staff["accueil"], by_patient=False)
    started = booked.start + datetime.timedelta(minutes=1)
    assert [
        o.reason for o in reminders.offer_slot(freed_id=booked.pk, entry_id=entry.pk, now=started)
    ] == ["started"]
    appointment(
        practitioner=booked.practitioner, site=site, start=booked.start, booked_by=staff["accueil"]
    )
    assert [o.reason for o in reminders.offer_slot(freed_id=booked.pk, entry_id=entry.pk)] == [
        "taken"
    ]
    assert not WaitingListOffer.objects.exists()


def test_automatic_offers_can_be_turned_off(
    booked: Any,
    staff: dict[str, User],
    settings: Any,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    settings.APPOINTMENT_WAITING_LIST_OFFERS = 0
    wait(staff)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        statuses.appointment_cancel(appointment=booked, by=staff["accueil"], by_patient=True)
    assert callbacks == []
    assert not WaitingListOffer.objects.exists()
