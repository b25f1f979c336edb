"""Declarations for the access matrix (tests/test_access_matrix.py).

Every named URL of the project must be declared in one `tests/<app>/access.py` module as
`ACCESS = {url_name: Access(...)}`; the matrix test fails for any URL left undeclared, so a
new page cannot ship without its permissions being decided and tested.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from centre.models import Centre, Site, User
from centre.roles import STAFF_ROLES, Role

ROLES: tuple[str, ...] = tuple(r.value for r in Role)
# Every staff role; `collecte` (volunteer inhabitants) is not staff and is left out.
ALL_STAFF: frozenset[str] = frozenset(r.value for r in STAFF_ROLES)
PUBLIC = "public"  # also reachable anonymously
AUTHENTICATED = "authenticated"  # any logged-in account


@dataclass
class World:
    """What a kwargs builder may use to create the objects a URL needs."""

    centre: Centre
    site: Site
    other_site: Site
    staff: dict[str, User]
    cache: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Access:
    """Who may reach a URL.

    allowed: role names, or PUBLIC, or AUTHENTICATED.
    method: the HTTP method to try (POST-only actions are tried with POST).
    kwargs: builds the URL's keyword arguments from the World.
    data: the POST body (an empty body is fine: a refused request must be refused before
          the form is read, an allowed one may answer 400 or re-show the form).
    api: True for DRF endpoints (anonymous gets 401/403 rather than a login redirect).
    login_stage: a step of a login in progress (second factor, e-mailed code): without
          one pending, everybody is sent back to the login page.
    """

    allowed: frozenset[str] | str
    method: str = "get"
    kwargs: Callable[[World], dict[str, Any]] | None = None
    data: dict[str, Any] | None = None
    api: bool = False
    login_stage: bool = False

    def allows(self, role: str | None) -> bool:
        if self.allowed == PUBLIC:
            return True
        if role is None:
            return False
        if self.allowed == AUTHENTICATED:
            return True
        assert isinstance(self.allowed, frozenset)
        return role in self.allowed


def roles(*names: str | Role) -> frozenset[str]:
    return frozenset(str(n) for n in names)
