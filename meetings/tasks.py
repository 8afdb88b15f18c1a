"""Celery tasks for session e-mails: thin wrappers that call one function each.

The periodic ones are scheduled in settings.CELERY_BEAT_SCHEDULE. Sending twice is
impossible by construction (see meetings.notifications), so a retry is always safe.
"""

from celery import shared_task

from meetings import notifications


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_reminders() -> int:
    return notifications.send_due_reminders()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_meeting_reminders(meeting_id: int) -> int:
    return notifications.send_meeting_reminders(meeting_id=meeting_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_presenter_notices() -> int:
    return notifications.send_due_presenter_notices()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_weekly_digest() -> int:
    return notifications.send_weekly_digest()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_seat_notice(rsvp_id: int) -> bool:
    return notifications.send_seat_notice(rsvp_id=rsvp_id)
