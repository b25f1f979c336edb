"""The request being served, for the audit journal (request id, IP) without threading it
through every service signature."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    ip: str | None
    # The request itself, for the rare receivers that must know who acts (centre.signals:
    # an admin removing someone's authenticator app is the actor, not its owner).
    request: Any = field(default=None, compare=False, repr=False)


def acting_user() -> Any:
    """The authenticated user of the request being served, or None (task, command)."""
    ctx = current.get()
    user = getattr(ctx.request, "user", None) if ctx is not None else None
    return user if getattr(user, "is_authenticated", False) else None


current: ContextVar[RequestContext | None] = ContextVar("passerelle_request", default=None)
