"""Factories shared by every app's tests."""

from __future__ import annotations

from typing import Any

import factory
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth.models import Group

from centre.demo import with_luhn
from centre.models import Centre, Profession, Site, StaffProfile, User

TEST_PASSWORD = "mot-de-passe-de-test-2026"
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class CentreFactory(factory.django.DjangoModelFactory[Centre]):
    class Meta:
        model = Centre
        django_get_or_create = ("finess",)

    name = "Centre de santé de test"
    finess = with_luhn("86000999")
    address = "1 rue du Test\n86000 Poitiers"


class SiteFactory(factory.django.DjangoModelFactory[Site]):
    class Meta:
        model = Site

    centre = factory.SubFactory(CentreFactory)
    name = factory.Sequence(lambda n: f"Site {n}")
    address = "1 rue du Test\n86000 Poitiers"


_rpps_counter = iter(range(100_000, 10_000_000))


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@test.passerelle.fr")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def roles(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create:
            return
        if not extracted:
            self.save()  # persists the password set by the post-generation call above
            return
        # get_or_create: transactional tests flush the tables, groups from migration included.
        self.groups.set([Group.objects.get_or_create(name=name)[0] for name in extracted])
        self.save()


def make_staff(
    *roles: str,
    centre: Centre | None = None,
    sites: list[Site] | None = None,
    profession: str = "",
    totp: bool | None = None,
    **user_fields: Any,
) -> User:
    """A member of staff with `roles`, a profile at `centre` and, for the roles that must use
    two-factor authentication, a TOTP authenticator (unless `totp=False`)."""
    centre = centre or CentreFactory()
    user = UserFactory(roles=list(roles), **user_fields)
    if profession == "" and "soignant" in roles:
        profession = Profession.GENERALISTE
    profile = StaffProfile.objects.create(
        user=user,
        centre=centre,
        profession=profession,
        rpps=with_luhn(f"10{next(_rpps_counter):08d}") if profession else "",
    )
    profile.sites.set(sites if sites is not None else list(centre.sites.all()))
    needs_totp = bool(set(roles) & set(settings.MFA_REQUIRED_ROLES))
    if totp if totp is not None else needs_totp:
        TOTP.activate(user, TEST_TOTP_SECRET)
    return user


def has_totp(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def api_token_for(user: User, *, name: str = "tests", days: int | None = None) -> str:
    """A fresh API token of `user` (created as the `create_api_token` command does), for
    `Authorization: Token <key>`."""
    from centre.services import api_tokens

    _token, key = api_tokens.token_create(by=None, owner=user, name=name, days=days)
    return key


def login_with_mfa(client: Any, user: User) -> None:
    """Log `client` in as `user` as if they had given their password and TOTP code: what the
    admin requires (centre.admin_site). The allauth login itself is tested with real codes in
    tests/centre/test_auth.py; this shortcut is for tests about what comes after."""
    import time

    from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY

    if not has_totp(user):
        TOTP.activate(user, TEST_TOTP_SECRET)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time()},
        {"method": "mfa", "type": "totp", "at": time.time()},
    ]
    # allauth keeps the records only for the user it wrote them for.
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


def make_superuser(email: str = "admin@test.passerelle.fr") -> User:
    return User.objects.create_superuser(email, TEST_PASSWORD)
