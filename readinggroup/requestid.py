"""A request id on every log line of a request, and on the lines of the tasks it queued.

The id comes from the X-Request-ID header when a proxy in front sets one (and it looks like
an id: short, letters, digits and `._:-`, so nobody can write into the logs through it),
else it is made here; the response carries it back in the same header. Tasks queued while
a request runs get it through their outbox message (outbox/services.py) and the task
message's headers, and the worker sets it while the task runs (readinggroup/celery.py
connects the signal handlers below). A task queued by a task passes the id on.
"""

import contextlib
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from contextvars import ContextVar, Token

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
TASK_HEADER = "request_id"  # in a Celery task message's headers
MAX_LENGTH = 64
_VALID = re.compile(rf"[A-Za-z0-9._:-]{{1,{MAX_LENGTH}}}")
_current: ContextVar[str] = ContextVar("request_id", default="")
# Task id -> the token that restores the id the task started with (eager tasks run inside a request).
_task_tokens: dict[str, Token] = {}


def current() -> str:
    """The id of the request or task running now, or "" outside both."""
    return _current.get()


def usable(value: str) -> bool:
    return bool(_VALID.fullmatch(value))


@contextlib.contextmanager
def bound(request_id: str) -> Iterator[str]:
    """Log (and queue tasks) under this id inside the block."""
    token = _current.set(request_id)
    try:
        yield request_id
    finally:
        _current.reset(token)


class RequestIdMiddleware:
    """First in MIDDLEWARE, so that every line logged while the request runs carries its id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(HEADER, "")
        request_id = given if usable(given) else uuid.uuid4().hex
        # Not reset on the way out: Django logs a 4xx response ("Not Found: ...") after the
        # middleware has returned. request_finished clears it.
        _current.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def request_done(**kwargs) -> None:
    _current.set("")


request_finished.connect(request_done, dispatch_uid="readinggroup.requestid")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to each record ("-" outside a request or task) for the formatters."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get() or "-"
        return True


def task_started(task_id: str | None = None, task=None, **kwargs) -> None:
    """Celery's task_prerun: the id the task's message carries, while the task runs."""
    request_id = (getattr(task.request, "headers", None) or {}).get(TASK_HEADER) if task else None
    if task_id and isinstance(request_id, str) and usable(request_id):
        _task_tokens[task_id] = _current.set(request_id)


def task_finished(task_id: str | None = None, **kwargs) -> None:
    """Celery's task_postrun: back to the id before the task (none in a worker)."""
    token = _task_tokens.pop(task_id, None) if task_id else None
    if token is not None:
        try:
            _current.reset(token)
        except ValueError:  # started in another context (a pool that switched threads): just clear it
            _current.set("")
