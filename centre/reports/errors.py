"""Refusals of the reports app, and the one access rule of its services."""

from __future__ import annotations

from centre.models import User
from centre.refusals import Forbidden, Refusal
from centre.roles import Role


class ReportError(Refusal):
    """A report that cannot be requested or downloaded (French message)."""


class LinkExpired(ReportError):
    pass


def check_direction(by: User) -> None:
    """Reports mix every app's activity, billing included: direction only (least privilege,
    docs/roles.md), whichever door the request comes through. Superusers pass, as on pages."""
    if not (by.is_superuser or by.has_role(Role.DIRECTION)):
        raise Forbidden("Les rapports sont réservés à la direction.")
