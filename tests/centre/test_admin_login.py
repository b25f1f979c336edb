"""The Django admin has no password-only door: its login is allauth's (TOTP, rate limit)."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.test import Client
from django.urls import reverse

from centre.models import Centre, User
from tests.factories import TEST_PASSWORD, TEST_TOTP_SECRET, login_with_mfa, make_staff

pytestmark = pytest.mark.django_db


def _totp_now() -> str:
    return format_hotp_value(hotp_value(TEST_TOTP_SECRET, int(time.time()) // 30))


def _admin_staff(centre: Centre, *, totp: bool) -> User:
    return make_staff(centre=centre, totp=totp, is_staff=True, is_superuser=True)


def test_admin_login_page_sends_to_the_allauth_login(db: None) -> None:
    response = Client().get("/admin/login/?next=/admin/centre/site/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Fcentre%2Fsite%2F"
    # The admin index, anonymously: admin login, then allauth's login, next= kept.
    response = Client().get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/?next=%2Fadmin%2F"
    assert response.status_code == 200


def test_admin_login_accepts_no_password(centre: Centre) -> None:
    superuser = _admin_staff(centre, totp=True)
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": superuser.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_staff_without_totp_cannot_open_the_admin(centre: Centre) -> None:
    superuser = _admin_staff(centre, totp=False)
    client = Client()
    response = client.post(
        reverse("account_login") + "?next=/admin/",
        {"login": superuser.email, "password": TEST_PASSWORD},
    )
    # The password opened a session, but every page leads to the TOTP set-up.
    assert client.session["_auth_user_id"] == str(superuser.pk)
    assert client.get("/admin/")["Location"] == reverse("mfa_activate_totp")
    assert client.get("/admin/centre/user/")["Location"] == reverse("mfa_activate_totp")
    assert client.get("/")["Location"] == reverse("mfa_activate_totp")
    assert response.status_code == 302


def test_staff_with_totp_opens_the_admin_after_the_code(centre: Centre) -> None:
    superuser = _admin_staff(centre, totp=True)
    client = Client()
    response = client.get("/admin/", follow=True)
    login_url = response.redirect_chain[-1][0]
    response = client.post(login_url, {"login": superuser.email, "password": TEST_PASSWORD})
    # allauth asks for the second factor before any session exists.
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302
    response = client.post(reverse("mfa_authenticate"), {"code": _totp_now()}, follow=True)
    assert response.redirect_chain[-1][0] == "/admin/"
    assert response.status_code == 200
    assert "Données de référence" in response.content.decode()
    assert client.get("/admin/centre/user/").status_code == 200


def test_a_password_only_session_is_asked_for_the_code(centre: Centre) -> None:
    """A session opened without the second factor (here force_login) does not open the
    admin even for a superuser with TOTP: the admin login asks for a TOTP code."""
    superuser = _admin_staff(centre, totp=True)
    client = Client()
    client.force_login(superuser, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get("/admin/")
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response["Location"] == reverse("mfa_reauthenticate") + "?next=%2Fadmin%2F"
    response = client.post(response["Location"], {"code": _totp_now()})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_non_staff_is_not_let_into_the_admin_even_with_mfa(staff: dict[str, User]) -> None:
    client = Client()
    login_with_mfa(client, staff["direction"])
    response = client.get("/admin/")
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == reverse("home")


def test_login_rate_limit_applies_on_the_admin_path(centre: Centre) -> None:
    superuser = _admin_staff(centre, totp=True)
    client = Client()
    # Posting passwords to the admin login does nothing: it only redirects.
    for _ in range(25):
        client.post("/admin/login/", {"username": superuser.email, "password": "pas-le-bon"})
    assert "_auth_user_id" not in client.session
    login_url = client.get("/admin/login/?next=/admin/")["Location"]
    for _ in range(settings.LOGIN_FAILED_LIMIT):
        client.post(login_url, {"login": superuser.email, "password": "pas-le-bon"})
    response = client.post(login_url, {"login": superuser.email, "password": TEST_PASSWORD})
    assert response.status_code == 200
    assert "Trop de tentatives" in response.content.decode()
    assert "_auth_user_id" not in client.session
