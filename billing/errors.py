"""The refusals of the billing app (`centre.refusals.Refusal`).

`BillingError` is a refused operation (400, or 409 with `kind=Kind.CONFLICT` when the state of
the data forbids it now). `BillingForbidden` and `BillingNotFound` are the object-level
refusals raised by the services and selectors; each is also Django's own exception, so the
same raise answers a JSON 403/404 in the API (`centre.api.exception_handler` sees a Refusal)
and the 403/404 page on the site (Django sees PermissionDenied/Http404), without a converter
in the views.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from centre.refusals import Forbidden, NotFound, Refusal


class BillingError(Refusal):
    """A billing operation that cannot be done; the message is French, for the user."""


class BillingForbidden(Forbidden, PermissionDenied):
    """This person may not do this (their roles do not allow it)."""


class BillingNotFound(NotFound, Http404):
    """No such object for this person (absent, or outside what they may see: the same
    answer, so that an id tells nothing about records one may not see)."""
