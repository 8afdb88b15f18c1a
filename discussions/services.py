"""Writes to discussions. Every function here is the one place its change happens.

comment_count on a paper or meeting is the number of its visible comments (neither deleted
nor hidden), replies included. Each change of a comment's visibility is one conditional UPDATE
whose row count says whether the state really changed, and the count moves by F() in the
same transaction only then: two members deleting, or an organiser hiding while the author
deletes, change the count once (PostgreSQL re-checks the WHERE after waiting for the row).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from discussions.models import Comment, MailState, Mention, Report, Subscription
from discussions.text import mentioned_names
from meetings.models import AgendaItem, Meeting
from papers.models import Paper
from readinggroup.envparse import rate_parts

EDIT_WINDOW = timedelta(minutes=15)
DELETED_BODY = ""


class RateLimited(Exception):
    """Too many comments in DISCUSSION_RATE's period; retry_after is in seconds."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"You are commenting too fast: try again in {retry_after} seconds.")


@dataclass(frozen=True)
class Target:
    """A thread: a paper or a meeting, by id."""

    paper_id: int | None = None
    meeting_id: int | None = None

    @classmethod
    def of(cls, obj) -> "Target":
        if isinstance(obj, Paper):
            return cls(paper_id=obj.pk)
        if isinstance(obj, Meeting):
            return cls(meeting_id=obj.pk)
        raise TypeError(f"Not a discussion target: {obj!r}")

    @property
    def model(self):
        return Paper if self.paper_id is not None else Meeting

    @property
    def pk(self) -> int:
        return self.paper_id if self.paper_id is not None else self.meeting_id

    def fields(self) -> dict:
        return {"paper_id": self.paper_id, "meeting_id": self.meeting_id}


def _target_of(comment: Comment) -> Target:
    return Target(paper_id=comment.paper_id, meeting_id=comment.meeting_id)


def _count(target: Target, delta: int) -> None:
    target.model.objects.filter(pk=target.pk).update(comment_count=F("comment_count") + delta)


def _clean_body(body) -> str:
    body = body.strip() if isinstance(body, str) else ""
    if not body:
        raise ValidationError({"body": "Write something first: the comment is empty."})
    if "\x00" in body:
        raise ValidationError({"body": "The comment contains a NUL character."})
    limit = settings.DISCUSSION_MAX_CHARS
    if len(body) > limit:
        raise ValidationError(
            {"body": f"A comment has at most {limit} characters (this one has {len(body)})."}
        )
    return body


def _mentioned_users(body: str) -> list:
    names = mentioned_names(body)
    if not names:
        return []
    users = {
        u.username.lower(): u
        for u in get_user_model().objects.filter(is_active=True).filter(_any_username(names))
    }
    unknown = [name for name in names if name not in users]
    if unknown:
        listed = ", ".join(f"@{name}" for name in unknown)
        raise ValidationError({"body": f"No member is called {listed}: mention members by their username."})
    return [users[name] for name in names]


def _any_username(names: list[str]) -> Q:
    condition = Q(pk__in=[])
    for name in names:
        condition |= Q(username__iexact=name)
    return condition


def _check_rate(author) -> None:
    """Lock the author's row (so one member's posts are counted one at a time) and refuse a
    comment beyond DISCUSSION_RATE; the comments themselves are the log."""
    if not list(
        get_user_model().objects.select_for_update().filter(pk=author.pk, is_active=True).values("pk")
    ):
        raise PermissionDenied("This account no longer exists.")
    limit, period = rate_parts(settings.DISCUSSION_RATE)
    now = timezone.now()
    recent = list(
        Comment.objects.filter(author=author, created_at__gt=now - timedelta(seconds=period))
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    if len(recent) >= limit:
        raise RateLimited(max(1, int((recent[-1] + timedelta(seconds=period) - now).total_seconds()) + 1))


def _thread_root(target: Target, parent_id) -> Comment:
    """The comment a reply attaches to (the root of the thread the replied-to comment is in)."""
    try:
        parent = Comment.objects.select_for_update().get(pk=int(parent_id))
    except (Comment.DoesNotExist, TypeError, ValueError):
        raise ValidationError({"parent": "There is no such comment to reply to."}) from None
    if _target_of(parent) != target:
        raise ValidationError({"parent": "That comment belongs to another discussion."})
    if parent.deleted_at is not None:
        raise ValidationError({"parent": "That comment was deleted: it cannot be answered."})
    if parent.hidden_at is not None:
        raise ValidationError({"parent": "That comment was hidden by an organiser: it cannot be answered."})
    return parent if parent.parent_id is None else Comment(pk=parent.parent_id)


def _latest_id(target: Target) -> int:
    return (
        Comment.objects.for_target(**target.fields()).order_by("-id").values_list("id", flat=True).first()
        or 0
    )


def _subscribe_quietly(users, target: Target, *, through: int) -> None:
    """Subscribe members to a thread unless they have a subscription row already (an
    unsubscription is a row too, so it stays). E-mails tell them of comments after `through`."""
    Subscription.objects.bulk_create(
        [
            Subscription(user=u, notified_through=through, read_through=through, **target.fields())
            for u in users
        ],
        ignore_conflicts=True,
    )


def _set_mentions(comment: Comment, users: list) -> None:
    Mention.objects.filter(comment=comment).exclude(user__in=users).delete()
    Mention.objects.bulk_create([Mention(comment=comment, user=u) for u in users], ignore_conflicts=True)


@transaction.atomic
def comment_create(*, author, target, body, parent_id=None) -> Comment:
    """A new comment on a paper or meeting (target: the object or a Target), or a reply.

    Raises ValidationError (bad body, unknown mention, bad parent), RateLimited, or
    PermissionDenied (an account deleted meanwhile); then nothing is written. Whether the
    author may see the target is the caller's check (papers.selectors.paper_visible).
    """
    target = target if isinstance(target, Target) else Target.of(target)
    body = _clean_body(body)
    mentioned = _mentioned_users(body)
    _check_rate(author)
    root = _thread_root(target, parent_id) if parent_id not in (None, "") else None
    before = _latest_id(target)
    comment = Comment.objects.create(author=author, body=body, parent=root, **target.fields())
    _set_mentions(comment, mentioned)
    _count(target, +1)
    # The author knows this comment; the mentioned, the suggester and the presenters hear of it.
    _subscribe_quietly([author], target, through=comment.pk)
    _subscribe_quietly([*mentioned, *_people_of(target)], target, through=before)
    return comment


def _own_comment(user, comment_id) -> Comment:
    comment = _locked(comment_id)
    if comment.author_id != user.pk:
        raise PermissionDenied("Only its author may change a comment.")
    if comment.deleted_at is not None:
        raise ValidationError({"comment": "This comment was deleted."})
    return comment


def _locked(comment_id) -> Comment:
    try:
        return Comment.objects.select_for_update().get(pk=int(comment_id))
    except (TypeError, ValueError):
        raise Comment.DoesNotExist(f"No comment with id {comment_id!r}.") from None


def edit_window_open(comment: Comment, now: datetime | None = None) -> bool:
    return (now or timezone.now()) - comment.created_at <= EDIT_WINDOW


@transaction.atomic
def comment_edit(*, user, comment_id, body) -> Comment:
    """The author rewrites a comment within EDIT_WINDOW of posting it; it shows as edited."""
    comment = _own_comment(user, comment_id)
    if comment.hidden_at is not None:
        raise ValidationError({"comment": "This comment was hidden by an organiser and cannot be edited."})
    if not edit_window_open(comment):
        minutes = int(EDIT_WINDOW.total_seconds() // 60)
        raise ValidationError({"comment": f"A comment can be edited for {minutes} minutes after posting."})
    body = _clean_body(body)
    mentioned = _mentioned_users(body)
    if body != comment.body:
        comment.body, comment.edited_at = body, timezone.now()
        comment.modified_at = comment.edited_at
        comment.save(update_fields=["body", "edited_at", "modified_at"])
        _set_mentions(comment, mentioned)
        _subscribe_quietly(mentioned, _target_of(comment), through=comment.pk - 1)
    return comment


def _delete(comments) -> int:
    """Delete comments (a queryset); returns how many visible ones went, per the count."""
    now = timezone.now()
    visible = comments.filter(deleted_at__isnull=True, hidden_at__isnull=True)
    gone = visible.update(deleted_at=now, body=DELETED_BODY, modified_at=now)
    comments.filter(deleted_at__isnull=True).update(deleted_at=now, body=DELETED_BODY, modified_at=now)
    return gone


@transaction.atomic
def comment_delete(*, user, comment_id) -> Comment:
    """The author deletes a comment: its text goes; with replies it keeps its place as "deleted"."""
    comment = _own_comment(user, comment_id)
    if _delete(Comment.objects.filter(pk=comment.pk)):
        _count(_target_of(comment), -1)
    Mention.objects.filter(comment=comment).delete()
    comment.refresh_from_db()
    return comment


@transaction.atomic
def comment_delete_all_by(*, author) -> int:
    """On account deletion: every comment of the member is deleted (see comment_delete)."""
    counted: dict[Target, int] = {}
    for comment in Comment.objects.select_for_update().filter(author=author, deleted_at__isnull=True):
        if _delete(Comment.objects.filter(pk=comment.pk)):
            target = _target_of(comment)
            counted[target] = counted.get(target, 0) + 1
    for target, gone in counted.items():
        _count(target, -gone)
    Mention.objects.filter(comment__author=author).delete()
    return sum(counted.values())


def _moderated(user, comment_id) -> Comment:
    if not (user.is_authenticated and user.is_organiser):
        raise PermissionDenied("Only organisers hide and unhide comments.")
    return _locked(comment_id)


@transaction.atomic
def comment_hide(*, user, comment_id) -> Comment:
    """An organiser hides a comment from members (they see "hidden by an organiser")."""
    comment = _moderated(user, comment_id)
    now = timezone.now()
    changed = Comment.objects.filter(pk=comment.pk, hidden_at__isnull=True).update(
        hidden_at=now, hidden_by=user, modified_at=now
    )
    if changed and comment.deleted_at is None:
        _count(_target_of(comment), -1)
    comment.refresh_from_db()
    return comment


@transaction.atomic
def comment_unhide(*, user, comment_id) -> Comment:
    comment = _moderated(user, comment_id)
    changed = Comment.objects.filter(pk=comment.pk, hidden_at__isnull=False).update(
        hidden_at=None, hidden_by=None, modified_at=timezone.now()
    )
    if changed and comment.deleted_at is None:
        _count(_target_of(comment), +1)
    comment.refresh_from_db()
    return comment


def subscription_set(*, user, target, subscribed: bool) -> Subscription:
    """Follow (or stop following) a thread; idempotent."""
    target = target if isinstance(target, Target) else Target.of(target)
    # E-mails start from now: following (again) does not send the thread's past.
    latest = _latest_id(target)
    subscription, _ = Subscription.objects.update_or_create(
        user=user,
        **target.fields(),
        defaults={"active": subscribed},
        create_defaults={"active": subscribed, "notified_through": latest, "read_through": latest},
    )
    if subscribed:
        Subscription.objects.filter(pk=subscription.pk, notified_through__lt=latest).update(
            notified_through=latest
        )
    return subscription


def subscription_ensure(*, users, target) -> None:
    """Subscribe members who have never (un)subscribed to the thread (presenters, suggesters)."""
    target = target if isinstance(target, Target) else Target.of(target)
    _subscribe_quietly(list(users), target, through=_latest_id(target))


def mail_set(*, user, enabled: bool) -> MailState:
    """Turn a member's discussion e-mails on or off (the profile switch, the unsubscribe link)."""
    state, _ = MailState.objects.update_or_create(user=user, defaults={"enabled": enabled})
    return state


def _people_of(target: Target) -> list:
    """Who follows a thread without having taken part: the paper's suggester and its presenters,
    or a session's presenters."""
    if target.paper_id is not None:
        items = AgendaItem.objects.filter(paper_id=target.paper_id)
        suggester = Paper.objects.filter(pk=target.paper_id).values_list("submitted_by", flat=True)
        ids = {*items.values_list("presenter", flat=True), *suggester}
    else:
        ids = set(AgendaItem.objects.filter(meeting_id=target.meeting_id).values_list("presenter", flat=True))
    ids.discard(None)
    return list(get_user_model().objects.filter(pk__in=ids, is_active=True))


def thread_mark_read(*, user, target, through: int) -> None:
    """The member has seen the thread up to this comment id (one UPDATE, only when it moves)."""
    if not user.is_authenticated:
        return
    target = target if isinstance(target, Target) else Target.of(target)
    Subscription.objects.filter(user=user, read_through__lt=through, **target.fields()).update(
        read_through=through
    )


REPORT_MAX_CHARS = 1000


def comment_report(*, user, comment_id, reason) -> Report:
    """A member reports a comment to the organisers, saying why; once while it is open."""
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason or "\x00" in reason or len(reason) > REPORT_MAX_CHARS:
        raise ValidationError({"reason": f"Say why, in at most {REPORT_MAX_CHARS} characters."})
    with transaction.atomic():
        comment = _locked(comment_id)
        if not comment.is_visible:
            raise ValidationError({"comment": "This comment is already deleted or hidden."})
        report, created = Report.objects.get_or_create(
            comment=comment, reporter=user, resolved_at=None, defaults={"reason": reason}
        )
    if not created:
        raise ValidationError({"comment": "You reported this comment already; the organisers will look."})
    return report


def report_resolve(*, user, reports) -> int:
    """Organisers close reports (after hiding the comment, or deciding it may stay)."""
    return reports.filter(resolved_at__isnull=True).update(resolved_at=timezone.now(), resolved_by=user)
