"""A transactional outbox for Celery tasks.

`enqueue("app.tasks.name", *args, **kwargs)` writes the task into the database in the
transaction of the change that needs it; once that transaction commits, one
quick attempt publishes it to the broker. What the broker did not take, the
relay in every worker publishes later. Workers run each message once (see
outbox.worker). docs/architecture.md ("Background work and the outbox") tells the whole story.
"""


def enqueue(task, *args, **kwargs):
    """Queue `task(*args, **kwargs)` when the current transaction commits; returns the outbox Message.
    `task` is the task's name (or the task)."""
    from outbox.services import enqueue as _enqueue  # models load with the app registry, not on import

    return _enqueue(task, *args, **kwargs)


def enqueue_many(task, calls):
    """Queue `task(*args, **kwargs)` for each (args, kwargs) in `calls`, with one INSERT."""
    from outbox.services import enqueue_many as _enqueue_many

    return _enqueue_many(task, calls)
