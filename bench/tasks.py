"""The no-op task the worker benchmark divides by: the floor of Celery on this Redis."""

from celery import shared_task

from papers.tasks import TASK_OPTIONS


@shared_task(**TASK_OPTIONS)
def noop() -> None:
    """Does nothing, with the same delivery options as the real tasks (acks_late, time limits)."""
