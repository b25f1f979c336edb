"""Every URL of the project × every role and anonymous: allowed or refused as declared.

Declarations live in `tests/<app>/access.py` (see tests/access.py). Refused means: anonymous
visitors are sent to the login page (pages) or get 401/403 (API); logged-in staff get 403.
Allowed means: neither of those, and no server error.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from centre.models import Centre, Site, User
from tests.access import ROLES, Access, World
from tests.factories import TEST_TOTP_SECRET, login_with_mfa, make_superuser

APPS = ("centre", "patients", "appointments", "billing", "outreach")


def declared_access() -> dict[str, Access]:
    merged: dict[str, Access] = {}
    for app in APPS:
        try:
            module = importlib.import_module(f"tests.{app}.access")
        except ModuleNotFoundError:
            continue
        overlap = merged.keys() & module.ACCESS.keys()
        assert not overlap, f"URL déclarées deux fois : {overlap}"
        merged.update(module.ACCESS)
    return merged


def project_url_names() -> Iterator[str]:
    def walk(patterns: list[URLPattern | URLResolver], namespace: str | None) -> Iterator[str]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue  # the admin has its own test below
                ns = namespace
                if pattern.namespace:
                    ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                yield from walk(pattern.url_patterns, ns)
            elif pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    yield from walk(get_resolver().url_patterns, None)


ACCESS = declared_access()
URL_NAMES = sorted(set(project_url_names()))


def test_every_url_is_declared() -> None:
    missing = [name for name in URL_NAMES if name not in ACCESS]
    assert not missing, f"Déclarez l'accès de ces URL dans tests/<app>/access.py : {missing}"
    stale = [name for name in ACCESS if name not in URL_NAMES]
    assert not stale, f"Ces URL déclarées n'existent plus : {stale}"


def _request(client: Client, access: Access, url: str) -> tuple[int, str]:
    method = getattr(client, access.method)
    kwargs: dict[str, object] = {}
    if access.method != "get":
        kwargs["data"] = access.data or {}
    response = method(url, **kwargs)
    return response.status_code, response.get("Location", "")


def _is_login_redirect(status: int, location: str) -> bool:
    return status in (301, 302) and "/accounts/login/" in location


@pytest.mark.parametrize("name", URL_NAMES)
def test_access_matrix(
    name: str, centre: Centre, site: Site, other_site: Site, staff: dict[str, User]
) -> None:
    access = ACCESS.get(name)
    if access is None:
        pytest.fail(f"{name} n'est pas déclarée (voir test_every_url_is_declared)")
    world = World(centre=centre, site=site, other_site=other_site, staff=staff)
    url = reverse(name, kwargs=access.kwargs(world) if access.kwargs else None)
    outcomes: dict[str, tuple[int, str]] = {}
    for role in (None, *ROLES):
        client = Client(raise_request_exception=True)
        if role is not None:
            client.force_login(staff[role], backend="django.contrib.auth.backends.ModelBackend")
        status, location = _request(client, access, url)
        label = role or "anonyme"
        outcomes[label] = (status, location)
        refused = status in (401, 403) or _is_login_redirect(status, location)
        if access.login_stage:
            assert status in (302, 200), f"{name} ({url}) pour {label} : {status}"
            continue
        if access.allows(role):
            assert not refused, f"{name} ({url}) devrait être permis à {label} : {status}"
            assert status < 500, f"{name} ({url}) erreur serveur pour {label}"
        else:
            if role is None and not access.api:
                assert _is_login_redirect(status, location), (
                    f"{name} ({url}) : un·e anonyme devrait aller à la connexion, reçu {status}"
                )
            else:
                assert status in (401, 403), f"{name} ({url}) devrait refuser {label} : {status}"


def test_admin_is_for_superusers_only(staff: dict[str, User], db: None) -> None:
    from django.contrib import admin

    urls = ["/admin/"] + [
        reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist")
        for m in admin.site._registry
    ]
    for role in ROLES:
        client = Client()
        client.force_login(staff[role], backend="django.contrib.auth.backends.ModelBackend")
        for url in urls:
            response = client.get(url)
            assert response.status_code == 302, (role, url, response.status_code)
            assert "/admin/login/" in response["Location"]
    # A superuser gets in only after the second factor (centre.admin_site): a password-only
    # session is sent back to the login, like the roles above.
    superuser = make_superuser()
    TOTP.activate(superuser, TEST_TOTP_SECRET)
    client = Client()
    client.force_login(superuser, backend="django.contrib.auth.backends.ModelBackend")
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, (url, response.status_code)
        assert "/admin/login/" in response["Location"]
    login_with_mfa(client, superuser)
    for url in urls:
        assert client.get(url).status_code == 200, url
