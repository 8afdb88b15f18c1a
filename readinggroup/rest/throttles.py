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


# --- Web forms -----------------------------------------------------------------------------------
# The web log-in and password-reset forms count with the same throttles, outside DRF:
# allow_request(request, None) takes Django's HttpRequest. Their rates are settings of their own.
import hashlib  # noqa: E402 - this part stays in one block, apart from the API's throttles

from django.conf import settings  # noqa: E402


class WebLoginThrottle(LoginThrottle):
    """Web log-in attempts per client address, whatever the username or the outcome (WEB_LOGIN_RATE):
    django-axes locks one username at one address, this stops trying many usernames."""

    scope = "web_login"

    def get_rate(self) -> str:
        return settings.WEB_LOGIN_RATE


class PasswordResetThrottle(LoginThrottle):
    """Password-reset requests per client address (PASSWORD_RESET_RATE)."""

    scope = "password_reset"

    def get_rate(self) -> str:
        return settings.PASSWORD_RESET_RATE


class PasswordResetEmailThrottle(PasswordResetThrottle):
    """Password-reset requests per e-mail address, from any client, so one inbox cannot be flooded.
    Every address counts, with an account or not, so the limit tells nobody which addresses have one;
    the key holds a hash, not the address."""

    scope = "password_reset_email"

    def __init__(self, email: str) -> None:
        super().__init__()
        self.email = email

    def get_cache_key(self, request, view) -> str:
        digest = hashlib.sha256(self.email.strip().casefold().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}
