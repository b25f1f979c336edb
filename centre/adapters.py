from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    """Staff accounts are created by the director (invitation), never by sign-up."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False
