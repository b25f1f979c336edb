"""The « À faire » page and the header badge it refreshes (centre.notifications)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from centre import notifications
from centre.perms import acting_user, staff_required


@never_cache
@staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    items = notifications.inbox(acting_user(request))
    return render(
        request,
        "centre/notifications.html",
        {"items": items, "total": notifications.total(items)},
    )


@never_cache
@staff_required
def badge(request: HttpRequest) -> HttpResponse:
    """The text of the header link, polled every 60 s by templates/base.html. The poll
    carries `X-Passerelle-Poll: 1`, so it does not keep an idle session alive
    (centre.middleware.IdleSessionMiddleware)."""
    items = notifications.inbox(acting_user(request))
    return render(
        request, "centre/_notifications_badge.html", {"total": notifications.total(items)}
    )
