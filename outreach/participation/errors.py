"""Refusals of the participation app and the helpers its services share."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from centre.models import User
from centre.perms import require_role
from centre.refusals import Refusal
from centre.roles import Role
from outreach.models import TransitionError


class ParticipationError(Refusal):
    """Refused input: a message, or `{field: messages}` ("" for the whole form)."""


def fail_if(errors: Mapping[str, str | list[str]]) -> None:
    if errors:
        raise ParticipationError(errors)


def transition(fn: Callable[..., Any], **kwargs: Any) -> None:
    """Run a model transition; its refusal becomes a ParticipationError on the whole form."""
    try:
        fn(**kwargs)
    except TransitionError as error:
        raise ParticipationError({"": str(error)}) from error


def check_role(by: User, roles: tuple[Role, ...]) -> None:
    """The role rule of outreach/participation/perms.py, checked by the service itself so that
    every door (page, API, task, command) gets it. Superusers pass, as on pages."""
    require_role(by, roles, "Votre rôle ne permet pas cette action de participation.")
