"""The error pages when the database is what failed (no database needed to render them)."""

from __future__ import annotations

from django.contrib.sessions.backends.base import UpdateError
from django.core.exceptions import SuspiciousOperation
from django.db import OperationalError
from django.test import RequestFactory

from centre.views import error_400, error_500


def test_a_database_outage_is_a_503_in_french_with_retry_after(rf: RequestFactory) -> None:
    try:
        raise OperationalError("connection refused")
    except OperationalError:
        response = error_500(rf.get("/"))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Service momentanément indisponible" in response.content.decode()


def test_other_errors_keep_the_500_page(rf: RequestFactory) -> None:
    try:
        raise ValueError("bug")
    except ValueError:
        response = error_500(rf.get("/"))
    assert response.status_code == 500
    assert "Une erreur est survenue" in response.content.decode()


def test_a_session_lost_with_the_database_is_an_outage_not_a_bad_request(
    rf: RequestFactory,
) -> None:
    # What SessionMiddleware raises when saving the session fails with the database.
    try:
        try:
            try:
                raise OperationalError("server closed the connection")
            except OperationalError:
                raise UpdateError from None
        except UpdateError as error:
            raise SuspiciousOperation("session interrupted") from error
    except SuspiciousOperation as error:
        assert error_400(rf.get("/"), error).status_code == 503
    assert error_400(rf.get("/"), SuspiciousOperation("bad")).status_code == 400
