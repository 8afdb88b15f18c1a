"""Comment threads on papers and sessions.

A comment belongs to exactly one target: a paper or a meeting (two nullable foreign keys and
a check constraint, so the database keeps the rule and joins stay plain). A comment is
*visible* while it is neither deleted nor hidden; the target's `comment_count` is the number
of its visible comments, replies included, kept exact by discussions.services.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

EXACTLY_ONE_TARGET = (Q(paper__isnull=False) & Q(meeting__isnull=True)) | (
    Q(paper__isnull=True) & Q(meeting__isnull=False)
)


class CommentQuerySet(models.QuerySet):
    def visible(self) -> "CommentQuerySet":
        """Neither deleted nor hidden: what comment_count counts."""
        return self.filter(deleted_at__isnull=True, hidden_at__isnull=True)

    def for_target(self, *, paper_id: int | None = None, meeting_id: int | None = None) -> "CommentQuerySet":
        if paper_id is not None:
            return self.filter(paper_id=paper_id)
        return self.filter(meeting_id=meeting_id)


class Comment(models.Model):
    # SET_NULL: deleting an account soft-deletes its comments first (comment_delete_all_by),
    # so a thread keeps the places of those that had replies.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="comments"
    )
    paper = models.ForeignKey(
        "papers.Paper", on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    # Always a thread's root: a reply to a reply is stored as a reply to the root.
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    body = models.TextField(help_text="Markdown with $math$; emptied when the comment is deleted.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # hidden_at says whether it is hidden; hidden_by who did it (kept null if that account goes).
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # When it was posted, edited, deleted, hidden or shown again: what the API's
    # ?updated_since= compares (set by discussions.services with each of those writes).
    modified_at = models.DateTimeField(default=timezone.now)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=EXACTLY_ONE_TARGET, name="discussions_comment_one_target"),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="discussions_comment_not_own_parent"
            ),
        ]
        indexes = [
            models.Index(fields=["paper", "created_at", "id"], name="discussions_comment_paper"),
            models.Index(fields=["meeting", "created_at", "id"], name="discussions_comment_meeting"),
            models.Index(fields=["author", "created_at"], name="discussions_comment_author"),
            # A thread's changes in the order ?updated_since= pages through them.
            models.Index(fields=["paper", "modified_at", "id"], name="discussions_paper_changes"),
            models.Index(fields=["meeting", "modified_at", "id"], name="discussions_meeting_changes"),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} by {self.author or 'a former member'}"

    def get_absolute_url(self) -> str:
        if self.paper_id is not None:
            return f"{reverse('papers:detail', args=[self.paper_id])}#comment-{self.pk}"
        return f"{reverse('meetings:detail', args=[self.meeting_id])}#comment-{self.pk}"

    @property
    def is_visible(self) -> bool:
        return self.deleted_at is None and self.hidden_at is None

    @property
    def target(self):
        return self.paper if self.paper_id is not None else self.meeting


class Mention(models.Model):
    """A member named as @username in a comment (the body's current text)."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentions")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "user"], name="discussions_mention_once"),
        ]

    def __str__(self) -> str:
        return f"@{self.user} in comment {self.comment_id}"


class Subscription(models.Model):
    """A member following one thread. `active=False` records an unsubscription, so taking part
    in the thread again does not subscribe them a second time."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions")
    paper = models.ForeignKey(
        "papers.Paper", on_delete=models.CASCADE, null=True, blank=True, related_name="subscriptions"
    )
    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.CASCADE, null=True, blank=True, related_name="subscriptions"
    )
    active = models.BooleanField(default=True)
    # The newest comment of the thread an e-mail told this member about (a comment id).
    notified_through = models.BigIntegerField(default=0, editable=False)
    # The newest comment of the thread this member has seen (on its page or in the API).
    read_through = models.BigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=EXACTLY_ONE_TARGET, name="discussions_subscription_one_target"),
            models.UniqueConstraint(
                fields=["user", "paper"], condition=Q(paper__isnull=False), name="discussions_sub_paper_once"
            ),
            models.UniqueConstraint(
                fields=["user", "meeting"],
                condition=Q(meeting__isnull=False),
                name="discussions_sub_meeting_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} follows {self.paper or self.meeting}"


class MailState(models.Model):
    """A member's discussion e-mails: on or off, and when the last one went (for batching)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="discussion_mail"
    )
    enabled = models.BooleanField("discussion e-mails", default=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Discussion e-mails of {self.user}: {'on' if self.enabled else 'off'}"


class Report(models.Model):
    """A member tells the organisers a comment should not be there; open until resolved."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="comment_reports"
    )
    reason = models.TextField(max_length=1000)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["comment", "reporter"],
                condition=Q(resolved_at__isnull=True),
                name="discussions_report_open_once",
            ),
        ]

    def __str__(self) -> str:
        return f"Report on comment {self.comment_id}"
