"""Accounts: an ICS feed and an API token stop answering once their owner's account is
inactive, whatever door deactivated it; password, e-mail and second-factor changes are
journaled in the transaction of the change, with who made them."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.db.models.signals import post_save
from django.test import Client
from django.urls import reverse

from appointments.models import CalendarFeed
from appointments.services import calendar_feeds
from centre.models import AuditEntry, User
from centre.selectors import current_centre
from centre.services import staff as staff_services
from tests.factories import TEST_PASSWORD, api_token_for, login_with_mfa, make_superuser

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "un-tout-nouveau-mot-2026"


def _ics(token: str) -> int:
    return Client().get(reverse("appointments:ics", args=[token])).status_code


def _me(key: str) -> int:
    return Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/me/").status_code


def test_ics_feed_dies_with_deactivation_for_good(staff: dict[str, User]) -> None:
    person, director = staff["soignant"], staff["direction"]
    feed = calendar_feeds.calendar_feed_renew(practitioner=person.profile, by=person)
    assert _ics(feed.token) == 200
    centre = current_centre()
    staff_services.staff_set_active(by=director, user_id=person.pk, active=False, centre=centre)
    assert _ics(feed.token) == 404
    feed.refresh_from_db()
    assert feed.revoked_at is not None
    revoke = AuditEntry.objects.get(action="calendar_feed.revoke")
    assert (revoke.actor, revoke.extra) == (director, {"revoked": 1})
    # Reactivated, the practitioner asks for a new URL: the old one stays dead.
    staff_services.staff_set_active(by=director, user_id=person.pk, active=True, centre=centre)
    assert _ics(feed.token) == 404


def test_ics_feed_and_token_are_checked_at_use_time(staff: dict[str, User]) -> None:
    """An account made inactive without the service (a command, a data fix) answers nothing:
    the check is made at each request, not only when deactivating."""
    person = staff["soignant"]
    feed = calendar_feeds.calendar_feed_renew(practitioner=person.profile, by=person)
    key = api_token_for(person)
    assert (_ics(feed.token), _me(key)) == (200, 200)
    User.objects.filter(pk=person.pk).update(is_active=False)
    assert (_ics(feed.token), _me(key)) == (404, 401)
    assert CalendarFeed.objects.get(pk=feed.pk).revoked_at is None  # refused, not revoked
    User.objects.filter(pk=person.pk).update(is_active=True)
    assert (_ics(feed.token), _me(key)) == (200, 200)


def _change_password(client: Client) -> Any:
    return client.post(
        reverse("account_change_password"),
        {"oldpassword": TEST_PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )


def test_password_change_and_its_entry_are_one_transaction(staff: dict[str, User]) -> None:
    person = staff["accueil"]
    client = Client(raise_request_exception=False)
    client.force_login(person, backend="django.contrib.auth.backends.ModelBackend")

    def journal_down(sender: Any, instance: AuditEntry, **kw: Any) -> None:
        if instance.action == "auth.password_change":
            raise RuntimeError("journal indisponible")

    post_save.connect(journal_down, sender=AuditEntry, dispatch_uid="test_journal_down")
    try:
        assert _change_password(client).status_code == 500
    finally:
        post_save.disconnect(dispatch_uid="test_journal_down", sender=AuditEntry)
    person.refresh_from_db()
    assert person.check_password(TEST_PASSWORD)  # no entry, no change
    assert not AuditEntry.objects.filter(action="auth.password_change").exists()

    assert _change_password(client).status_code == 302
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    entry = AuditEntry.objects.get(action="auth.password_change")
    assert (entry.actor, entry.object_id) == (person, str(person.pk))
    assert entry.extra == {"door": "account_change_password"}
    assert NEW_PASSWORD not in str(entry.extra) + str(entry.changes)


def test_admin_password_and_email_changes_name_the_administrator(staff: dict[str, User]) -> None:
    person = staff["soignant"]
    admin_user = make_superuser()
    admin = Client()
    login_with_mfa(admin, admin_user)
    response = admin.post(
        f"/admin/centre/user/{person.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="auth.password_change")
    assert (entry.actor, entry.object_id) == (admin_user, str(person.pk))
    assert entry.extra == {"door": "auth_user_password_change"}

    old_email = person.email
    response = admin.post(
        f"/admin/centre/user/{person.pk}/change/",
        {
            "email": "nouvelle.adresse@test.passerelle.fr",
            "first_name": person.first_name,
            "last_name": person.last_name,
            "is_active": "on",
            "groups": [g.pk for g in person.groups.all()],
            "date_joined_0": "01/01/2026",
            "date_joined_1": "08:00:00",
        },
    )
    assert response.status_code == 302
    change = AuditEntry.objects.get(action="auth.email_change")
    assert change.actor == admin_user
    assert change.changes == {"email": [old_email, "nouvelle.adresse@test.passerelle.fr"]}
    # Saving the account for its last login (every login) leaves no such entry.
    User.objects.get(pk=person.pk).save(update_fields=["last_login"])
    assert AuditEntry.objects.filter(action__in=["auth.email_change"]).count() == 1


def test_second_factor_removed_by_an_administrator_names_them(staff: dict[str, User]) -> None:
    person = staff["direction"]  # has a TOTP app (MFA role)
    totp = Authenticator.objects.get(user=person, type=Authenticator.Type.TOTP)
    admin_user = make_superuser()
    admin = Client()
    login_with_mfa(admin, admin_user)
    response = admin.post(
        f"/admin/mfa/authenticator/{totp.pk}/delete/", {"post": "yes"}, follow=False
    )
    assert response.status_code == 302
    assert not Authenticator.objects.filter(pk=totp.pk).exists()
    entry = AuditEntry.objects.get(action="auth.mfa_remove")
    assert (entry.actor, entry.object_id, entry.extra) == (
        admin_user,
        str(person.pk),
        {"type": "totp"},
    )


def test_email_change_on_the_account_page_is_journaled(staff: dict[str, User]) -> None:
    person = staff["accueil"]
    old_email = person.email
    client = Client()
    client.force_login(person, backend="django.contrib.auth.backends.ModelBackend")
    client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    new = "renee.nouvelle@test.passerelle.fr"
    client.post(reverse("account_email"), {"action_add": "", "email": new})
    client.post(reverse("account_email"), {"action_primary": "", "email": new})
    person.refresh_from_db()
    assert person.email == new
    entry = AuditEntry.objects.get(action="auth.email_change")
    assert (entry.actor, entry.changes) == (person, {"email": [old_email, new]})
