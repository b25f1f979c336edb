"""DRF authentication by personal API token (`Authorization: Token <key>`).

The rules (hashed, expiring, revocable, refused without TOTP for the roles that need it)
are in `centre.services.api_tokens.token_check`; this class only reads the header and turns
a refusal into a 401.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from centre.models import ApiToken, User
from centre.services import api_tokens

KEYWORD = "Token"


class ApiTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None  # no token: the session (or nothing) authenticates
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "En-tête Authorization invalide : « Token <jeton> » attendu."
            )
        try:
            key = parts[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Jeton d'API invalide.") from None
        try:
            token = api_tokens.token_check(key)
        except api_tokens.ApiTokenError as refusal:
            raise exceptions.AuthenticationFailed(refusal.message) from None
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (with WWW-Authenticate) rather than 403 to a missing token.
        return KEYWORD


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Documents the token in the OpenAPI schema (drf-spectacular finds it by its target)."""

    target_class = "centre.api_tokens.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Jeton personnel (page « Jetons d'API ») : `Token <jeton>`.",
        }
