"""One refusal type for the whole project.

A service that will not do what it was asked raises a `Refusal` (or a subclass named after its
domain: `BookingError`, `BillingError`…). It carries a French message for the person, the
field it is about (when there is one), a kind that tells the doors how to answer, and optional
details (the duplicate candidates of a 409, for instance).

Each door translates it once:
- pages: `centre.forms.add_refusal(form, refusal)` puts it on the field (or the form), and
  `centre.forms.refusal_message(request, refusal)` shows it as a message;
- API: `centre.api.exception_handler` answers 400/403/404/409 JSON.

Nothing else converts a service error into a response.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    INVALID = "invalid"  # the request itself is wrong: 400
    FORBIDDEN = "forbidden"  # this person may not do this to this object: 403
    NOT_FOUND = "not_found"  # no such object for this person: 404
    CONFLICT = "conflict"  # the state of the data forbids it now (slot taken, duplicate): 409


HTTP_STATUS = {Kind.INVALID: 400, Kind.FORBIDDEN: 403, Kind.NOT_FOUND: 404, Kind.CONFLICT: 409}


class Refusal(Exception):
    """A refused operation; the message is French and meant for the user."""

    kind: Kind = Kind.INVALID

    def __init__(
        self,
        message: str | Mapping[str, str | list[str]],
        *,
        field: str | None = None,
        kind: Kind | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        # A refusal names one problem (`message`, on `field` or on the whole request) or
        # several at once (`{field: message or [messages]}`, "" for the whole request).
        if isinstance(message, Mapping):
            self.errors: dict[str, list[str]] = {
                k: [v] if isinstance(v, str) else list(v) for k, v in message.items()
            }
            text = "; ".join(m for msgs in self.errors.values() for m in msgs)
            if field is None and len(self.errors) == 1:
                field = next(iter(self.errors)) or None
        else:
            text = message
            self.errors = {field or "": [message]}
        super().__init__(text)
        self.message = text
        self.field = field
        if kind is not None:
            self.kind = kind
        self.details: dict[str, Any] = dict(details or {})

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.kind]

    def as_json(self) -> dict[str, Any]:
        """The body of the API answer. An invalid request answers like DRF's own validation
        errors (`{field: [message]}`), so that a client reads every 400 the same way; the
        other kinds answer `{"detail": …, "kind": …, "field": …}` plus their details."""
        if self.kind == Kind.INVALID:
            body: dict[str, Any] = {
                (name or "non_field_errors"): messages for name, messages in self.errors.items()
            }
            return {**body, **self.details}
        return {
            "detail": self.message,
            "kind": str(self.kind),
            "field": self.field or "",
            **self.details,
        }


class Forbidden(Refusal):
    kind = Kind.FORBIDDEN


class NotFound(Refusal):
    kind = Kind.NOT_FOUND


class Conflict(Refusal):
    kind = Kind.CONFLICT
