"""Test helpers: see what a service queued through the outbox instead of running it on commit."""

from collections.abc import Callable

from outbox import services
from outbox.models import Message


def intercept(monkeypatch, task, record: Callable[[Message], object]) -> None:
    """Hand messages for `task` to `record` when they are queued (not on commit); other tasks go on as usual.

    The outbox row is still written, in the caller's transaction, as in production.
    """
    previous = services.schedule_publish

    def schedule(messages: list[Message]) -> None:
        others = []
        for message in messages:
            if message.task == services.task_name(task):
                record(message)
            else:
                others.append(message)
        if others:
            previous(others)

    monkeypatch.setattr(services, "schedule_publish", schedule)


def first_args(monkeypatch, task) -> list:
    """The first argument of each message queued for `task`, in order."""
    seen: list = []
    intercept(monkeypatch, task, lambda message: seen.append(message.args[0]))
    return seen
