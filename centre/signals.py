"""Authentication events in the audit journal.

Django and allauth announce logins only through signals, and password, e-mail and
second-factor changes are made by allauth's and Django's own code (pages, admin, commands), so
these receivers are the one place where signals are used: they record, they decide nothing.
"""

from __future__ import annotations

from typing import Any

from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from centre import audit, request_context
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


def _actor(owner: User) -> User:
    """Who made the change: the person logged in (an administrator editing someone else's
    account), else the owner (their own account page, a reset link)."""
    acting = request_context.acting_user()
    return acting if isinstance(acting, User) else owner


def _record(*, owner: User, action: str, **values: Any) -> None:
    """Journal a change made while serving a request (a person's own page, the admin, the
    API), in its transaction: every POST under /accounts/ and /admin/ runs in one
    (centre.middleware.AtomicAccountChangesMiddleware), so the change and its entry are
    committed together or not at all. Outside a request (the server's operator running
    `manage.py changepassword`, the test factories) nothing is recorded here."""
    ctx = request_context.current.get()
    if ctx is None or ctx.request is None:
        return
    audit.record(actor=_actor(owner), action=action, obj=owner, **values)


# Password, e-mail and second-factor changes: who changed what, when (never the secret
# itself). Watched on the models, so every door (allauth's pages, the admin, a command)
# leaves the same entry.


@receiver(pre_save, sender=User, dispatch_uid="audit_user_pre_save")
def _user_before(sender: Any, instance: User, update_fields: Any = None, **kw: Any) -> None:
    instance._audit_old_email = None  # type: ignore[attr-defined]
    if instance.pk is None or kw.get("raw"):
        return
    if update_fields is not None and "email" not in update_fields:
        return
    old = User.objects.filter(pk=instance.pk).values_list("email", flat=True).first()
    if old is not None and old != instance.email:
        instance._audit_old_email = old  # type: ignore[attr-defined]


@receiver(post_save, sender=User, dispatch_uid="audit_user_post_save")
def _user_after(sender: Any, instance: User, created: bool, **kw: Any) -> None:
    if created or kw.get("raw"):
        return
    old_email = getattr(instance, "_audit_old_email", None)
    if old_email is not None:
        _record(
            owner=instance,
            action="auth.email_change",
            changes={"email": [old_email, instance.email]},
        )
        instance._audit_old_email = None  # type: ignore[attr-defined]
    # Django keeps the raw password in `_password` from set_password() until save() ends.
    if getattr(instance, "_password", None) is not None:
        _record(owner=instance, action="auth.password_change", extra=_door())


def _door() -> dict[str, str]:
    """Which page changed the password: change, first choice (invitation), reset, admin."""
    ctx = request_context.current.get()
    match = getattr(getattr(ctx, "request", None), "resolver_match", None)
    return {"door": match.url_name} if match is not None and match.url_name else {}


@receiver(post_save, sender=Authenticator, dispatch_uid="audit_mfa_add")
def _mfa_added(sender: Any, instance: Authenticator, created: bool, **kw: Any) -> None:
    if created and not kw.get("raw"):
        _record(owner=instance.user, action="auth.mfa_add", extra={"type": str(instance.type)})


@receiver(post_delete, sender=Authenticator, dispatch_uid="audit_mfa_remove")
def _mfa_removed(sender: Any, instance: Authenticator, **kw: Any) -> None:
    _record(owner=instance.user, action="auth.mfa_remove", extra={"type": str(instance.type)})


def _mfa_reset(
    sender: Any, request: HttpRequest | None = None, user: Any = None, **kw: Any
) -> None:
    # New recovery codes: allauth announces them only after commit (no model row is created).
    if isinstance(user, User):
        authenticator = kw.get("authenticator")
        extra = {"type": str(authenticator.type)} if authenticator is not None else {}
        audit.record(
            actor=user, action="auth.mfa_reset", obj=user, extra=extra, require_transaction=False
        )


mfa_signals.authenticator_reset.connect(_mfa_reset, dispatch_uid="audit_mfa_reset")
