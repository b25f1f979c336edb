"""The one reader of a `next` parameter (where to go back after an action).

A `next` comes from the browser: taken as is, a link sent by someone else
(`…?next=https://evil.example/`) would send a logged-in member of staff to any site after a
real action of Passerelle (OWASP « unvalidated redirects », ASVS 5.1.5). Only a path of this
site, or a URL of its own host, is followed; anything else gives the page's usual target.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, fallback: str) -> str:
    """`next` from the POST (else the query string) when it stays on this site, else
    `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
