from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from centre.models import ApiToken, AuditEntry, Site, User


def _token_client(user: User) -> APIClient:
    out = StringIO()
    call_command("create_api_token", user.email, stdout=out)
    key = out.getvalue().strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_create_api_token_prints_a_new_token_each_time_and_audits(
    staff: dict[str, User],
) -> None:
    out1, out2 = StringIO(), StringIO()
    call_command("create_api_token", staff["accueil"].email, stdout=out1)
    call_command("create_api_token", staff["accueil"].email, "--revoke-others", stdout=out2)
    # Only a hash is kept, so the command cannot print an existing key: it makes a new one.
    assert out1.getvalue() != out2.getvalue()
    tokens = ApiToken.objects.filter(user=staff["accueil"]).order_by("created")
    assert [t.revoked for t in tokens] == [True, False]
    assert tokens[1].prefix == out2.getvalue().strip().split(".")[0]
    assert AuditEntry.objects.filter(action="api_token.create").count() == 2
    assert AuditEntry.objects.filter(action="api_token.revoke_all").count() == 1


def test_create_api_token_refuses_unknown_and_inactive(staff: dict[str, User]) -> None:
    with pytest.raises(CommandError, match="Aucun compte"):
        call_command("create_api_token", "personne@nulle-part.fr")
    staff["accueil"].is_active = False
    staff["accueil"].save()
    with pytest.raises(CommandError, match="désactivé"):
        call_command("create_api_token", staff["accueil"].email)


def test_api_me_with_token(staff: dict[str, User]) -> None:
    response = _token_client(staff["mediation"]).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["email"] == staff["mediation"].email
    assert response.json()["roles"] == ["mediation"]


def test_api_refuses_anonymous_and_bad_tokens(db: None) -> None:
    assert APIClient().get("/api/v1/me/").status_code == 401
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token faux")
    assert client.get("/api/v1/me/").status_code == 401


def test_api_sites_lists_active_sites(staff: dict[str, User], site: Site, other_site: Site) -> None:
    other_site.is_active = False
    other_site.save()
    response = _token_client(staff["accueil"]).get("/api/v1/sites/")
    assert [s["name"] for s in response.json()["results"]] == [site.name]


def test_openapi_schema_is_served_to_staff(staff: dict[str, User]) -> None:
    response = _token_client(staff["direction"]).get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/me/" in schema["paths"]
    docs = _token_client(staff["direction"]).get("/api/docs/")
    assert docs.status_code == 200
    assert "cdn" not in docs.content.decode().lower()
