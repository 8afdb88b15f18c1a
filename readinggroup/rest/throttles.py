"""Request rates: per member, per anonymous IP address, and a stricter one for logging in.

DRF's SimpleRateThrottle on the site's cache (readinggroup.cache: while Redis is away the
cache misses and drops writes, so throttling is off meanwhile). Rates come from
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (settings API_THROTTLE_*), read on each request
rather than when the class is defined, so a changed setting applies at once. A new rate is
a subclass of _LiveRates with a `scope` (and a get_cache_key when it is not per member); the
web forms', exports' and suggestions' throttles name a `setting` of their own instead.
"""

import hashlib
import math
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpResponse
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class _LiveRates(SimpleRateThrottle):
    """Every throttle of the site: its rate is read on each request, from the setting named by
    `setting` when it has one (the web forms, exports, suggestions), else from the API's
    DEFAULT_THROTTLE_RATES for its scope."""

    setting = ""

    def get_rate(self) -> str | None:
        if self.setting:
            return getattr(settings, self.setting)
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


# --- Web forms -----------------------------------------------------------------------------------
# The web log-in and password-reset forms count with the same throttles, outside DRF:
# allow_request(request, None) takes Django's HttpRequest. Their rates are settings of their own.


class WebLoginThrottle(LoginThrottle):
    """Web log-in attempts per client address, whatever the username or the outcome (WEB_LOGIN_RATE):
    django-axes locks one username at one address, this stops trying many usernames."""

    scope = "web_login"
    setting = "WEB_LOGIN_RATE"


class PasswordResetThrottle(LoginThrottle):
    """Password-reset requests per client address (PASSWORD_RESET_RATE)."""

    scope = "password_reset"
    setting = "PASSWORD_RESET_RATE"


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


# --- Exports and suggestions, on the web pages and in the API (docs/security.md) -----------------
# DRF's SimpleRateThrottle as it is: allow_request reads only request.user and request.META, so
# a web view passes its Django HttpRequest (and no view). Rates come from settings read on each
# request (EXPORT_RATE, CALENDAR_RATE, SUGGEST_RATE), so a changed setting applies at once.


class _MemberOrAddress(_LiveRates):
    """Counted per member when one is logged in (or named: a calendar's owner), else per address."""

    def __init__(self, *, member=None) -> None:
        self.member = member
        super().__init__()

    def get_cache_key(self, request, view) -> str:
        member = self.member if self.member is not None else getattr(request, "user", None)
        if member is not None and member.is_authenticated:
            ident = f"member-{member.pk}"
        else:
            ident = f"address-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ExportThrottle(_MemberOrAddress):
    """BibTeX (a paper list, a session's agenda) and the organisers' CSV exports."""

    scope = "export"
    setting = "EXPORT_RATE"


class CalendarThrottle(_MemberOrAddress):
    """iCal feeds; a member's private feed counts per owner, as calendar services fetch many
    members' feeds from the same few addresses."""

    scope = "calendar"
    setting = "CALENDAR_RATE"


class SuggestThrottle(_MemberOrAddress):
    """Paper suggestions, web form and API together: each new paper queues a metadata fetch."""

    scope = "suggest"
    setting = "SUGGEST_RATE"


SUGGEST_LIMITED = "You have suggested many papers in a short time."
EXPORT_LIMITED = "Too many exports from here in a short time."


def seconds_to_wait(throttle: SimpleRateThrottle, request) -> int | None:
    """None when the request is within the throttle's rate (it then counts), else whole seconds to wait."""
    if throttle.allow_request(request, None):
        return None
    return max(1, math.ceil(throttle.wait() or 1))


def try_again(message: str, seconds: int) -> str:
    """The message and when to try again: "... Try again in 12 minutes."."""
    when = f"{seconds} second{'s' if seconds != 1 else ''}"
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= 2 * size:
            when = f"{math.ceil(seconds / size)} {unit}s"
            break
    return f"{message} Try again in {when}."


def too_many_requests(seconds: int, message: str) -> HttpResponse:
    """A plain-text 429 with Retry-After, for a feed reader or a calendar app as much as a person."""
    response = HttpResponse(
        try_again(message, seconds) + "\n", status=429, content_type="text/plain; charset=utf-8"
    )
    response["Retry-After"] = str(seconds)
    return response


def web_throttle(throttle_class: type[_MemberOrAddress], message: str = EXPORT_LIMITED) -> Callable:
    """A web view answers 429 with Retry-After once its client goes over the throttle's rate."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request, *args, **kwargs) -> HttpResponse:
            seconds = seconds_to_wait(throttle_class(), request)
            if seconds is not None:
                return too_many_requests(seconds, message)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
