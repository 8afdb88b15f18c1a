"""Keep secrets that travel in URLs out of the logs.

Some addresses are credentials: the private calendar feed, the one-click unsubscribe link,
the invitation signup link and Django's password-reset link carry their secret in the path.
Log lines that name a path (Django's "Not Found: /meetings/calendar/<token>.ics", runserver's
and gunicorn's request lines) would hand it to anyone who can read the logs. RedactSecrets,
a logging filter on the site's console handler, replaces those parts with "[secret]", and so
do API tokens (64 hex digits) wherever they appear; GunicornLogger applies it to gunicorn's
access and error logs (gunicorn.conf.py selects it).

A reverse proxy in front keeps its own access log, which this cannot reach: configure it
not to log these paths in full (docs/operations.md, "Secrets in URLs and logs").
"""

import logging
import re
from collections.abc import Mapping
from datetime import datetime

from gunicorn import glogging
from pythonjsonlogger import json as jsonlog

SECRET = "[secret]"
# Path prefix (kept) and the secret segment after it (replaced). Signed tokens may start
# with a dot (compressed payloads), so only the calendar's ".ics" ends a segment early.
_SECRET_PATHS = re.compile(
    r"(/meetings/calendar/)[^/\s?#\"']+?(?=\.ics\b|[/\s?#\"']|$)"
    r"|(/meetings/unsubscribe/|/members/join/|/accounts/reset/[^/\s\"']+/|/members/me/tokens/)[^/\s?#\"']+"
)
# A knox API token (in an Authorization header a client or a proxy logged, say).
_API_TOKEN = re.compile(r"\b[0-9a-f]{64}\b")


def redact(text: str) -> str:
    """The text with secret URL segments and API tokens replaced by [secret]."""
    kept = _SECRET_PATHS.sub(lambda match: (match[1] or match[2]) + SECRET, text)
    return _API_TOKEN.sub(SECRET, kept)


def _redacted(value):
    return redact(value) if isinstance(value, str) else value


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, Mapping):
            for key in list(record.args):
                record.args[key] = _redacted(record.args[key])
        elif isinstance(record.args, tuple):
            record.args = tuple(_redacted(arg) for arg in record.args)
        # Tracebacks carry values too (a template lookup error prints the whole context, the
        # request's path included): format it here, redacted; formatters reuse exc_text.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class JsonFormatter(jsonlog.JsonFormatter):
    """One JSON object a line (LOG_FORMAT=json), redacted like the text lines.

    python-json-logger formats tracebacks afresh and writes every extra attribute of a record
    (Django's `request`, say, whose repr holds the path): both are redacted here too, and
    values JSON has no type for are written as their redacted text.
    """

    def formatException(self, ei) -> str:
        return redact(super().formatException(ei))

    def process_log_record(self, log_data: dict) -> dict:
        return {key: _plain(value) for key, value in log_data.items()}


def _plain(value):
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime):  # the timestamp
        return value.isoformat()
    return redact(value if isinstance(value, str) else str(value))


class GunicornLogger(glogging.Logger):
    """Gunicorn's logger with secrets redacted from its access log (request line, path,
    query, referer) and its error log."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            log.addFilter(RedactSecrets())
