"""Errors that reach someone: mail to ADMINS, and Sentry (or a compatible service) when SENTRY_DSN is set.

Both leave personal data and secrets behind: e-mail addresses, API tokens and the secret URL
segments that readinggroup/logs.py redacts from the logs are replaced in every text they
send, and Sentry also drops Authorization headers, cookies and values whose names say they
are secret.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.log import AdminEmailHandler as DjangoAdminEmailHandler

from readinggroup import requestid
from readinggroup.logs import SECRET, redact

EMAIL = "[email]"
_EMAIL_ADDRESS = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
# Keys (headers, cookies, form fields, a frame's local variables) whose values are dropped whole.
_SECRET_KEY = re.compile(r"authorization|cookie|token|passw|secret|session|csrf|api.?key|signature|dsn", re.I)


def scrub_text(text: str) -> str:
    """The text without secret URL segments, API tokens and e-mail addresses."""
    return _EMAIL_ADDRESS.sub(EMAIL, redact(text))


def scrub(value: Any) -> Any:
    """A copy of a JSON-like value (a Sentry event) with every text scrubbed and secret keys dropped."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {
            key: SECRET if isinstance(key, str) and _SECRET_KEY.search(key) else scrub(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    return value


def before_send(event: dict, hint: dict) -> dict:
    event = scrub(event)
    if requestid.current():  # find the request's log lines from the report
        event.setdefault("tags", {})["request_id"] = requestid.current()
    return event


def before_breadcrumb(crumb: dict, hint: dict) -> dict:
    return scrub(crumb)


def sentry_init(*, dsn: str, environment: str) -> None:
    """Send unhandled errors of views and Celery tasks (and ERROR log lines) to the DSN's project."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        # What send_default_pii=False did (deprecated in sentry-sdk 2.75), and no request bodies
        # (a form's fields), cookies or database query parameters either.
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_bodies": [],
            "database_query_data": False,
        },
        before_send=before_send,
        before_breadcrumb=before_breadcrumb,
    )


class AdminEmailHandler(DjangoAdminEmailHandler):
    """Django's mail to ADMINS (subject: the log line; body: traceback and request), scrubbed."""

    def send_mail(self, subject: str, message: str, *args, **kwargs) -> None:
        if kwargs.get("html_message"):
            kwargs["html_message"] = scrub_text(kwargs["html_message"])
        super().send_mail(scrub_text(subject), scrub_text(message), *args, **kwargs)
