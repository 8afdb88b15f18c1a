from django.db import models
from django.db.models import Q
from django.utils import timezone


class Message(models.Model):
    """One task to run, written in the same transaction as the change that needs it.

    Publishing it and running it are recorded here, so a message the broker lost
    is published again and one delivered twice runs once.
    """

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The relay publishes unpublished messages from this time on.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    publish_attempts = models.PositiveIntegerField(default=0, help_text="Failed attempts to publish.")
    published_at = models.DateTimeField(null=True, blank=True)
    run_count = models.PositiveIntegerField(default=0, help_text="Times a worker started the task.")
    duplicate_count = models.PositiveIntegerField(
        default=0, help_text="Deliveries skipped because the task had run already."
    )
    done_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # The request (or task) that queued it: the task's log lines carry it (readinggroup/requestid.py).
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="outbox_unpublished", condition=Q(published_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.task}"
