"""Tests that touch Redis (rate limits, cached values) keep to their own keys: a prefix of
their own per process, and clearing the cache deletes those keys only — never the keys of
another process sharing the database (another test run, `make run`, the Celery broker)."""

from __future__ import annotations

import redis
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache


def _raw() -> redis.Redis:
    assert settings.REDIS_URL, "the suite runs with REDIS_URL (Makefile TEST_ENV)"
    return redis.Redis.from_url(settings.REDIS_URL)


def test_the_test_prefix_is_this_process_own() -> None:
    prefix = str(settings.CACHES["default"]["KEY_PREFIX"])
    assert prefix.startswith("passerelle-test-") and len(prefix) == len("passerelle-test-") + 12
    cache.set("compteur", 3)
    assert _raw().get(f"{prefix}:1:compteur") is not None


def test_clearing_keeps_the_keys_of_other_processes() -> None:
    raw = _raw()
    other = RedisCache(str(settings.REDIS_URL), {"KEY_PREFIX": "autre-processus"})
    other.set("allauth-rl", 99)  # another run's rate-limit counter, same logical key
    raw.rpush("celery-test-isolation", "tâche en file")  # a broker queue
    cache.set("allauth-rl", 1)
    try:
        assert cache.get("allauth-rl") == 1  # never the other process's 99
        cache.clear()
        assert cache.get("allauth-rl") is None
        assert other.get("allauth-rl") == 99
        assert raw.lrange("celery-test-isolation", 0, -1) == ["tâche en file".encode()]
    finally:
        other.delete("allauth-rl")
        raw.delete("celery-test-isolation")
