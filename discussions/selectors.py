"""Reads of discussions: threads as a viewer sees them, what is new since a cursor, latest activity.

Who may read a thread is who may see its target: papers.selectors.paper_visible for papers
(listed ones; pending ones to who suggested them; all to organisers), every session for
meetings; and nobody anonymous while SITE_PUBLIC is off (the views check that first).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils.safestring import mark_safe

from discussions.models import Comment, MailState, Mention, Report, Subscription
from discussions.services import Target, edit_window_open
from discussions.text import render_body
from meetings.models import Meeting
from papers.models import Paper
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
    return comment


# Bump when the rendering changes (Markdown extensions, the allow-list, math or mentions).
RENDER_VERSION = 1
RENDER_CACHE_SECONDS = 7 * 24 * 3600


def _render_key(comment: Comment, names: list[str]) -> str:
    written = (comment.edited_at or comment.created_at).timestamp()
    return f"discussions:body:{RENDER_VERSION}:{comment.pk}:{written}:{','.join(names)}"


def with_bodies(comments: list[Comment]) -> list[Comment]:
    """`body_html` for each comment the viewer may read: from the cache (one round trip for
    the lot), else rendered (about 1 ms each) and kept. A key holds the comment's last write
    and its mentions, so an edit or a renamed mention never shows a stale body."""
    shown = [c for c in comments if getattr(c, "shows_body", True)]
    keyed = {}
    for comment in shown:
        names = sorted(m.user.username for m in comment.mentions.all())
        keyed[_render_key(comment, names)] = (comment, names)
    cached = cache.get_many(list(keyed))
    fresh = {}
    for key, (comment, names) in keyed.items():
        if key not in cached:
            urls = {name.lower(): member_url(name) for name in names}
            cached[key] = fresh[key] = str(render_body(comment.body, urls))
        comment.body_html = mark_safe(cached[key])  # rendered by render_body: sanitised by nh3
    if fresh:
        cache.set_many(fresh, RENDER_CACHE_SECONDS)
    return comments


def arrange(comments, user) -> list[Comment]:
    """Roots in order, each with `shown_replies`; what a viewer should not see is left out.

    A deleted or hidden comment is left out, unless it is a root with replies to show: then it
    keeps its place as "deleted" / "hidden by an organiser". Organisers see hidden text.
    """
    comments = list(comments)
    replies: dict[int, list[Comment]] = {}
    for comment in comments:
        _decorate(comment, user)
    with_bodies(comments)
    for comment in comments:
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
    new = with_bodies([_decorate(c, user) for c in _with_people(comments)])
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
    return with_bodies([_decorate(c, user) for c in comments[:limit]])


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


def unread_count(*, user) -> int:
    """Comments of others, in the threads I follow and may read, newer than what I have seen
    there (one query)."""
    if not user.is_authenticated:
        return 0
    seen = Subscription.objects.filter(
        Q(paper_id=OuterRef("paper_id")) | Q(meeting_id=OuterRef("meeting_id")),
        user=user,
        active=True,
        read_through__lt=OuterRef("pk"),
    )
    readable = Q(paper__isnull=True) | Q(paper__in=paper_visible(user=user).values("pk"))
    return Comment.objects.visible().exclude(author=user).filter(readable, Exists(seen)).count()


def subscription_of(user, target: Target) -> Subscription | None:
    if not user.is_authenticated:
        return None
    return Subscription.objects.filter(user=user, **target.fields()).first()


def open_reports() -> int:
    return Report.objects.filter(resolved_at__isnull=True).count()


def busiest_threads(*, start, end, limit: int = 5) -> list[dict]:
    """The threads with the most visible comments posted in [start, end), most first:
    [{"target": paper or meeting, "comments": n}]. Only threads every member may read (listed
    papers and sessions), so one list serves everyone (the weekly digest). Three queries."""
    counts = list(
        Comment.objects.visible()
        .filter(created_at__gte=start, created_at__lt=end)
        .filter(Q(paper__in=Paper.objects.listed().values("pk")) | Q(meeting__isnull=False))
        .values("paper_id", "meeting_id")
        .annotate(comments=Count("id"))
        .order_by("-comments", "paper_id", "meeting_id")[:limit]
    )
    papers = Paper.objects.in_bulk([row["paper_id"] for row in counts if row["paper_id"]])
    meetings = Meeting.objects.in_bulk([row["meeting_id"] for row in counts if row["meeting_id"]])
    return [
        {
            "target": papers[row["paper_id"]] if row["paper_id"] else meetings[row["meeting_id"]],
            "comments": row["comments"],
        }
        for row in counts
    ]
