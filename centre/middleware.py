from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from centre import request_context
from centre.models import User

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

HttpHandler = Callable[[HttpRequest], HttpResponse]


class RequestContextMiddleware:
    """Gives each request an id and remembers it with the client IP for the audit journal.

    Forwarded headers are believed only from the proxies of `settings.TRUSTED_PROXIES`
    (IPs or CIDRs: the Caddy container in docker-compose): from them, a well-formed
    X-Request-ID is kept and the client IP is read from X-Forwarded-For
    (`request_context.client_ip`). `REMOTE_ADDR` is then set to the client IP, so the login
    rate limit (allauth), the survey link's rate limit and the journal all count the person,
    not the proxy. From anyone else, X-Request-ID, X-Forwarded-For and X-Forwarded-Proto are
    dropped before any other middleware reads them. First in MIDDLEWARE for that reason."""

    FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST")

    def __init__(self, get_response: HttpHandler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        trusted = request_context.parse_networks(settings.TRUSTED_PROXIES)
        peer = request.META.get("REMOTE_ADDR") or None
        from_proxy = request_context.is_trusted(peer, trusted)
        incoming = request.headers.get("X-Request-ID", "") if from_proxy else ""
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        ip = request_context.client_ip(request.META, trusted)
        if from_proxy:
            request.META["PASSERELLE_PROXY_ADDR"] = peer
            if ip:
                request.META["REMOTE_ADDR"] = ip
        else:
            for name in self.FORWARDED:
                request.META.pop(name, None)
        token = request_context.current.set(
            request_context.RequestContext(request_id, ip, request=request)
        )
        try:
            response = self.get_response(request)
        finally:
            request_context.current.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequireMfaMiddleware:
    """Roles handling money or the whole centre's data (settings.MFA_REQUIRED_ROLES), staff
    and superusers (centre.mfa) must have an authenticator app: until they set one up, every
    page leads to its activation."""

    ALLOWED_PREFIXES = ("/accounts/", "/static/", "/healthz", "/i18n/")

    def __init__(self, get_response: HttpHandler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(self.ALLOWED_PREFIXES):
            # Checked before touching request.user: /healthz must answer without the database.
            return self.get_response(request)
        from centre import mfa

        user = request.user
        if isinstance(user, User) and mfa.mfa_required(user) and not mfa.has_totp(user):
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


class AtomicAccountChangesMiddleware:
    """A POST to the account pages (allauth: password, e-mail, authenticator app) or to the
    admin runs in one transaction, so the journal entry written by `centre.signals` for a
    password, e-mail or second-factor change is committed with the change or not at all
    (a failed entry, answered 500, rolls the change back)."""

    PREFIXES = ("/accounts/", "/admin/")

    def __init__(self, get_response: HttpHandler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or not request.path.startswith(self.PREFIXES):
            return self.get_response(request)
        with transaction.atomic():
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        return response


POLL_HEADER = "X-Passerelle-Poll"


def is_poll(request: HttpRequest) -> bool:
    """An automatic refresh (an HTMX `hx-trigger="every …"` element carrying
    `hx-headers='{"X-Passerelle-Poll": "1"}'`), not something the person did."""
    return bool(request.headers.get("HX-Request")) and request.headers.get(POLL_HEADER) == "1"


class IdleSessionMiddleware(SessionMiddleware):
    """Django's sessions, where a poll does not count as activity.

    A session ends after SESSION_IDLE_MINUTES without a request (SESSION_SAVE_EVERY_REQUEST
    pushes its end back at each one): an automatic refresh — the survey results page every 15
    seconds, a report's progress — must not keep a forgotten screen logged in forever. So a
    poll never saves the session (its end stays where the last real request put it); once
    the session has ended, the poll answers 204 with `HX-Redirect` to the login page instead
    of swapping the login form into the panel."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if not is_poll(request):
            return super().process_response(request, response)
        user = getattr(request, "user", None)
        if response.status_code in (301, 302) and not getattr(user, "is_authenticated", False):
            ended = HttpResponse(status=204)
            ended["HX-Redirect"] = response["Location"]
            return ended
        return response
