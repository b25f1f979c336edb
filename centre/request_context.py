"""The request being served, for the audit journal (request id, IP) without threading it
through every service signature."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    ip: str | None


current: ContextVar[RequestContext | None] = ContextVar("passerelle_request", default=None)
