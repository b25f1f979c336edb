"""« À faire »: what is waiting for a member of staff, computed from the data.

Nothing is stored: each app registers, in its AppConfig.ready(), a provider
`(user) -> list[NotificationItem]` (in `<app>/notifications.py`) that counts what the user's
roles may act on, in a constant number of COUNT queries whatever the history (no per-row
loop, no names). The inbox page (`/a-faire/`), the badge in the header and the daily e-mail
digest all read `inbox(user)`. An item carries a count and a link to the page where the work
is done; it never names a patient or says anything about their health (docs/notifications.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from centre.models import User
from centre.roles import STAFF_ROLES


class Severity:
    """How pressing an item is: the inbox lists the urgent ones first."""

    URGENT = "urgent"  # a deadline is already passed
    WARNING = "warning"  # work waiting, no deadline passed
    INFO = "info"  # something to look at (a report is ready)


_RANK = {Severity.URGENT: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class NotificationItem:
    kind: str  # stable code, e.g. "appointments.to_fill_in"
    label: str  # French, with its count: « 3 rendez-vous passés à compléter »
    url: str  # the page where the work is done
    severity: str = Severity.WARNING
    count: int = 0


Provider = Callable[[User], list[NotificationItem]]

_providers: list[Provider] = []


def register(provider: Provider) -> Provider:
    """Adds a provider (idempotent: an app's ready() may run more than once in tests)."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def providers() -> tuple[Provider, ...]:
    return tuple(_providers)


def plural(count: int, singular: str, plural_form: str) -> str:
    """« 1 orientation », « 0 orientation », « 3 orientations » (French: 0 and 1 singular)."""
    return f"{count} {singular if count <= 1 else plural_form}"


def may_have_inbox(user: User) -> bool:
    """Every active member of staff; not the `collecte` volunteers, not anonymous visitors."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.has_role(*(r.value for r in STAFF_ROLES))
    )


def inbox(user: User) -> list[NotificationItem]:
    """The user's items with something to do (count > 0), urgent first, then in the order
    the providers gave them."""
    if not may_have_inbox(user):
        return []
    items = [item for provider in _providers for item in provider(user) if item.count > 0]
    return sorted(items, key=lambda item: _RANK.get(item.severity, len(_RANK)))


def total(items: list[NotificationItem]) -> int:
    """The figure of the header's badge: everything waiting, added up."""
    return sum(item.count for item in items)
