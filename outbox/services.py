"""Writes to the outbox: enqueue, publish after commit, relay, and the worker's run-once claim."""

from __future__ import annotations

import contextlib
import enum
import functools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from celery import Task, current_app
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from outbox.models import Message
from outbox.publishing import HEADER, BrokerUnavailable, Publisher
from readinggroup import requestid
from readinggroup.locks import advisory_locks_available, try_advisory_lock

logger = logging.getLogger(__name__)

# The relay leaves a new message to the publish that follows its commit for this long.
PUBLISH_GRACE = timedelta(seconds=30)
# A message that fails to publish for a reason other than the broker (it cannot be
# encoded, say) waits RETRY_BASE * 2**attempts, at most RETRY_MAX, before the next try.
RETRY_BASE, RETRY_MAX = timedelta(seconds=10), timedelta(hours=1)
LOCK_CLASS = 0x6F62  # advisory lock namespace of outbox messages ("ob"); papers.ingest uses 0x7061
ERROR_CHARS = 2000


# The project's Celery app (readinggroup/celery.py) is the current app: the outbox needs no import of it.


@functools.cache
def publisher() -> Publisher:
    return Publisher(current_app, timeout=settings.OUTBOX_PUBLISH_TIMEOUT)


def _eager() -> bool:
    return bool(current_app.conf.task_always_eager)


def _registered(name: str) -> Task:
    """The task of this name. A process that never imported the tasks modules (the web's, since
    services queue by name) imports them first, as a worker does when it starts."""
    if name not in current_app.tasks:
        current_app.loader.import_default_modules()
    if name not in current_app.tasks:  # a misspelt name fails where it is written, not in the worker
        raise ValueError(f"No Celery task is called {name!r}.")
    return current_app.tasks[name]


def task_name(task: str | Task) -> str:
    """A registered task's name, from the name itself (how services queue) or the task."""
    return _registered(task if isinstance(task, str) else task.name).name


def enqueue(task: str | Task, *args, **kwargs) -> Message:
    """Queue `task(*args, **kwargs)`: a row now, in the caller's transaction; published once it commits.

    `task` is the task's name (services queue by name, so they need not import tasks) or
    the task. Arguments must be JSON (ids, lists of ids, flags). Call it inside the
    transaction of the change that needs the task, so both are kept or neither is.
    """
    return enqueue_many(task, [(args, kwargs)])[0]


def enqueue_many(task: str | Task, calls: list[tuple[tuple, dict]]) -> list[Message]:
    """Queue one message per (args, kwargs) in `calls`, written with one INSERT."""
    name = task_name(task)
    retry_at, request_id = timezone.now() + PUBLISH_GRACE, requestid.current()
    messages = Message.objects.bulk_create(
        [
            Message(task=name, args=list(a), kwargs=kw, next_attempt_at=retry_at, request_id=request_id)
            for a, kw in calls
        ]
    )
    schedule_publish(messages)
    return messages


def schedule_publish(messages: list[Message]) -> None:
    """Publish the messages when the transaction commits (tests replace this to see what was queued).

    One commit hook for all of them: a fetch queues dozens of messages per batch, and a hook
    and an UPDATE per message cost the ingest more than sending them (bench.ingest).
    """
    eager = _eager()
    # Eager (tests, debugging): the task runs on commit and its errors surface, as with delay_on_commit.
    # Otherwise a failure to publish must never fail the request: the relay publishes later.
    publish = functools.partial(messages_publish, messages=messages, eager=eager)
    transaction.on_commit(publish, robust=not eager)


def messages_publish(*, messages: list[Message], eager: bool = False) -> int:
    """One quick attempt to publish each committed message, in order; how many were published.

    Those published are marked with one UPDATE. When the broker is down the message that
    met it and all after it are left to the relay, due at once; a message that cannot be
    sent for another reason is left to the relay as it is, and the rest go on.
    """
    published: list[int] = []
    for index, message in enumerate(messages):
        if eager:
            _run_eagerly(message)
        else:
            try:
                publisher().publish(
                    message.task, message.args, message.kwargs, message.pk, request_id=message.request_id
                )
            except BrokerUnavailable as error:
                left = [m.pk for m in messages[index:]]
                logger.warning("Outbox messages %s not published (the relay will): %s", left, error)
                _record_failure(left, error, retry_at=timezone.now())
                break
            except Exception:  # this one cannot be sent (the relay backs it off); the rest can
                logger.exception("Outbox message %s could not be published", message.pk)
                continue
        published.append(message.pk)
    _mark_published(published)
    return len(published)


def _run_eagerly(message: Message) -> None:
    headers = {HEADER: message.pk, requestid.TASK_HEADER: message.request_id}
    _registered(message.task).apply_async(message.args, message.kwargs, headers=headers)


def _mark_published(message_ids: list[int]) -> None:
    if message_ids:
        Message.objects.filter(pk__in=message_ids).update(published_at=timezone.now())


def _record_failure(message_ids: list[int], error: BaseException, *, retry_at) -> None:
    Message.objects.filter(pk__in=message_ids).update(
        publish_attempts=F("publish_attempts") + 1,
        last_error=f"{type(error).__name__}: {error}"[:ERROR_CHARS],
        next_attempt_at=retry_at,
    )


@dataclass(frozen=True)
class RelayPass:
    published: int
    failed: int
    broker_down: bool


def messages_relay(*, limit: int = 100) -> RelayPass:
    """Publish unpublished messages that are due, oldest first; stops at the first broker failure.

    Rows are locked with SKIP LOCKED, so relays in several workers share the work
    instead of publishing a message twice.
    """
    published: list[int] = []
    failed, broker_down = 0, False
    due = Message.objects.filter(published_at__isnull=True, next_attempt_at__lte=timezone.now())
    if not due.exists():  # the usual case: a read, no write transaction (SQLite has one writer)
        return RelayPass(0, 0, broker_down=False)
    with transaction.atomic():
        due = due.order_by("next_attempt_at", "pk").select_for_update(
            skip_locked=connection.features.has_select_for_update_skip_locked
        )
        for message in due[:limit]:
            try:
                publisher().publish(
                    message.task,
                    message.args,
                    message.kwargs,
                    message.pk,
                    probe=True,
                    request_id=message.request_id,
                )
            except BrokerUnavailable as error:
                _record_failure([message.pk], error, retry_at=timezone.now())
                failed, broker_down = failed + 1, True
                break
            except Exception as error:  # this message cannot be published: back it off, go on
                logger.exception("Outbox message %s could not be published", message.pk)
                wait = min(RETRY_MAX, RETRY_BASE * 2**message.publish_attempts)
                _record_failure([message.pk], error, retry_at=timezone.now() + wait)
                failed += 1
                continue
            published.append(message.pk)
        _mark_published(published)  # in the transaction that holds the rows' locks
    return RelayPass(len(published), failed, broker_down=broker_down)


def messages_pending() -> int:
    return Message.objects.filter(published_at__isnull=True).count()


def messages_purge(*, older_than: timedelta | None = None) -> int:
    """Delete messages published longer ago than OUTBOX_RETENTION_DAYS; returns how many."""
    age = older_than if older_than is not None else timedelta(days=settings.OUTBOX_RETENTION_DAYS)
    deleted, _ = Message.objects.filter(published_at__lt=timezone.now() - age).delete()
    return deleted


# --- In the worker: run each message once --------------------------------------------------------


class Claim(enum.Enum):
    RUN = "run"  # run the task
    DONE = "done"  # it ran already: skip this delivery
    BUSY = "busy"  # another worker is running it right now: try this delivery later


@contextlib.contextmanager
def _message_lock(message_id: int) -> Iterator[bool]:
    """On PostgreSQL a session advisory lock: held while the task runs, gone if the worker dies."""
    if not advisory_locks_available():
        yield True  # SQLite: one writer at a time, and its filesystem broker never redelivers
        return
    with try_advisory_lock(LOCK_CLASS, message_id) as locked:
        yield locked


@contextlib.contextmanager
def message_claim(message_id: int) -> Iterator[Claim]:
    """Claim a delivered message for this worker; DONE when it ran to the end already."""
    with _message_lock(message_id) as locked:
        if not locked:
            yield Claim.BUSY
            return
        if Message.objects.filter(pk=message_id, done_at__isnull=False).update(
            duplicate_count=F("duplicate_count") + 1
        ):
            yield Claim.DONE
            return
        # A message purged long ago, or sent around the outbox, still runs: tasks are idempotent.
        Message.objects.filter(pk=message_id).update(run_count=F("run_count") + 1)
        yield Claim.RUN


def message_finish(*, message_id: int, error: BaseException | None = None) -> None:
    """Record how a run ended: done, or the error (a later delivery may run it again)."""
    if error is None:
        Message.objects.filter(pk=message_id).update(done_at=timezone.now(), last_error="")
    else:
        Message.objects.filter(pk=message_id).update(
            last_error=f"{type(error).__name__}: {error}"[:ERROR_CHARS]
        )
