"""The error answers every API operation can give, documented once.

Each endpoint documents its own success body and, when it has one, its 409. The errors that
come from the shared doors are the same everywhere, so they are added here to every operation
of the schema instead of being repeated on each view (drf-spectacular post-processing hook):

- 400 for operations that read a body or query parameters (DRF validation, `Refusal` of kind
  invalid: `{field: [messages]}`);
- 401 when no valid token or session is sent, 403 when the role or the object is not allowed
  (`{"detail": …}`);
- 404 for operations on one object (`{"detail": …}`, the object does not exist or is outside the
  caller's rights: the API never says which) and for paginated lists (a page past the end);
- integer query parameters (object ids, page numbers) start at 1;
- 405 is answered by DRF with an Allow header for any method an endpoint does not serve.
"""

from __future__ import annotations

from typing import Any

from centre.perms import HasRole
from centre.roles import STAFF_ROLES

DETAIL = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "kind": {"type": "string", "enum": ["invalid", "forbidden", "not_found", "conflict"]},
        "field": {"type": "string"},
    },
    "required": ["detail"],
}
# DRF validation errors and invalid refusals: field names (or non_field_errors) to messages,
# nested for nested serializers; the shape depends on the body, so only "an object" is promised.
VALIDATION = {"type": "object", "additionalProperties": True}

COMPONENTS = {"ErrorDetail": DETAIL, "ValidationErrors": VALIDATION}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _answer(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def add_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(COMPONENTS)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            for parameter in operation.get("parameters", []):
                # Integer query parameters are object ids and page numbers: 1 and up.
                schema = parameter.get("schema", {})
                if parameter.get("in") == "query" and schema.get("type") == "integer":
                    schema.setdefault("minimum", 1)
            responses = operation.setdefault("responses", {})
            has_input = bool(operation.get("parameters")) or "requestBody" in operation
            if has_input or method in ("post", "put", "patch"):
                responses.setdefault(
                    "400", _answer("Données invalides (messages par champ)", "ValidationErrors")
                )
            responses.setdefault("401", _answer("Authentification requise", "ErrorDetail"))
            responses.setdefault("403", _answer("Rôle ou objet non autorisé", "ErrorDetail"))
            # A paginated list answers 404 for a page past its end (DRF's pagination).
            paginated = any(p.get("name") == "page" for p in operation.get("parameters", []))
            if "{" in path or paginated:
                responses.setdefault(
                    "404", _answer("Introuvable ou hors de vos droits", "ErrorDetail")
                )
    return result


class StaffOnly(HasRole):
    """Who may read the schema and the API docs (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]):
    the staff roles only. The schema lists every resource, field and filter of the API — a
    map of the patient data — which `collecte` (volunteer inhabitants, who reach nothing but
    the survey entry form) and an account without role have no use for: 403."""

    roles = tuple(str(r) for r in STAFF_ROLES)
