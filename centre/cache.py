"""The Redis cache, made to degrade instead of failing when Redis is down.

Redis holds the cache (failed-login counters, TOTP codes already used, cached values) and the
Celery broker. Django's RedisCache raises on every call when Redis is unreachable, which turned
a Redis outage into a 500 on the login page. Here a Redis error is logged and the call acts as
a cache miss (`get` returns the default, `add` and `set` report success without storing): the
centre keeps working, at the price of the failed-login rate limit and of TOTP replay
protection being inactive while Redis is down (passwords and TOTP codes are still checked).
/healthz reports the broker down meanwhile.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
_last_warning = 0.0


def _warn(error: RedisError) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning > 60:  # once a minute, not once a request
        _last_warning = now
        logger.warning("Cache Redis indisponible, fonctionnement sans cache : %s", error)


class ResilientRedisCache(RedisCache):
    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except RedisError as error:
            _warn(error)
            return default

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        try:
            return super().get_many(keys, version)
        except RedisError as error:
            _warn(error)
            return {}

    def add(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> bool:
        try:
            return bool(super().add(key, value, timeout, version))
        except RedisError as error:
            _warn(error)
            return True

    def set(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> None:
        try:
            super().set(key, value, timeout, version)
        except RedisError as error:
            _warn(error)

    def set_many(
        self, data: dict[Any, Any], timeout: Any = None, version: int | None = None
    ) -> list[Any]:
        try:
            return super().set_many(data, timeout, version)
        except RedisError as error:
            _warn(error)
            return []

    def delete(self, key: Any, version: int | None = None) -> bool:
        try:
            return bool(super().delete(key, version))
        except RedisError as error:
            _warn(error)
            return False

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        try:
            super().delete_many(keys, version)
        except RedisError as error:
            _warn(error)

    def touch(self, key: Any, timeout: Any = None, version: int | None = None) -> bool:
        try:
            return bool(super().touch(key, timeout, version))
        except RedisError as error:
            _warn(error)
            return False

    def has_key(self, key: Any, version: int | None = None) -> bool:
        try:
            return bool(super().has_key(key, version))
        except RedisError as error:
            _warn(error)
            return False

    def clear(self) -> None:
        """Delete this cache's keys only (its KEY_PREFIX), never FLUSHDB: the Celery broker
        and other processes (another test run, `make run`) may share the Redis database."""
        try:
            if not self.key_prefix:
                super().clear()
                return
            client = self._cache.get_client(None, write=True)
            batch: list[Any] = []
            for key in client.scan_iter(match=f"{self.key_prefix}:*", count=500):
                batch.append(key)
                if len(batch) >= 500:
                    client.delete(*batch)
                    batch.clear()
            if batch:
                client.delete(*batch)
        except RedisError as error:
            _warn(error)
