"""Messages to patients in their preferred language (gettext catalogues in locale/), French
for any language without a reviewed translation, and their size in SMS segments."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext

from appointments import reminders
from appointments.models import Appointment, ReminderKind
from centre import sms
from centre.models import AuditEntry, Site, User
from tests.appointments.factories import PatientFactory, appointment, paris, practitioner

pytestmark = pytest.mark.django_db

LOCALE = Path(__file__).resolve().parents[2] / "locale"
# Friday 4 December 2026, 09:00 in Paris.
START = paris(2026, 12, 4, 9, 0)


@pytest.fixture
def booked(site: Site, staff: dict[str, User]) -> Appointment:
    site.name = "Centre des Couronneries"
    site.save()
    site.centre.phone = "05 49 00 00 00"
    site.centre.save()
    return appointment(
        practitioner=practitioner(site=site),
        site=site,
        start=START,
        booked_by=staff["accueil"],
        patient=PatientFactory(consent_sms=True, language="fr"),
    )


def _in(booked: Appointment, language: str) -> Appointment:
    booked.patient.language = language
    booked.patient.save()
    return booked


def test_french_reminder_stays_in_gsm7(booked: Appointment) -> None:
    text = reminders.message_text(booked, ReminderKind.REMINDER)
    assert text == (
        "Rappel : rendez-vous le vendredi 4 décembre 2026 à 09h00 (Consultation de médecine "
        "générale), Centre des Couronneries. Si vous ne pouvez pas venir, appelez le "
        "05 49 00 00 00."
    )
    # 174 septets: two SMS in GSM-7; one « ê » (« en cas d'empêchement ») would have made it
    # UCS-2, three SMS.
    assert sms.sms_size(text) == sms.SmsSize("GSM-7", 174, 2)
    assert sms.sms_size(text.replace("Si vous ne pouvez pas venir", "En cas d'empêchement")) == (
        sms.SmsSize("UCS-2", 167, 3)
    )


def test_english_and_arabic_reminders(booked: Appointment) -> None:
    english = reminders.message_text(_in(booked, "en"), ReminderKind.CONFIRMATION)
    assert english == (
        "Appointment confirmed on Friday 4 December 2026 at 09:00 (Consultation de médecine "
        "générale), Centre des Couronneries. If you cannot come, please call 05 49 00 00 00."
    )
    arabic = reminders.message_text(_in(booked, "ar"), ReminderKind.REMINDER)
    assert arabic.startswith("تذكير: لديك موعد يوم ")
    assert "الساعة 09:00" in arabic and "05 49 00 00 00" in arabic
    # Arabic does not fit the GSM alphabet: UCS-2, 70 characters per single SMS.
    size = sms.sms_size(arabic)
    assert size.encoding == "UCS-2"
    assert size.units == len(arabic)
    assert size.segments == -(-len(arabic) // 67)


@pytest.mark.parametrize("language", ["wo", "ps", "kab", "", "xx"])
def test_languages_without_a_reviewed_translation_get_french(
    booked: Appointment, language: str
) -> None:
    assert reminders.message_language(_in(booked, language).patient) == "fr"
    assert reminders.message_text(booked, ReminderKind.REMINDER).startswith(
        "Rappel : rendez-vous le vendredi 4 décembre 2026"
    )


def test_every_catalogue_translates_every_message() -> None:
    msgids = [
        "Rappel : rendez-vous le %(date)s à %(time)s (%(motif)s), %(site)s.",
        "Rendez-vous confirmé le %(date)s à %(time)s (%(motif)s), %(site)s.",
        " Si vous ne pouvez pas venir, appelez le %(phone)s.",
        "Un rendez-vous s'est libéré le %(date)s à %(time)s (%(motif)s), %(site)s.",
        " Pour le prendre, appelez le %(phone)s.",
        " Contactez l'accueil.",
        "Votre rendez-vous",
        "Un rendez-vous s'est libéré",
    ]
    for language in reminders.MESSAGE_LANGUAGES[1:]:
        assert (LOCALE / language / "LC_MESSAGES" / "django.mo").exists(), language
        with translation.override(language):
            for msgid in msgids:
                translated = gettext(msgid)
                assert translated != msgid, (language, msgid)
                # Same placeholders: a translation never drops the date, time or phone.
                for placeholder in ("%(date)s", "%(time)s", "%(motif)s", "%(site)s", "%(phone)s"):
                    assert (placeholder in translated) == (placeholder in msgid), (
                        language,
                        msgid,
                    )


def test_segment_counts() -> None:
    assert sms.sms_size("a" * 160) == sms.SmsSize("GSM-7", 160, 1)
    assert sms.sms_size("a" * 161) == sms.SmsSize("GSM-7", 161, 2)
    assert sms.sms_size("a" * 306) == sms.SmsSize("GSM-7", 306, 2)
    assert sms.sms_size("a" * 307) == sms.SmsSize("GSM-7", 307, 3)
    # € and [ ] take two septets (extension table).
    assert sms.sms_size("€" * 80) == sms.SmsSize("GSM-7", 160, 1)
    assert sms.sms_size("[" * 81) == sms.SmsSize("GSM-7", 162, 2)
    # One character outside the alphabet (ê, «) sends the whole message in UCS-2.
    assert sms.sms_size("empêchement") == sms.SmsSize("UCS-2", 11, 1)
    assert sms.sms_size("é" * 70 + "«") == sms.SmsSize("UCS-2", 71, 2)
    assert sms.sms_size("Нагадування" * 7) == sms.SmsSize("UCS-2", 77, 2)


def test_the_reminder_goes_out_in_the_patient_language_and_is_journaled(
    booked: Appointment, capsys: pytest.CaptureFixture[str]
) -> None:
    _in(booked, "tr")
    outcome = reminders.deliver(
        appointment_id=booked.pk,
        kind=ReminderKind.REMINDER,
        channel="sms",
        now=START - datetime.timedelta(hours=20),
    )
    assert outcome.sent
    out = capsys.readouterr().out
    assert "Hatırlatma: 4 Aralık 2026 Cuma" in out or "Hatırlatma: Cuma 4 Aralık 2026" in out
    entry = AuditEntry.objects.get(action="appointment.reminder_sent")
    text = reminders.message_text(booked, ReminderKind.REMINDER)
    assert entry.extra["language"] == "tr"
    assert entry.extra["sms_segments"] == sms.sms_size(text).segments
