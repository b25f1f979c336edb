from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.core.cache import cache
from django.db.models.signals import post_migrate
from django.test import Client

from centre.models import Centre, Site, User
from centre.roles import Role
from tests.factories import CentreFactory, SiteFactory, make_staff


def _reload_reference_data(sender: object, **kwargs: object) -> None:
    """A transactional test (live server, workers) ends with a flush, which also empties the
    reference tables loaded by migration. Django emits post_migrate after that flush (as it
    does to recreate content types): the INSEE birth places are loaded again then, from the
    same files and by the same code as their migration, so later tests find them."""
    if getattr(sender, "name", "") != "patients":
        return
    from django.apps import apps

    if apps.get_model("patients", "BirthPlace").objects.exists():
        return
    import importlib

    importlib.import_module("patients.migrations.0006_iv_load_cog").load(apps, None)


post_migrate.connect(_reload_reference_data, dispatch_uid="tests.reload_reference_data")

ROLES = [r.value for r in Role]


@pytest.fixture
def daytime(monkeypatch: pytest.MonkeyPatch) -> None:
    """For tests of « earlier today » or « later today » (an arrival, a no-show, minutes
    waited, the next free time of the day): between 22:00 and 02:00 in Paris there is no « 40
    minutes ago » or « a free 20 minutes from now » the same day, so the clock the application
    reads (`django.utils.timezone.now`, the live server's thread included) is moved to 10:00
    the same day. At any other hour nothing changes. CI may well run at 23:50 or 00:10."""
    from django.utils import timezone

    real = timezone.now
    local = timezone.localtime(real())
    if 2 <= local.hour < 22:
        return
    shift = local.replace(hour=10, minute=0) - local
    monkeypatch.setattr(timezone, "now", lambda: real() + shift)


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Rate-limit counters and cached values live in the test Redis database: start clean."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def centre(db: None) -> Centre:
    return CentreFactory()


@pytest.fixture
def site(centre: Centre) -> Site:
    return SiteFactory(centre=centre, name="Site principal")


@pytest.fixture
def other_site(centre: Centre) -> Site:
    return SiteFactory(centre=centre, name="Antenne")


@pytest.fixture
def staff(centre: Centre, site: Site) -> dict[str, User]:
    """One account per role, all at `site`."""
    return {role: make_staff(role, centre=centre, sites=[site]) for role in ROLES}


@pytest.fixture
def client_for(staff: dict[str, User]) -> Callable[[str | None], Client]:
    """`client_for("accueil")` is a logged-in client for that role; `client_for(None)` is
    anonymous."""

    def build(role: str | None) -> Client:
        client = Client()
        if role is not None:
            client.force_login(staff[role], backend="django.contrib.auth.backends.ModelBackend")
        return client

    return build
