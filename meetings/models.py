from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from papers.models import http_url


def hidden_from(user, members_only: frozenset[str]) -> frozenset[str]:
    """Which of the `members_only` fields `user` may not see: all of them unless logged in."""
    return frozenset() if user is not None and user.is_authenticated else members_only


class MeetingQuerySet(models.QuerySet):
    def upcoming(self, now=None) -> "MeetingQuerySet":
        return self.filter(ends_at__gte=now or timezone.now()).order_by("starts_at", "id")

    def past(self, now=None) -> "MeetingQuerySet":
        return self.filter(ends_at__lt=now or timezone.now()).order_by("-starts_at", "-id")


class Meeting(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    location = models.CharField(max_length=200, blank=True)
    video_url = models.URLField("video link", max_length=500, blank=True, validators=[http_url])
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PLANNED)
    notes = models.TextField(blank=True, help_text="Markdown, visible to members only.")
    slides_url = models.URLField("slides", max_length=500, blank=True, validators=[http_url])
    recording_url = models.URLField("recording", max_length=500, blank=True, validators=[http_url])
    capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text="Most members who can attend; empty for no limit."
    )
    papers = models.ManyToManyField("papers.Paper", through="AgendaItem", related_name="meetings")
    # iCal SEQUENCE: calendars apply a changed or cancelled event only when it grows.
    sequence = models.PositiveIntegerField(default=0, editable=False)
    # Visible comments (not deleted, not hidden), replies included; see discussions.services.
    comment_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MeetingQuerySet.as_manager()

    # The one rule for what only members see of a session: its page, the API and the calendars
    # all ask hidden_fields_for() (docs/security.md). The call link would let anyone join the
    # call, and the material is the group's own; everything else of a session is public.
    MEMBERS_ONLY_FIELDS = frozenset({"video_url", "slides_url", "recording_url", "notes"})

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="meetings_meeting_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["planned", "done", "cancelled"]),
                name="meetings_meeting_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["starts_at"], name="meetings_meeting_starts"),
            # The API's ?updated_since= pages through changes in this order.
            models.Index(fields=["updated_at", "id"], name="meetings_meeting_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d})"

    def save(self, *args, update_fields=None, **kwargs) -> None:
        if not self._state.adding and update_fields is None:
            # Saving a copy read earlier must never write back a stale comment count.
            update_fields = [
                f.name for f in self._meta.concrete_fields if f.name not in ("id", "comment_count")
            ]
        super().save(*args, update_fields=update_fields, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("meetings:detail", args=[self.pk])

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "A meeting must end after it starts."})

    @property
    def is_open(self) -> bool:
        """Planned and not started yet: RSVPs and offers to present are still taken."""
        return self.status == self.Status.PLANNED and self.starts_at > timezone.now()

    @classmethod
    def hidden_fields_for(cls, user) -> frozenset[str]:
        """The members-only fields this visitor (None or anonymous: nobody logged in) may not see."""
        return hidden_from(user, cls.MEMBERS_ONLY_FIELDS)

    def notes_html(self) -> str:
        """The notes rendered from Markdown and sanitised: safe to put in a page."""
        from meetings.markdown import render_markdown

        return render_markdown(self.notes)


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda")
    paper = models.ForeignKey("papers.Paper", on_delete=models.CASCADE, related_name="agenda_items")
    presenter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="presentations",
    )
    order = models.PositiveSmallIntegerField(default=0)

    # Who offered to present (PresenterOffer rows) is for members, as the session's material is.
    MEMBERS_ONLY_FIELDS = frozenset({"offers"})

    class Meta:
        ordering = ["meeting", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "paper"], name="meetings_agenda_paper_once"),
        ]

    def __str__(self) -> str:
        return f"{self.order + 1}. {self.paper}"

    @classmethod
    def hidden_fields_for(cls, user) -> frozenset[str]:
        return hidden_from(user, cls.MEMBERS_ONLY_FIELDS)


class RSVP(models.Model):
    class Answer(models.TextChoices):
        YES = "yes", "Yes"
        NO = "no", "No"
        MAYBE = "maybe", "Maybe"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="rsvps")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rsvps")
    answer = models.CharField(max_length=8, choices=Answer.choices)
    # A "yes" beyond the meeting's capacity waits; the waiting list is ordered by
    # answered_at (when the current answer was given), so it is first come, first served.
    waitlisted = models.BooleanField(default=False)
    answered_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "RSVP"
        ordering = ["meeting", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="meetings_rsvp_once_per_member"),
            models.CheckConstraint(
                condition=Q(answer__in=["yes", "no", "maybe"]), name="meetings_rsvp_answer_valid"
            ),
            models.CheckConstraint(
                condition=Q(waitlisted=False) | Q(answer="yes"), name="meetings_rsvp_only_yes_waits"
            ),
        ]
        indexes = [
            models.Index(fields=["meeting", "answer", "waitlisted"], name="meetings_rsvp_seats"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.answer}{' (waiting list)' if self.waitlisted else ''}"

    @property
    def has_seat(self) -> bool:
        return self.answer == self.Answer.YES and not self.waitlisted


class PresenterOffer(models.Model):
    """A member volunteering to present one paper of a meeting's agenda."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="offers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="presenter_offers"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["item", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "user"], name="meetings_offer_once_per_member"),
        ]

    def __str__(self) -> str:
        return f"{self.user} offers to present {self.item.paper}"


class Notice(models.Model):
    """A message sent (or being sent) to a member; the unique key makes every send happen once.

    A sender first inserts the row, and sends only when the insert succeeded: a second
    beat run, or a second worker racing the first, hits the unique constraint and skips.
    """

    class Kind(models.TextChoices):
        REMINDER = "reminder", "Session reminder"
        PRESENTER = "presenter", "You are presenting"
        DIGEST = "digest", "Weekly digest"
        SEAT = "seat", "Seat from the waiting list"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, null=True, blank=True, related_name="notices"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    # What the notice is about, e.g. a meeting and its start time, or a digest week.
    key = models.CharField(max_length=100)
    claimed_at = models.DateTimeField(default=timezone.now, editable=False)
    # Empty while the message is being handed to the mail server.
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-claimed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "user", "key"], name="meetings_notice_once"),
            models.CheckConstraint(
                condition=Q(kind__in=["reminder", "presenter", "digest", "seat"]),
                name="meetings_notice_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.user} ({self.key})"


class NotificationPreference(models.Model):
    """Which session e-mails a member receives; no row means the defaults (all on).

    The digest is opt-in and lives on the user (User.digest_enabled).
    """

    # The field that turns each kind of notice off (the digest is on the user).
    FIELD_FOR_KIND = {"reminder": "reminders", "presenter": "presenter_notices", "seat": "seat_notices"}

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    reminders = models.BooleanField(default=True, help_text="A reminder 24 hours before a session.")
    presenter_notices = models.BooleanField(
        default=True, help_text="A notice 3 days before a session where I present."
    )
    seat_notices = models.BooleanField(
        default=True, help_text="A notice when I move up from a session's waiting list."
    )

    def __str__(self) -> str:
        return f"notification preferences of {self.user}"
