"""Typed readers for deployment settings.

Every value Passerelle reads from the environment goes through one of these helpers, so a
mistyped value stops start-up with a message naming the variable, instead of surfacing later
as a strange behaviour. Every variable is listed, with a comment, in `.env.example`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on", "oui"}
_FALSE = {"0", "false", "no", "off", "non", ""}


class Env:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def _raw(self, name: str) -> str | None:
        value = self.environ.get(name)
        return None if value is None else value.strip()

    def string(self, name: str, default: str | None = None, *, required: bool = False) -> str:
        value = self._raw(name)
        if value:
            return value
        if required or default is None:
            raise ImproperlyConfigured(
                f"La variable d'environnement {name} est obligatoire (voir .env.example)."
            )
        return default

    def optional_str(self, name: str) -> str | None:
        value = self._raw(name)
        return value or None

    def boolean(self, name: str, default: bool) -> bool:
        value = self._raw(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ImproperlyConfigured(
            f"{name}={value!r} n'est pas un booléen : utilisez true/false (ou 1/0)."
        )

    def integer(self, name: str, default: int, *, minimum: int | None = None) -> int:
        value = self._raw(name)
        if not value:
            return default
        try:
            number = int(value)
        except ValueError:
            raise ImproperlyConfigured(f"{name}={value!r} n'est pas un nombre entier.") from None
        if minimum is not None and number < minimum:
            raise ImproperlyConfigured(f"{name}={number} doit être au moins {minimum}.")
        return number

    def csv_list(self, name: str, default: list[str]) -> list[str]:
        value = self._raw(name)
        if value is None:
            return list(default)
        return [item.strip() for item in value.split(",") if item.strip()]

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.string(name, default)
        if value not in choices:
            raise ImproperlyConfigured(
                f"{name}={value!r} n'est pas une valeur permise ({', '.join(choices)})."
            )
        return value

    def url(self, name: str, default: str | None, *, schemes: tuple[str, ...]) -> str | None:
        value = self._raw(name) or default
        if value is None:
            return None
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in schemes:
            raise ImproperlyConfigured(
                f"{name} doit être une URL {' ou '.join(schemes)}:// (reçu : {value!r})."
            )
        return value
