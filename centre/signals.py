"""Authentication events in the audit journal.

Django and allauth announce logins only through signals, so these receivers are the one place
where signals are used: they record, they decide nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from centre import audit
from centre.models import User


@receiver(user_logged_in)
def _logged_in(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    audit.record(actor=user, action="auth.login", obj=user, require_transaction=False)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    if isinstance(user, User):
        audit.record(actor=user, action="auth.logout", obj=user, require_transaction=False)


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    # Only the login typed is kept (never the password).
    login = str(credentials.get("email") or credentials.get("username") or "")[:254]
    audit.record(
        actor=None, action="auth.login_failed", extra={"login": login}, require_transaction=False
    )
