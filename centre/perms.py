"""Role checks for the centre app's views. Each app has its own `perms.py`; the access
matrix test walks every URL for every role."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from centre.models import User
from centre.refusals import Forbidden
from centre.roles import STAFF_ROLES, Role

View = TypeVar("View", bound=Callable[..., HttpResponse])


def acting_user(request: HttpRequest | Request) -> User:
    """The authenticated person a page or an API view acts for: every service takes it as
    `by`. The doors reach it only behind a role check, so an anonymous user here is a bug."""
    user = request.user
    assert isinstance(user, User), "acting_user() behind a role check only"
    return user


def require_role(
    by: User,
    roles: Iterable[Role | str],
    message: str,
    *,
    refusal: type[Forbidden] = Forbidden,
) -> None:
    """The role check a service makes itself, so that every door (page, API, admin, task,
    command) gets it: an inactive account, or one with none of `roles`, is refused with
    `message` (403). Superusers pass, as `role_required` lets them in."""
    allowed = tuple(str(r) for r in roles)
    if not by.is_active or not (by.is_superuser or by.has_role(*allowed)):
        raise refusal(message)


def role_required(*roles: Role | str) -> Callable[[View], View]:
    """Anonymous visitors go to the login page; logged-in staff without one of `roles` get
    403. Superusers pass (they administer the installation)."""

    allowed = tuple(str(r) for r in roles)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not (user.is_superuser or user.has_role(*allowed)):
                raise PermissionDenied("Votre rôle ne donne pas accès à cette page.")
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def staff_required(view: View) -> View:
    """Any logged-in member of staff, whatever the role (not the `collecte` volunteers)."""
    return role_required(*STAFF_ROLES)(view)


class HasRole(BasePermission):
    """DRF permission: `permission_classes = [HasRole.of(Role.ACCUEIL, ...)]`."""

    roles: tuple[str, ...] = ()
    message = "Votre rôle ne donne pas accès à cette ressource."

    @classmethod
    def of(cls, *roles: Role | str) -> type[HasRole]:
        return type("HasRole", (cls,), {"roles": tuple(str(r) for r in roles)})

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(
            user and user.is_authenticated and (user.is_superuser or user.has_role(*self.roles))
        )
