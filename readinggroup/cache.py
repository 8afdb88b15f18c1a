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

`sliding_log` keeps the API throttles' request logs in Redis itself (see its docstring).
"""

from __future__ import annotations

import logging
import time
import uuid

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

BREAKER_SECONDS = 5.0
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


class ReusingRedisClient(RedisCacheClient):
    """Django's client makes a new redis.Redis for every operation, and redis-py fills a
    table of ~170 reply handlers each time: a fifth of a cheap API request's CPU (three
    cache calls per request). One redis.Redis per connection pool does the same work:
    it is thread-safe and takes a pooled connection per command."""

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_clients", {})
        client = clients.get(id(pool))
        if client is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisClient

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

    # The request log of one throttle key as a sorted set (score = request time): drop what
    # left the window, count, and log this request when under the limit; when refused, the
    # oldest request's time, which says when a place frees up. KEYS[2], when given, is read
    # in the same run: the request's other read, brought along to save it a round trip.
    _SLIDING_LOG = """
    local found, value = 0, ''
    if KEYS[2] then
      local stored = redis.call('GET', KEYS[2])
      if stored then found, value = 1, stored end
    end
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
    if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
      redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
      redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])))
      return {1, '', found, value}
    end
    return {0, redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2], found, value}
    """

    def sliding_log(
        self, key: str, *, now: float, window: float, limit: int, read: str | None = None
    ) -> tuple[bool, float | None, dict]:
        """Whether a request at `now` stays within `limit` requests per `window` seconds for this
        key, logged when it does; when refused, also the time of the oldest logged request;
        and, when `read` names a cache key, {read: its value or None}, read in the same run.

        The same sliding log as DRF's SimpleRateThrottle, which reads and writes the whole
        pickled list of times through the cache (two round trips, up to a limit's worth of
        times each way); here it is one script run, one round trip. Redis away: allowed,
        and nothing read ({})."""

        def run() -> tuple[bool, float | None, dict]:
            script = self.__dict__.get("_sliding_log_script")
            if script is None:
                client = self._cache.get_client(write=True)
                script = self.__dict__["_sliding_log_script"] = client.register_script(self._SLIDING_LOG)
            entry = f"{now!r}:{uuid.uuid4().hex[:12]}"  # two requests in one microsecond are two entries
            keys = [self.make_and_validate_key(f"sliding:{key}")]
            if read is not None:
                keys.append(self.make_and_validate_key(read))
            allowed, oldest, found, value = script(keys=keys, args=[repr(now), window, limit, entry])
            fetched = {} if read is None else {read: self._cache._serializer.loads(value) if found else None}
            return bool(allowed), (float(oldest) if oldest else None), fetched

        return self._tolerant("sliding_log", run, (True, None, {}))
