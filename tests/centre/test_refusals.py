"""The one refusal type and its two translations (forms, API), and the JSON answers of /api/."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.test import Client

from centre.api import exception_handler
from centre.forms import add_refusal
from centre.models import User
from centre.refusals import Conflict, Forbidden, Kind, NotFound, Refusal
from tests.factories import api_token_for

ClientFor = Callable[[str | None], Client]


@pytest.mark.parametrize(
    ("refusal", "status", "body"),
    [
        (Refusal("Date invalide.", field="day"), 400, {"day": ["Date invalide."]}),
        (
            Refusal({"a": "un", "": ["deux", "trois"]}),
            400,
            {"a": ["un"], "non_field_errors": ["deux", "trois"]},
        ),
        (
            Forbidden("Pas le vôtre."),
            403,
            {"detail": "Pas le vôtre.", "kind": "forbidden", "field": ""},
        ),
        (NotFound("Inconnu."), 404, {"detail": "Inconnu.", "kind": "not_found", "field": ""}),
        (
            Conflict("Doublon possible.", details={"candidates": [{"id": 7}]}),
            409,
            {
                "detail": "Doublon possible.",
                "kind": "conflict",
                "field": "",
                "candidates": [{"id": 7}],
            },
        ),
        (
            Refusal("Pris.", field="start", kind=Kind.CONFLICT),
            409,
            {"detail": "Pris.", "kind": "conflict", "field": "start"},
        ),
    ],
)
def test_the_api_answers_each_kind_with_its_status_and_body(
    refusal: Refusal, status: int, body: dict[str, object]
) -> None:
    response = exception_handler(refusal, {})
    assert response is not None
    assert (response.status_code, response.data) == (status, body)


def test_a_django_validation_error_from_a_service_is_a_400_field_by_field() -> None:
    error = ValidationError({"nir": ["Clé fausse."], "__all__": ["Identité incomplète."]})
    response = exception_handler(error, {})
    assert response is not None
    assert response.status_code == 400
    assert response.data == {"nir": ["Clé fausse."], "non_field_errors": ["Identité incomplète."]}


class _Form(forms.Form):
    day = forms.DateField()


def test_a_form_shows_the_refusal_on_its_field_or_on_the_whole_form() -> None:
    form = _Form(data={"day": "2026-12-04"})
    assert form.is_valid()
    add_refusal(form, Refusal({"day": "Jour férié.", "other": "Ailleurs."}))
    assert form.errors == {"day": ["Jour férié."], "__all__": ["Ailleurs."]}


def test_an_unknown_api_url_answers_json(client_for: ClientFor) -> None:
    response = client_for("accueil").get("/api/v1/nulle-part/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Adresse inconnue de l'API."}
    # Outside /api/ the page stays the French HTML page.
    page = client_for("accueil").get("/nulle-part/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_a_body_that_is_not_json_is_a_field_shaped_400(staff: dict[str, User]) -> None:
    response = Client().post(
        "/api/v1/patients/",
        data="{pas du json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {api_token_for(staff['accueil'])}",
    )
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Corps de la requête illisible : du JSON est attendu."]
    }


def test_a_form_body_is_refused_by_the_json_api(staff: dict[str, User]) -> None:
    response = Client().post(
        "/api/v1/patients/",
        data={"last_name": "Martin"},
        HTTP_AUTHORIZATION=f"Token {api_token_for(staff['accueil'])}",
    )
    assert response.status_code == 415


@pytest.mark.parametrize(("value", "status"), [("true", 200), ("0", 200), ("peut-être", 400)])
def test_boolean_query_parameters_are_strict(
    staff: dict[str, User], value: str, status: int
) -> None:
    response = Client().get(
        f"/api/v1/consultation-types/?include_inactive={value}",
        HTTP_AUTHORIZATION=f"Token {api_token_for(staff['accueil'])}",
    )
    assert response.status_code == status
    if status == 400:
        assert response.json() == {"include_inactive": ["Valeur attendue : true ou false."]}


@pytest.mark.parametrize(("page", "status"), [("1", 200), ("", 404), ("abc", 404), ("99", 404)])
def test_an_empty_or_unknown_page_is_a_404(staff: dict[str, User], page: str, status: int) -> None:
    response = Client().get(
        f"/api/v1/sites/?page={page}",
        HTTP_AUTHORIZATION=f"Token {api_token_for(staff['accueil'])}",
    )
    assert response.status_code == status


def test_every_operation_documents_its_error_answers() -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            answers = set(operation["responses"])
            assert {"401", "403"} <= answers, (method, path)
            if "{" in path:
                assert "404" in answers, (method, path)
            if method in ("post", "put", "patch"):
                assert "400" in answers, (method, path)
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and parameter["schema"].get("type") == "integer":
                    assert parameter["schema"]["minimum"] == 1, (path, parameter["name"])
