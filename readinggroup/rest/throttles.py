"""Request rates: per member, per anonymous IP address, and a stricter one for logging in.

DRF's SimpleRateThrottle on the site's cache (readinggroup.cache: while Redis is away the
cache misses and drops writes, so throttling is off meanwhile). Rates come from
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (settings API_THROTTLE_*), read on each request
rather than when the class is defined, so a changed setting applies at once. A new rate is
a subclass of _LiveRates with a `scope` (and a get_cache_key when it is not per member).
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class _LiveRates(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


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
