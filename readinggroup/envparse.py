"""Strict parsing of environment variables.

django-environ treats any unknown word as False ("DEBUG=flase" silently turns
DEBUG off); a typo in the environment should stop the site with a message instead.
"""

import os
from email.utils import parseaddr

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def env_bool(name: str, *, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean: use one of true/false, 1/0, yes/no, on/off."
    )


def env_int(name: str, *, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


def env_list(name: str, *, default: list[str]) -> list[str]:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_str(name: str, *, default: str = "", choices: tuple[str, ...] = ()) -> str:
    """The variable's value, or `default` when it is unset or empty; one of `choices` when given."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if choices and raw not in choices:
        raise ImproperlyConfigured(f"{name}={raw!r}: use one of {', '.join(choices)}.")
    return raw


def env_admins(name: str) -> list[tuple[str, str]]:
    """(name, address) pairs from comma-separated `Name <address>` or bare addresses."""
    admins = []
    for item in env_list(name, default=[]):
        display, address = parseaddr(item)
        if "@" not in address:
            raise ImproperlyConfigured(f"{name}: {item!r} is not `Name <address>` or an e-mail address.")
        admins.append((display or address, address))
    return admins


RATE_PERIODS = ("second", "minute", "hour", "day")


def env_rate(name: str, *, default: str) -> str:
    """A request rate as DRF's throttles read it: N/second, N/minute, N/hour or N/day."""
    raw = os.environ.get(name, "").strip().lower() or default
    count, _, period = raw.partition("/")
    if not count.isdigit() or period not in RATE_PERIODS:
        raise ImproperlyConfigured(f"{name}={raw!r}: write N/second, N/minute, N/hour or N/day.")
    return raw
