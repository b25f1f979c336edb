from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from centre.models import User


class AccountAdapter(DefaultAccountAdapter):
    """Staff accounts are created by the director (invitation), never by sign-up."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_reauthentication_methods(self, user: Any) -> list[dict[str, Any]]:
        """Whoever has an authenticator app re-authenticates with it, not with the password:
        a password alone must not unlock a sensitive operation (an API token) for the roles
        that log in with two factors. The others confirm their password."""
        methods: list[dict[str, Any]] = super().get_reauthentication_methods(user)
        if isinstance(user, AnonymousUser) or not isinstance(user, User):
            return methods
        mfa = [m for m in methods if str(m.get("id", "")).startswith("mfa_reauthenticate")]
        return mfa or methods
