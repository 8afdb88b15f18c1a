"""Celery tasks of discussions: thin wrappers (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from discussions import notifications


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_discussion_emails() -> int:
    # Sending twice is impossible by construction (see discussions.notifications): retries are safe.
    return notifications.send_discussion_emails()
