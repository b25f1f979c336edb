"""Pluggable SMS sending. The console backend prints messages; a provider adapter (added with
the reminders) is chosen by SMS_BACKEND."""

from __future__ import annotations

import logging
import sys
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


def get_backend() -> SmsBackend:
    backend_class = import_string(settings.SMS_BACKEND)
    backend: SmsBackend = backend_class()
    return backend
