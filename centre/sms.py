"""Pluggable SMS sending. The console backend prints messages; a provider adapter (added with
the reminders) is chosen by SMS_BACKEND."""

from __future__ import annotations

import json
import logging
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsResult:
    ok: bool
    provider_id: str = ""
    error: str = ""


class SmsBackend(Protocol):
    def send(self, *, to: str, text: str) -> SmsResult: ...


class ConsoleSmsBackend:
    def send(self, *, to: str, text: str) -> SmsResult:
        sys.stdout.write(f"[SMS → {to}] {text}\n")
        return SmsResult(ok=True, provider_id="console")


class BrevoSmsBackend:
    """Brevo (ex-Sendinblue) transactional SMS: POST {SMS_BREVO_URL} with the `api-key`
    header (https://developers.brevo.com/reference/sendtransacsms). Configured by
    SMS_BREVO_API_KEY, SMS_BREVO_URL, SMS_SENDER and SMS_HTTP_TIMEOUT."""

    def __init__(self) -> None:
        self.url = settings.SMS_BREVO_URL
        self.api_key = settings.SMS_BREVO_API_KEY
        self.timeout = settings.SMS_HTTP_TIMEOUT
        if not self.url.startswith(("https://", "http://")):
            raise ValueError("SMS_BREVO_URL doit être une URL http(s).")

    def send(self, *, to: str, text: str) -> SmsResult:
        if not self.api_key:
            return SmsResult(ok=False, error="SMS_BREVO_API_KEY n'est pas configurée.")
        # Brevo wants the number with its country code and no "+" (33612345678).
        recipient = to.lstrip("+").replace(" ", "")
        body = json.dumps(
            {
                "type": "transactional",
                "sender": settings.SMS_SENDER[:11],
                "recipient": recipient,
                "content": text,
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self.url,
            data=body,
            method="POST",
            headers={
                "api-key": self.api_key,
                "content-type": "application/json",
                "accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                payload = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            detail = error.read()[:200].decode(errors="replace")
            return SmsResult(ok=False, error=f"HTTP {error.code} : {detail}")
        except (urllib.error.URLError, TimeoutError, ValueError) as error:
            return SmsResult(ok=False, error=f"Prestataire injoignable : {error}")
        return SmsResult(ok=True, provider_id=str(payload.get("messageId", "")))


# GSM 03.38 (3GPP TS 23.038): the default alphabet, and its extension table whose characters
# take two septets (escape + character). Anything else sends the whole message in UCS-2.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsSize:
    """How a text travels: `encoding` "GSM-7" or "UCS-2", its length in that encoding's units
    (septets, or UTF-16 code units) and the number of SMS it takes."""

    encoding: str
    units: int
    segments: int


def sms_size(text: str) -> SmsSize:
    """Segments of one message (3GPP TS 23.038 / 23.040): in GSM-7, 160 septets fit in one
    SMS and 153 per part once concatenated (the header takes 7); in UCS-2, 70 characters and
    67 per part. The provider bills, and the phone shows, one SMS per segment."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        units = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
        single, part, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part, encoding = 70, 67, "UCS-2"
    segments = 1 if units <= single else -(-units // part)
    return SmsSize(encoding, units, segments)


def get_backend() -> SmsBackend:
    backend_class = import_string(settings.SMS_BACKEND)
    backend: SmsBackend = backend_class()
    return backend
