"""Personal API tokens: hashed at rest, named, expiring, revocable, re-authenticated at
creation, revoked with the account, refused without TOTP where the role needs it."""

from __future__ import annotations

import datetime
import hashlib
import re
import time
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from centre.models import ApiToken, AuditEntry, Centre, Site, User
from centre.refusals import Forbidden
from centre.selectors import current_centre
from centre.services import api_tokens
from centre.services import staff as staff_services
from tests.factories import TEST_PASSWORD, TEST_TOTP_SECRET, api_token_for, make_staff

pytestmark = pytest.mark.django_db


def _me(key: str) -> int:
    return Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/me/").status_code


def _totp_now() -> str:
    return format_hotp_value(hotp_value(TEST_TOTP_SECRET, int(time.time()) // 30))


def test_token_is_stored_hashed(staff: dict[str, User]) -> None:
    key = api_token_for(staff["accueil"], name="Tableur")
    prefix, secret = key.split(".")
    token = ApiToken.objects.get(user=staff["accueil"])
    assert (token.prefix, token.name) == (prefix, "Tableur")
    assert token.hashed_key == "sha512$$" + hashlib.sha512(key.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM centre_apitoken")
        row = " ".join(str(v) for v in cursor.fetchone())
    assert key not in row and secret not in row
    assert _me(key) == 200
    assert _me(f"{prefix}.{'x' * len(secret)}") == 401


def test_token_expires_after_the_setting(staff: dict[str, User], settings: object) -> None:
    key = api_token_for(staff["accueil"])
    token = ApiToken.objects.get(user=staff["accueil"])
    expected = timezone.now() + datetime.timedelta(days=90)
    assert token.expiry_date is not None
    assert abs((token.expiry_date - expected).total_seconds()) < 60
    ApiToken.objects.filter(pk=token.pk).update(
        expiry_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/me/")
    assert response.status_code == 401
    assert "expiré" in response.json()["detail"]


def test_token_last_use_is_recorded(staff: dict[str, User]) -> None:
    key = api_token_for(staff["accueil"])
    assert ApiToken.objects.get(user=staff["accueil"]).last_used_at is None
    assert _me(key) == 200
    assert ApiToken.objects.get(user=staff["accueil"]).last_used_at is not None


def test_revoked_token_is_refused(staff: dict[str, User]) -> None:
    key = api_token_for(staff["accueil"])
    api_tokens.token_revoke(by=staff["accueil"], prefix=key.split(".")[0])
    assert _me(key) == 401
    entry = AuditEntry.objects.get(action="api_token.revoke")
    assert (entry.actor, entry.extra["token"]) == (staff["accueil"], key.split(".")[0])


def test_deactivation_revokes_tokens_for_good(staff: dict[str, User]) -> None:
    person, director = staff["accueil"], staff["direction"]
    keys = [api_token_for(person, name=n) for n in ("un", "deux")]
    centre = current_centre()
    staff_services.staff_set_active(by=director, user_id=person.pk, active=False, centre=centre)
    assert [_me(k) for k in keys] == [401, 401]
    assert ApiToken.objects.filter(user=person, revoked=False).count() == 0
    entry = AuditEntry.objects.get(action="api_token.revoke_all")
    assert entry.actor == director
    assert sorted(entry.extra["tokens"]) == sorted(k.split(".")[0] for k in keys)
    staff_services.staff_set_active(by=director, user_id=person.pk, active=True, centre=centre)
    assert [_me(k) for k in keys] == [401, 401]


def test_deactivation_in_the_admin_revokes_tokens_too(staff: dict[str, User]) -> None:
    from tests.factories import login_with_mfa, make_superuser

    person = staff["soignant"]
    key = api_token_for(person)
    admin = Client()
    login_with_mfa(admin, make_superuser())
    response = admin.post(
        f"/admin/centre/user/{person.pk}/change/",
        {
            "email": person.email,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "groups": [g.pk for g in person.groups.all()],
            "date_joined_0": "01/01/2026",
            "date_joined_1": "08:00:00",
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.is_active is False
    User.objects.filter(pk=person.pk).update(is_active=True)
    assert _me(key) == 401


def test_mfa_role_without_totp_gets_no_token_and_its_tokens_stop(
    centre: Centre, site: Site
) -> None:
    director = make_staff("direction", centre=centre, sites=[site], totp=False)
    with pytest.raises(Forbidden, match="double authentification"):
        api_tokens.token_create(by=director, owner=director, name="x")
    # A token made while TOTP was on stops working once it is removed.
    facturation = make_staff("facturation", centre=centre, sites=[site])
    key = api_token_for(facturation)
    assert _me(key) == 200
    Authenticator.objects.filter(user=facturation).delete()
    response = Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/me/")
    assert response.status_code == 401
    assert "double authentification" in response.json()["detail"]


def test_tokens_are_created_by_their_owner_only(staff: dict[str, User]) -> None:
    with pytest.raises(Forbidden):
        api_tokens.token_create(by=staff["direction"], owner=staff["accueil"], name="x")
    assert ApiToken.objects.count() == 0


def _new_key(html: str) -> str:
    match = re.search(r'data-testid="new-key">([^<]+)<', html)
    assert match, html[:3000]
    return match.group(1)


def test_creating_a_token_needs_a_recent_password(staff: dict[str, User]) -> None:
    person = staff["accueil"]
    client = Client()
    client.force_login(person, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(reverse("api_tokens")).status_code == 200
    response = client.post(reverse("api_tokens"), {"name": "Tableur", "days": "30"})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reauthenticate") + "?next=%2Fcompte%2Fjetons%2F"
    assert ApiToken.objects.count() == 0
    # Once the password is confirmed, allauth replays the kept request: the token is made and
    # its key shown once.
    response = client.post(response["Location"], {"password": TEST_PASSWORD})
    assert response.status_code == 200
    key = _new_key(response.content.decode())
    token = ApiToken.objects.get(user=person)
    assert token.name == "Tableur"
    assert token.expiry_date is not None
    assert (token.expiry_date - timezone.now()).days in (29, 30)
    assert _me(key) == 200
    assert AuditEntry.objects.filter(action="api_token.create", actor=person).count() == 1
    # The list shows it, never its key again.
    listing = client.get(reverse("api_tokens")).content.decode()
    assert "Tableur" in listing and token.prefix in listing and key not in listing


def test_mfa_roles_re_authenticate_with_their_totp_code(staff: dict[str, User]) -> None:
    director = staff["direction"]
    client = Client()
    client.force_login(director, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(reverse("api_tokens"), {"name": "Rapports"})
    assert response["Location"] == reverse("mfa_reauthenticate") + "?next=%2Fcompte%2Fjetons%2F"
    # The password alone (allauth's other re-authentication page) is not enough for them.
    client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    response = client.post(reverse("api_tokens"), {"name": "Rapports"})
    assert response.status_code == 302
    assert ApiToken.objects.count() == 0
    response = client.post(response["Location"], {"code": _totp_now()})
    assert response.status_code == 200
    assert _me(_new_key(response.content.decode())) == 200


def test_owner_revokes_from_the_page_and_nobody_else_can(staff: dict[str, User]) -> None:
    key = api_token_for(staff["accueil"])
    prefix = key.split(".")[0]
    other = Client()
    other.force_login(staff["soignant"], backend="django.contrib.auth.backends.ModelBackend")
    assert other.post(reverse("api_token_revoke", args=[prefix])).status_code == 404
    assert _me(key) == 200
    owner = Client()
    owner.force_login(staff["accueil"], backend="django.contrib.auth.backends.ModelBackend")
    response = owner.post(reverse("api_token_revoke", args=[prefix]))
    assert response.status_code == 302
    assert _me(key) == 401
    assert "Révoqué" in owner.get(reverse("api_tokens")).content.decode()


def test_account_menu_links_to_the_tokens_page(staff: dict[str, User]) -> None:
    client = Client()
    client.force_login(staff["mediation"], backend="django.contrib.auth.backends.ModelBackend")
    assert f'href="{reverse("api_tokens")}"' in client.get("/mediation/").content.decode()


def test_password_change_is_journaled(staff: dict[str, User]) -> None:
    person = staff["accueil"]
    client = Client()
    client.force_login(person, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": TEST_PASSWORD,
            "password1": "un-tout-nouveau-mot-2026",
            "password2": "un-tout-nouveau-mot-2026",
        },
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="auth.password_change")
    assert entry.actor == person
    assert "un-tout-nouveau" not in str(entry.extra) + str(entry.changes)


def test_second_factor_set_up_and_removal_are_journaled(
    staff: dict[str, User], django_capture_on_commit_callbacks: Any
) -> None:
    from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY

    person = staff["accueil"]
    client = Client()
    client.force_login(person, backend="django.contrib.auth.backends.ModelBackend")
    client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    # allauth sends its signals once the change is committed.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_activate_totp"), {"code": code})
    assert response.status_code == 302
    added = AuditEntry.objects.get(action="auth.mfa_add", extra={"type": "totp"})
    assert added.actor == person
    assert secret not in str(added.extra)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    # Removing the app removes the recovery codes made with it: one entry for each.
    removed = AuditEntry.objects.filter(action="auth.mfa_remove", actor=person)
    assert sorted(e.extra["type"] for e in removed) == ["recovery_codes", "totp"]
