"""A URLconf for the monitoring tests: the site's URLs plus views that log, queue a task or fail."""

import logging

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from outbox import enqueue
from readinggroup.celery import app

logger = logging.getLogger("readinggroup.tests.observed")
# An API token and a member's address, which no report may carry.
TOKEN = "ab" * 32
ADDRESS = "alice@example.org"


@app.task(name="readinggroup.tests.log_line")
def log_line(text: str) -> None:
    logger.warning("task says %s", text)


@app.task(name="readinggroup.tests.explode")
def explode(token: str) -> None:
    raise RuntimeError(f"task failed for {ADDRESS} with {token}")


def queue(request: HttpRequest) -> HttpResponse:
    logger.warning("view queues a task")
    enqueue(log_line, "hello")
    return HttpResponse("queued")


def broken(request: HttpRequest, token: str) -> HttpResponse:
    raise RuntimeError(f"view failed for {ADDRESS} with {token}")


urlpatterns = [
    path("observed/queue", queue),
    # Under a secret path prefix (readinggroup/logs.py), so the URL itself is a secret too.
    path("meetings/calendar/<str:token>/broken", broken),
    path("", include("readinggroup.urls")),
]
