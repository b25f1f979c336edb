from __future__ import annotations

from django.test import Client

from centre.models import AuditEntry, Site, User
from tests.factories import login_with_mfa, make_superuser


def _superuser_client() -> tuple[Client, User]:
    superuser = make_superuser()
    client = Client()
    login_with_mfa(client, superuser)
    return client, superuser


def test_admin_change_is_journaled_with_before_and_after(site: Site) -> None:
    client, superuser = _superuser_client()
    response = client.post(
        f"/admin/centre/site/{site.pk}/change/",
        {
            "centre": site.centre_id,
            "name": "Site rebaptisé",
            "finess": "",
            "address": site.address,
            "in_qpv": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="admin.site.update")
    assert entry.actor == superuser
    assert entry.changes == {"name": [site.name, "Site rebaptisé"], "in_qpv": [False, True]}


def test_admin_user_change_never_copies_the_password_hash(staff: dict[str, User]) -> None:
    client, _ = _superuser_client()
    target = staff["accueil"]
    client.post(
        f"/admin/centre/user/{target.pk}/change/",
        {
            "email": target.email,
            "first_name": "Renommée",
            "last_name": target.last_name,
            "is_active": "on",
            "groups": [g.pk for g in target.groups.all()],
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "01/01/2026",
            "date_joined_1": "08:00:00",
        },
    )
    entry = AuditEntry.objects.get(action="admin.user.update")
    assert entry.changes["first_name"][1] == "Renommée"
    assert "password" not in entry.changes
