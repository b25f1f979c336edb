"""The Django admin of Passerelle: no login form of its own.

Django's admin has a password-only login view that bypasses allauth: no second factor and no
rate limit on failed passwords. Here its login view sends to allauth's login (TOTP, rate
limits, journal) and the admin opens only to an active staff member whose session passed
the second factor (centre.mfa).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from centre import mfa
from centre.models import User


class PasserelleAdminSite(admin.AdminSite):
    site_header = "Passerelle — administration"
    site_title = "Passerelle"
    index_title = "Données de référence"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return (
            isinstance(user, User)
            and user.is_active
            and user.is_staff
            and mfa.session_passed_mfa(request)
        )

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Never a password form: the way in is allauth's login (password, then TOTP).

        A staff member already logged in without the second factor (no authenticator yet, or
        a session opened before setting it up) is sent to set it up or to give a TOTP code."""
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = reverse("admin:index")
        query = "?" + urlencode({REDIRECT_FIELD_NAME: next_url})
        user = request.user
        if isinstance(user, User) and user.is_active and user.is_staff:
            if not mfa.has_totp(user):
                return HttpResponseRedirect(reverse("mfa_activate_totp"))
            if not mfa.session_passed_mfa(request):
                return HttpResponseRedirect(reverse("mfa_reauthenticate") + query)
            return HttpResponseRedirect(next_url)
        if isinstance(user, User):
            # Logged in, but not staff: the admin is not for this account.
            return HttpResponseRedirect(reverse("home"))
        return HttpResponseRedirect(reverse("account_login") + query)
