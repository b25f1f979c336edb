"""Refusals of the reports app, and the one access rule of its services."""

from __future__ import annotations

from centre.models import User
from centre.perms import require_role
from centre.refusals import Refusal
from centre.roles import Role


class ReportError(Refusal):
    """A report that cannot be requested or downloaded (French message)."""


class LinkExpired(ReportError):
    pass


def check_direction(by: User) -> None:
    """Reports mix every app's activity, billing included: direction only (least privilege,
    docs/roles.md), whichever door the request comes through. Superusers pass, as on pages."""
    require_role(by, (Role.DIRECTION,), "Les rapports sont réservés à la direction.")
