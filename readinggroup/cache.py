"""Django's Redis cache, made to keep the site answering while Redis is away.

The cache holds nothing that cannot be lost: API throttle counters and the
dates behind conditional GETs. So when Redis does not answer, reads miss and
writes are dropped (logged) instead of failing the request; for BREAKER_SECONDS
after a failure Redis is not even asked, so a Redis that hangs costs one
timeout (REDIS_SOCKET_TIMEOUT) per process, not one per request. Throttling is
off meanwhile; log-in lock-outs are unaffected (django-axes keeps them in the
database).

`add`, `incr` and `clear` still raise: `add` takes cross-process locks (a source
being fetched, arXiv's request slot), whose callers must know the truth.

Only Django's public cache methods are wrapped; the client underneath is Django's own.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

BREAKER_SECONDS = 5.0
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


class RedisCache(DjangoRedisCache):
    # Shared by every thread's instance: one failure is enough for the whole process to know.
    _down_until = 0.0

    def _tolerant(self, operation: str, call, fallback):
        if time.monotonic() < self._down_until:
            return fallback
        try:
            return call()
        except UNREACHABLE as error:
            RedisCache._down_until = time.monotonic() + BREAKER_SECONDS
            logger.warning("cache %s: Redis unreachable (%s); going on without the cache", operation, error)
            return fallback

    def get(self, key, default=None, version=None):
        return self._tolerant("get", lambda: super(RedisCache, self).get(key, default, version), default)

    def get_many(self, keys, version=None):
        return self._tolerant("get_many", lambda: super(RedisCache, self).get_many(keys, version), {})

    def has_key(self, key, version=None):
        return self._tolerant("has_key", lambda: super(RedisCache, self).has_key(key, version), False)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._tolerant("set", lambda: super(RedisCache, self).set(key, value, timeout, version), None)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        keys = list(data)
        return self._tolerant(
            "set_many", lambda: super(RedisCache, self).set_many(data, timeout, version), keys
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._tolerant("touch", lambda: super(RedisCache, self).touch(key, timeout, version), False)

    def delete(self, key, version=None):
        return self._tolerant("delete", lambda: super(RedisCache, self).delete(key, version), False)

    def delete_many(self, keys, version=None):
        self._tolerant("delete_many", lambda: super(RedisCache, self).delete_many(keys, version), None)
