"""Request rates: per member, per anonymous IP address, and a stricter one for logging in.

Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (settings API_THROTTLE_*), read
on each request rather than when the class is defined, so a changed setting applies at once.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from readinggroup.rest import conditional


class _LiveRates(SimpleRateThrottle):
    """With the Redis cache, the request log lives in Redis, one round trip a request
    (readinggroup.cache.RedisCache.sliding_log), which also brings what a conditional GET
    reads from the cache next (readinggroup.rest.conditional); other caches keep DRF's own way."""

    oldest: float | None = None

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view) -> bool:
        sliding_log = getattr(self.cache, "sliding_log", None)
        if sliding_log is None or self.rate is None:
            return super().allow_request(request, view)
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        allowed, self.oldest, fetched = sliding_log(
            self.key,
            now=self.now,
            window=self.duration,
            limit=self.num_requests,
            read=conditional.key_to_prefetch(request, view),
        )
        conditional.remember_prefetched(request, fetched)
        return allowed

    def wait(self) -> float | None:
        if self.oldest is None:
            return super().wait()
        # As DRF's wait() when the limit is reached: the oldest request leaves the window then.
        return max(self.duration - (self.now - self.oldest), 0.0)


class UserThrottle(_LiveRates):
    """Per member, over all their devices; anonymous requests are left to AnonThrottle."""

    scope = "user"

    def get_cache_key(self, request, view) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonThrottle(_LiveRates):
    """Per client IP address, for requests without a member."""

    scope = "anon"

    def get_cache_key(self, request, view) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginThrottle(_LiveRates):
    """Login attempts per client IP address, whether they succeed or not."""

    scope = "login"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
