"""Who must use two-factor authentication, and whether a session has passed it.

One place for the rule, used by the page middleware, the admin site and the API tokens:
- the roles handling money or the whole centre's data (settings.MFA_REQUIRED_ROLES),
- and anyone who may open the Django admin (`is_staff`, superusers): the admin edits every
  account and the reference data, so a password alone must not open it.
"""

from __future__ import annotations

import time

from allauth.account.authentication import get_authentication_records
from allauth.core.exceptions import ReauthenticationRequired
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.http import HttpRequest

from centre.models import User


def mfa_required(user: User) -> bool:
    return bool(user.is_superuser or user.is_staff or user.has_role(*settings.MFA_REQUIRED_ROLES))


def has_totp(user: User) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


def session_passed_mfa(request: HttpRequest) -> bool:
    """Whether this session's login (or a re-authentication since) gave a second factor.

    allauth keeps, in the session, a record of each authentication step of its login and
    re-authentication flows; `force_login` or a password-only login leave no "mfa" record."""
    user = request.user
    if not isinstance(user, User):
        return False
    return any(r.get("method") == "mfa" for r in get_authentication_records(request, user))


def recently_reauthenticated(request: HttpRequest) -> bool:
    """Whether this session re-authenticated within ACCOUNT_REAUTHENTICATION_TIMEOUT, with
    the second factor for whoever has one (allauth alone would also take the password)."""
    user = request.user
    if not isinstance(user, User):
        return False
    accepted = {"mfa"} if has_totp(user) else {"password", "mfa"}
    horizon = time.time() - settings.ACCOUNT_REAUTHENTICATION_TIMEOUT
    return any(
        r.get("reauthenticated") and r.get("method") in accepted and r.get("at", 0) > horizon
        for r in get_authentication_records(request, user)
    )


def require_recent_reauthentication(request: HttpRequest) -> None:
    """Raise allauth's ReauthenticationRequired: its middleware keeps the request (a POST
    included), sends to the re-authentication page (TOTP first, see centre.adapters) and
    replays the request once the person has confirmed."""
    if not recently_reauthenticated(request):
        raise ReauthenticationRequired()
