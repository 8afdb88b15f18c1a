"""Strict parsing of environment variables: the one reader settings.py uses.

django-environ treats any unknown word as False ("DEBUG=flase" silently turns
DEBUG off); a typo in the environment should stop the site with a message instead.
An empty value counts as unset everywhere: `KEY=` in an env file, or a variable a
shell exported empty, means "the default", never an empty string, a zero or a
broken URL. django-environ stays for what it does well: turning DATABASE_URL and
EMAIL_URL into Django's settings.
"""

import os
from email.utils import parseaddr
from typing import Any, TypeVar
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}
T = TypeVar("T")

# Every variable read, with the default the code chose and the value it used: lets a test hold
# .env.example and docs/configuration.md to the code (readinggroup/tests/test_configuration.py).
READ: dict[str, tuple[Any, Any]] = {}


def _raw(name: str) -> str:
    return os.environ.get(name, "").strip()


def _read(name: str, default: T, value: T) -> T:
    READ[name] = (default, value)
    return value


def env_str(name: str, *, default: str = "", choices: tuple[str, ...] = ()) -> str:
    """The variable's value, or `default` when it is unset or empty; one of `choices` when given."""
    raw = _raw(name)
    if raw and choices and raw not in choices:
        raise ImproperlyConfigured(f"{name}={raw!r}: use one of {', '.join(choices)}.")
    return _read(name, default, raw or default)


def env_bool(name: str, *, default: bool) -> bool:
    raw = _raw(name).lower()
    if not raw:
        return _read(name, default, default)
    if raw in TRUE_WORDS:
        return _read(name, default, True)
    if raw in FALSE_WORDS:
        return _read(name, default, False)
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean: use one of true/false, 1/0, yes/no, on/off."
    )


def env_int(name: str, *, default: int, minimum: int = 0) -> int:
    raw = _raw(name)
    if not raw:
        return _read(name, default, default)
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return _read(name, default, value)


def env_float(name: str, *, default: float, minimum: float = 0.0) -> float:
    raw = _raw(name)
    if not raw:
        return _read(name, default, default)
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None
    if not minimum <= value < float("inf"):
        raise ImproperlyConfigured(f"{name}={value} must be a number of at least {minimum}.")
    return _read(name, default, value)


def env_list(name: str, *, default: list[str]) -> list[str]:
    raw = _raw(name)
    if not raw:
        return _read(name, default, list(default))
    return _read(name, default, [item.strip() for item in raw.split(",") if item.strip()])


def env_db_url(name: str, *, default: str) -> dict[str, Any]:
    """Django's DATABASES entry for a URL such as postgres://user:pass@host:5432/name."""
    url = _read(name, default, _raw(name) or default)
    config = environ.Env.db_url_config(url)
    # django-environ passes an unknown scheme on as the engine's name; Django would then fail
    # far from the cause. The message names the scheme only: the URL may hold a password.
    if "." not in config.get("ENGINE", ""):
        raise ImproperlyConfigured(
            f"{name}: unknown database scheme {urlsplit(url).scheme!r}; "
            "use e.g. postgres://user:password@host:5432/name or sqlite:////path/to/db.sqlite3."
        )
    return config


def env_email_url(name: str, *, default: str) -> dict[str, Any]:
    """Django's EMAIL_* settings for a URL such as smtp+tls://user:pass@host:587."""
    url = _read(name, default, _raw(name) or default)
    try:
        config = environ.Env.email_url_config(url)
    except ImproperlyConfigured:
        raise ImproperlyConfigured(
            f"{name}: unknown e-mail scheme {urlsplit(url).scheme!r}; use e.g. "
            "smtp+tls://user:password@host:587, consolemail:// or filemail:///path."
        ) from None
    # filemail:///var/mail names the absolute path /var/mail (as file:/// URLs do), but
    # django-environ drops its first slash and mail would go to var/mail under the working directory.
    if url.startswith(("filemail:///", "filemail://localhost/")):
        config["EMAIL_FILE_PATH"] = "/" + config["EMAIL_FILE_PATH"].lstrip("/")
    return config


def env_admins(name: str) -> list[tuple[str, str]]:
    """(name, address) pairs from comma-separated `Name <address>` or bare addresses."""
    admins = []
    for item in env_list(name, default=[]):
        display, address = parseaddr(item)
        if "@" not in address:
            raise ImproperlyConfigured(f"{name}: {item!r} is not `Name <address>` or an e-mail address.")
        admins.append((display or address, address))
    return _read(name, [], admins)


RATE_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def env_rate(name: str, *, default: str) -> str:
    """A request rate as DRF's throttles read it: N/second, N/minute, N/hour or N/day. The
    short forms DRF also takes (N/s, N/m, N/h, N/d, N/min, N/sec) are written out in full, so
    everything that reads the setting sees one form."""
    raw = _raw(name).lower() or default
    count, _, period = raw.partition("/")
    period = _RATE_SHORT_FORMS.get(period, period)
    if not count.isdigit() or int(count) < 1 or period not in RATE_PERIODS:
        raise ImproperlyConfigured(f"{name}={raw!r}: write N/second, N/minute, N/hour or N/day.")
    return _read(name, default, f"{int(count)}/{period}")


_RATE_SHORT_FORMS = {"s": "second", "sec": "second", "m": "minute", "min": "minute", "h": "hour", "d": "day"}


def rate_parts(rate: str) -> tuple[int, int]:
    """A rate env_rate accepted ("10/minute") as (how many, per how many seconds)."""
    count, _, period = rate.partition("/")
    return int(count), RATE_PERIODS[period]
