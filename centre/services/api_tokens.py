"""Personal API tokens: created by their owner, listed, revoked; checked at each API request.

A token is hashed at rest (djangorestframework-api-key: only its prefix and a SHA-512 of
the whole key are stored), named, expires after `settings.API_TOKEN_DAYS`, and is revoked
for good when its owner revokes it or when the account is deactivated. The roles that must
use two-factor authentication (centre.mfa) get no token, and their tokens stop working,
until they have set up TOTP: a token must not be a way round the second factor.

The journal entries are on the owner's account (`centre.user`), naming the token by its
prefix (never the key, never its hash).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from centre import audit, mfa
from centre.models import ApiToken, User
from centre.refusals import Forbidden, NotFound, Refusal

NAME_MAX_LENGTH = ApiToken._meta.get_field("name").max_length or 50
# The last use is saved at most once a minute per token: an exact time on every request would
# write to the database on every read of the API.
LAST_USED_PRECISION = datetime.timedelta(minutes=1)


class ApiTokenError(Refusal):
    """A token that cannot be created or used; the message says why, in French."""


def _mfa_missing(user: User) -> bool:
    return mfa.mfa_required(user) and not mfa.has_totp(user)


def token_create(
    *, by: User | None, owner: User, name: str, days: int | None = None
) -> tuple[ApiToken, str]:
    """A new token for `owner`; returns it with its key, which is shown once and never again.

    `by` is the person asking: only the owner creates their own tokens (the page asks them to
    re-authenticate first); `None` is the server's command line (`create_api_token`)."""
    if by is not None and by.pk != owner.pk:
        raise Forbidden("Chacun crée ses propres jetons d'API.")
    name = name.strip()
    if not name:
        raise ApiTokenError("Donnez un nom au jeton (à quoi il sert).", field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise ApiTokenError(f"Nom trop long ({NAME_MAX_LENGTH} caractères au plus).", field="name")
    max_days = settings.API_TOKEN_DAYS
    days = max_days if days is None else days
    if not 1 <= days <= max_days:
        raise ApiTokenError(f"Durée de validité : de 1 à {max_days} jours.", field="days")
    if not owner.is_active:
        raise ApiTokenError("Ce compte est désactivé : aucun jeton n'est délivré.")
    if _mfa_missing(owner):
        raise Forbidden(
            "Activez la double authentification (application TOTP) avant de créer un jeton "
            "d'API : votre rôle l'exige."
        )
    expires = timezone.now() + datetime.timedelta(days=days)
    with transaction.atomic():
        token, key = ApiToken.objects.create_key(user=owner, name=name, expiry_date=expires)
        audit.record(
            actor=by,
            action="api_token.create",
            obj=owner,
            extra={"token": token.prefix, "name": name, "expires": expires},
        )
    assert isinstance(token, ApiToken)
    return token, key


def tokens_of(*, by: User) -> list[ApiToken]:
    """The tokens of `by`, newest first (revoked and expired ones included, marked)."""
    return list(ApiToken.objects.filter(user=by).order_by("-created"))


def token_revoke(*, by: User, prefix: str) -> ApiToken:
    """Revoke one of `by`'s own tokens (for good: a revoked token cannot be restored)."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(user=by, prefix=prefix).first()
        if token is None:
            raise NotFound("Aucun de vos jetons ne correspond.")
        if token.revoked:
            return token
        token.revoked = True
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked", "revoked_at"])
        audit.record(
            actor=by,
            action="api_token.revoke",
            obj=by,
            extra={"token": token.prefix, "name": token.name},
        )
    return token


def token_revoke_all(*, by: User | None, owner: User, reason: str) -> int:
    """Revoke every live token of `owner` (deactivation of the account); one journal entry
    naming them. Runs inside the caller's transaction."""
    with transaction.atomic():
        live = list(
            ApiToken.objects.select_for_update()
            .filter(user=owner, revoked=False)
            .values_list("prefix", flat=True)
        )
        if not live:
            return 0
        ApiToken.objects.filter(user=owner, prefix__in=live).update(
            revoked=True, revoked_at=timezone.now()
        )
        audit.record(
            actor=by,
            action="api_token.revoke_all",
            obj=owner,
            extra={"tokens": sorted(live), "reason": reason},
        )
    return len(live)


def token_check(key: str) -> ApiToken:
    """The live token of `key`, with its owner; refuses (ApiTokenError) an unknown, revoked or
    expired token, a deactivated owner, and an owner whose role needs TOTP and has none."""
    try:
        token = ApiToken.objects.get_from_key(key)
    except ApiToken.DoesNotExist:
        raise ApiTokenError("Jeton d'API invalide ou révoqué.") from None
    assert isinstance(token, ApiToken)
    if token.has_expired:
        raise ApiTokenError("Ce jeton d'API a expiré : créez-en un nouveau.")
    owner = token.user
    if not owner.is_active:
        raise ApiTokenError("Le compte de ce jeton est désactivé.")
    if _mfa_missing(owner):
        raise ApiTokenError(
            "Votre rôle exige la double authentification : activez-la avant d'utiliser l'API."
        )
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
