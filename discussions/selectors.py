"""Reads of discussions: threads as a viewer sees them, what is new since a cursor, latest activity.

Who may read a thread is who may see its target: papers.selectors.paper_visible for papers
(listed ones; pending ones to who suggested them; all to organisers), every session for
meetings; and nobody anonymous while SITE_PUBLIC is off (the views check that first).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse

from discussions.models import Comment, MailState, Mention
from discussions.services import Target, edit_window_open
from discussions.text import render_body
from meetings.models import Meeting
from papers.selectors import paper_visible

KINDS = {"papers": "paper", "meetings": "meeting"}
LATEST_LIMIT = 50


def can_read(user) -> bool:
    return settings.SITE_PUBLIC or user.is_authenticated


def target_object(*, user, kind: str, pk: int):
    """The paper or meeting a thread belongs to, if this viewer may see it; else None."""
    if kind == "papers":
        return paper_visible(user=user).filter(pk=pk).first()
    if kind == "meetings":
        return Meeting.objects.filter(pk=pk).first()
    return None


def comment_target_visible(*, user, comment: Comment) -> bool:
    if comment.paper_id is None:
        return True
    return paper_visible(user=user).filter(pk=comment.paper_id).exists()


def _with_people(comments: QuerySet) -> QuerySet:
    mentions = Mention.objects.select_related("user")
    return comments.select_related("author").prefetch_related(Prefetch("mentions", queryset=mentions))


def member_url(username: str) -> str:
    return reverse("discussions:member", args=[username])


def _decorate(comment: Comment, user, now=None) -> Comment:
    """What this viewer sees of a comment and may do with it (attributes for the templates)."""
    mine = user.is_authenticated and comment.author_id == user.pk
    organiser = user.is_authenticated and user.is_organiser
    comment.is_mine = mine
    comment.can_moderate = organiser and comment.deleted_at is None
    comment.shows_body = comment.is_visible or (organiser and comment.deleted_at is None)
    comment.can_edit = mine and comment.is_visible and edit_window_open(comment, now)
    comment.can_delete = mine and comment.deleted_at is None
    comment.can_reply = user.is_authenticated and comment.is_visible
    if comment.shows_body:
        urls = {m.user.username.lower(): member_url(m.user.username) for m in comment.mentions.all()}
        comment.body_html = render_body(comment.body, urls)
    return comment


def arrange(comments, user) -> list[Comment]:
    """Roots in order, each with `shown_replies`; what a viewer should not see is left out.

    A deleted or hidden comment is left out, unless it is a root with replies to show: then it
    keeps its place as "deleted" / "hidden by an organiser". Organisers see hidden text.
    """
    comments = list(comments)
    replies: dict[int, list[Comment]] = {}
    for comment in comments:
        _decorate(comment, user)
        if comment.parent_id is not None and comment.shows_body:
            replies.setdefault(comment.parent_id, []).append(comment)
    roots = []
    for comment in comments:
        if comment.parent_id is None:
            comment.shown_replies = replies.get(comment.pk, [])
            if comment.shows_body or comment.shown_replies:
                roots.append(comment)
    return roots


def thread(*, target: Target, user) -> list[Comment]:
    """A whole thread as arranged for this viewer: one query, one for the mentions."""
    return arrange(_with_people(Comment.objects.for_target(**target.fields())), user)


def thread_block(*, root_id: int, user) -> list[Comment]:
    """One root and its replies, arranged (empty when nothing of it is to be shown)."""
    comments = Comment.objects.filter(Q(pk=root_id) | Q(parent_id=root_id)).order_by("created_at", "id")
    return arrange(_with_people(comments), user)


def new_since(*, target: Target, user, after: int) -> list[Comment]:
    """Visible comments of others posted after the cursor (a comment id), oldest first."""
    comments = Comment.objects.for_target(**target.fields()).visible().filter(pk__gt=after)
    if user.is_authenticated:
        comments = comments.exclude(author=user)
    new = [_decorate(c, user) for c in _with_people(comments)]
    for comment in new:
        comment.shown_replies = []
    return new


def cursor(comments) -> int:
    return max((c.pk for c in comments), default=0)


def latest(*, user, limit: int = LATEST_LIMIT, author=None) -> list[Comment]:
    """The newest visible comments on threads this viewer may read, newest first."""
    comments = Comment.objects.visible().filter(
        Q(paper__in=paper_visible(user=user).values("pk")) | Q(meeting__isnull=False)
    )
    if author is not None:
        comments = comments.filter(author=author)
    comments = _with_people(comments.select_related("paper", "meeting").order_by("-created_at", "-id"))
    return [_decorate(c, user) for c in comments[:limit]]


def member_suggestions(*, prefix: str, limit: int = 8) -> QuerySet:
    """Active members whose username or display name starts with the prefix (for @mentions)."""
    prefix = prefix.strip().lstrip("@")[:150]
    if not prefix:
        return get_user_model().objects.none()
    users = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(username__istartswith=prefix) | Q(display_name__istartswith=prefix))
    )
    return users.order_by("username").only("username", "display_name", "first_name", "last_name")[:limit]


def mail_enabled(user) -> bool:
    return not MailState.objects.filter(user=user, enabled=False).exists()
