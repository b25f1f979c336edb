from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connections
from django.test import Client, override_settings


def test_healthz_reports_database_and_broker(db: None) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"] == "ok"  # make test points REDIS_URL at the real Redis


@pytest.fixture
def database_down(transactional_db: None) -> Iterator[None]:
    """Point the default connection at a port where no PostgreSQL listens (a real refused
    connection, not a mock), then restore it."""
    connection = connections["default"]
    connection.close()
    original = connection.settings_dict["PORT"]
    connection.settings_dict["PORT"] = "1"
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = original


def test_healthz_reports_a_database_down_as_unhealthy_not_500(database_down: None) -> None:
    response = Client(raise_request_exception=False).get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["checks"]["database"].startswith("erreur")


@override_settings(REDIS_URL="redis://127.0.0.1:1/0", PRODUCTION=True)
def test_healthz_reports_a_broker_down_in_production(db: None) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("erreur")
