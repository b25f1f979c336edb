"""Authentication events in the audit journal.

Django and allauth announce logins, password and second-factor changes only through signals,
so these receivers are the one place where signals are used: they record, they decide
nothing.
"""

from __future__ import annotations

from typing import Any

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
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


def _account_event(action: str) -> Any:
    def receiver_(
        sender: Any, request: HttpRequest | None = None, user: Any = None, **kw: Any
    ) -> None:
        if isinstance(user, User):
            authenticator = kw.get("authenticator")
            extra = {"type": str(authenticator.type)} if authenticator is not None else {}
            audit.record(
                actor=user, action=action, obj=user, extra=extra, require_transaction=False
            )

    return receiver_


# Password and second-factor changes: who changed what, when (never the secret itself).
_password_changed = _account_event("auth.password_change")
_password_set = _account_event("auth.password_set")
_password_reset = _account_event("auth.password_reset")
_mfa_added = _account_event("auth.mfa_add")
_mfa_removed = _account_event("auth.mfa_remove")
_mfa_reset = _account_event("auth.mfa_reset")
account_signals.password_changed.connect(_password_changed, dispatch_uid="audit_password_change")
account_signals.password_set.connect(_password_set, dispatch_uid="audit_password_set")
account_signals.password_reset.connect(_password_reset, dispatch_uid="audit_password_reset")
mfa_signals.authenticator_added.connect(_mfa_added, dispatch_uid="audit_mfa_add")
mfa_signals.authenticator_removed.connect(_mfa_removed, dispatch_uid="audit_mfa_remove")
mfa_signals.authenticator_reset.connect(_mfa_reset, dispatch_uid="audit_mfa_reset")
