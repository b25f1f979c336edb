from __future__ import annotations

import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.test import Client
from django.urls import reverse

from centre.models import Centre, Site, User
from tests.factories import TEST_PASSWORD, TEST_TOTP_SECRET, make_staff

HOMES = {
    "accueil": "/accueil/",
    "soignant": "/soignant/",
    "mediation": "/mediation/",
    "facturation": "/facturation/",
    "direction": "/direction/",
}


def _login(client: Client, email: str, password: str = TEST_PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("account_login"), {"login": email, "password": password}, follow=True
    )


def _totp_now(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.mark.parametrize("role", ["accueil", "soignant", "mediation"])
def test_login_lands_on_the_role_home(role: str, staff: dict[str, User]) -> None:
    client = Client()
    response = _login(client, staff[role].email)
    assert response.redirect_chain[-1][0] == HOMES[role]
    assert response.status_code == 200
    assert "Bonjour" in response.content.decode()
    assert response.context["user"] == staff[role]


@pytest.mark.parametrize("role", ["direction", "facturation"])
def test_mfa_roles_must_give_a_totp_code(role: str, staff: dict[str, User]) -> None:
    client = Client()
    response = _login(client, staff[role].email)
    # Password alone is not enough: allauth asks for the second factor.
    assert response.redirect_chain[-1][0] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    response = client.post(
        reverse("mfa_authenticate"), {"code": _totp_now(TEST_TOTP_SECRET)}, follow=True
    )
    assert response.redirect_chain[-1][0] == HOMES[role]
    assert client.session["_auth_user_id"] == str(staff[role].pk)


def test_wrong_totp_code_is_refused(staff: dict[str, User]) -> None:
    client = Client()
    _login(client, staff["direction"].email)
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_mfa_role_without_authenticator_is_sent_to_set_one_up(centre: Centre, site: Site) -> None:
    director = make_staff("direction", centre=centre, sites=[site], totp=False)
    client = Client()
    response = _login(client, director.email)
    # Logged in with the password, but every page leads to the TOTP activation (which
    # allauth guards with a password confirmation).
    final_url = response.redirect_chain[-1][0]
    assert "2fa/totp/activate" in final_url or "2fa%2Ftotp%2Factivate" in final_url
    assert client.session["_auth_user_id"] == str(director.pk)
    assert client.get("/direction/").url == reverse("mfa_activate_totp")
    assert client.get(reverse("staff_list")).url == reverse("mfa_activate_totp")


def test_roles_without_mfa_requirement_are_not_forced(staff: dict[str, User]) -> None:
    assert not set(settings.MFA_REQUIRED_ROLES) & {"accueil", "soignant", "mediation"}
    client = Client()
    _login(client, staff["accueil"].email)
    assert client.get("/accueil/").status_code == 200


def test_deactivated_account_cannot_log_in(staff: dict[str, User]) -> None:
    user = staff["accueil"]
    user.is_active = False
    user.save()
    client = Client()
    response = _login(client, user.email)
    assert "_auth_user_id" not in client.session
    assert response.redirect_chain[-1][0] == reverse("account_inactive")


def test_wrong_password_is_refused_with_a_french_message(staff: dict[str, User]) -> None:
    client = Client()
    response = _login(client, staff["accueil"].email, "pas-le-bon")
    assert "_auth_user_id" not in client.session
    assert "sont incorrects" in response.content.decode()


def test_repeated_wrong_passwords_are_rate_limited(staff: dict[str, User]) -> None:
    email = staff["accueil"].email
    client = Client()
    for _ in range(settings.LOGIN_FAILED_LIMIT):
        _login(client, email, "pas-le-bon")
    # Now even the right password is refused for a while.
    response = _login(client, email)
    assert "_auth_user_id" not in client.session
    assert "Trop de tentatives" in response.content.decode()
    # Another account is not locked by this one's failures.
    other = Client()
    _login(other, staff["soignant"].email)
    assert other.session["_auth_user_id"] == str(staff["soignant"].pk)


def test_public_sign_up_is_closed(db: None) -> None:
    response = Client().post(
        reverse("account_signup"),
        {"email": "intrus@example.org", "password1": "x" * 16, "password2": "x" * 16},
    )
    assert not User.objects.filter(email="intrus@example.org").exists()
    assert response.status_code == 200
    assert "fermées" in response.content.decode() or "closed" in response.content.decode()


def test_session_expires_after_inactivity_setting() -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_session_is_expired_after_idle_time(staff: dict[str, User]) -> None:
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    client = Client()
    client.force_login(staff["accueil"], backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/accueil/").status_code == 200
    # Simulate 31 idle minutes: the stored session's expiry date is in the past.
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timezone.timedelta(minutes=1)
    )
    response = client.get("/accueil/")
    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_logout_ends_the_session(staff: dict[str, User]) -> None:
    client = Client()
    client.force_login(staff["accueil"], backend="django.contrib.auth.backends.ModelBackend")
    client.post(reverse("account_logout"))
    assert client.get("/accueil/").status_code == 302


def test_home_redirects_by_main_role_and_refuses_roleless_accounts(
    staff: dict[str, User], centre: Centre
) -> None:
    client = Client()
    client.force_login(staff["mediation"], backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/").url == "/mediation/"
    nobody = make_staff(centre=centre)
    client = Client()
    client.force_login(nobody, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get("/")
    assert response.status_code == 403
    assert "Aucun rôle" in response.content.decode()


def test_logins_and_failures_are_journaled(staff: dict[str, User]) -> None:
    from centre.models import AuditEntry

    _login(Client(), staff["accueil"].email, "pas-le-bon")
    _login(Client(), staff["accueil"].email)
    failed = AuditEntry.objects.get(action="auth.login_failed")
    assert failed.extra == {"login": staff["accueil"].email}
    assert "pas-le-bon" not in str(failed.extra) + str(failed.changes)
    assert AuditEntry.objects.get(action="auth.login").actor == staff["accueil"]
