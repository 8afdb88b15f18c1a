"""E-mails of new comments in the threads a member follows, batched.

At most one e-mail per member per DISCUSSION_EMAIL_MINUTES, never twice for one comment:
claiming the member's MailState row (a conditional UPDATE of last_sent_at) and moving each
followed thread's `notified_through` cursor past the comments listed happen in one
transaction, committed before the message goes. Two workers racing claim it once; a mail
server that refuses the message puts both back so the next run tries again; a worker killed
after the commit loses that one e-mail rather than ever sending it twice (as meetings.notifications).
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from discussions import selectors
from discussions.models import Comment, MailState, Subscription
from discussions.text import render_body
from meetings.mailer import Mailer, Message
from members.models import User
from papers.selectors import paper_visible

log = logging.getLogger(__name__)
UNSUBSCRIBE_SALT = "discussions.unsubscribe"
MOST_PER_THREAD = 20


def unsubscribe_token(*, user) -> str:
    return signing.dumps({"u": user.pk}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> int:
    """The member id of a token; signing.SignatureExpired / BadSignature otherwise."""
    max_age = timedelta(days=settings.UNSUBSCRIBE_MAX_AGE_DAYS)
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=max_age)
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise signing.BadSignature("Not an unsubscribe token.")
    return data["u"]


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _new_for() -> Q:
    """Comments of another member on the subscription's thread after its cursor."""
    return (
        (Q(paper_id=OuterRef("paper_id")) | Q(meeting_id=OuterRef("meeting_id")))
        & Q(pk__gt=OuterRef("notified_through"))
        & ~Q(author_id=OuterRef("user_id"))
    )


def members_with_news() -> list[int]:
    """Reachable members (active, with an address, e-mails on) following a thread with news."""
    news = Exists(Comment.objects.visible().filter(_new_for()))
    off = MailState.objects.filter(user_id=OuterRef("user_id"), enabled=False)
    subscriptions = Subscription.objects.filter(news, active=True, user__is_active=True).exclude(
        user__email=""
    )
    return sorted(set(subscriptions.exclude(Exists(off)).values_list("user_id", flat=True)))


def _threads(user, subscriptions: list[Subscription]) -> list[tuple[Subscription, list[Comment]]]:
    visible_papers = set(
        paper_visible(user=user)
        .filter(pk__in=[s.paper_id for s in subscriptions if s.paper_id])
        .values_list("pk", flat=True)
    )
    threads = []
    for subscription in subscriptions:
        if subscription.paper_id is not None and subscription.paper_id not in visible_papers:
            continue
        comments = (
            Comment.objects.visible()
            .for_target(paper_id=subscription.paper_id, meeting_id=subscription.meeting_id)
            .filter(pk__gt=subscription.notified_through)
            .exclude(author=user)
            .select_related("author", "paper", "meeting")
            .prefetch_related("mentions__user")
            .order_by("id")
        )
        comments = list(comments)
        if comments:
            threads.append((subscription, comments))
    return threads


def _claim(user, now: datetime) -> tuple[list, datetime | None] | None:
    """Claim this member's e-mail and move the cursors: (threads, previous last_sent_at), or None."""
    window = timedelta(minutes=settings.DISCUSSION_EMAIL_MINUTES)
    with transaction.atomic():
        MailState.objects.bulk_create([MailState(user=user)], ignore_conflicts=True)
        state = MailState.objects.select_for_update().get(user=user)
        if not state.enabled or (state.last_sent_at is not None and state.last_sent_at > now - window):
            return None
        subscriptions = list(Subscription.objects.select_for_update().filter(user=user, active=True))
        threads = _threads(user, subscriptions)
        if not threads:
            return None
        previous = state.last_sent_at
        MailState.objects.filter(user=user).update(last_sent_at=now)
        for subscription, comments in threads:
            Subscription.objects.filter(pk=subscription.pk).update(notified_through=comments[-1].pk)
    return threads, previous


def _undo(user, threads, previous: datetime | None, now: datetime) -> None:
    """The message did not go: put the cursors back (unless they moved on since)."""
    with transaction.atomic():
        MailState.objects.filter(user=user, last_sent_at=now).update(last_sent_at=previous)
        for subscription, comments in threads:
            Subscription.objects.filter(pk=subscription.pk, notified_through=comments[-1].pk).update(
                notified_through=subscription.notified_through
            )


def _message(user, threads) -> Message:
    link = _absolute(reverse("discussions:unsubscribe", args=[unsubscribe_token(user=user)]))
    count = sum(len(comments) for _, comments in threads)
    items = []
    for _, comments in threads:
        target = comments[0].target
        for comment in comments[:MOST_PER_THREAD]:
            urls = {
                m.user.username.lower(): _absolute(selectors.member_url(m.user.username))
                for m in comment.mentions.all()
            }
            comment.body_html = render_body(comment.body, urls)
            comment.url = _absolute(comment.get_absolute_url())
        items.append(
            {
                "target": target,
                "comments": comments[:MOST_PER_THREAD],
                "more": len(comments) - MOST_PER_THREAD,
            }
        )
    subject = f"{count} new comment{'s' if count != 1 else ''} in discussions you follow"
    context = {
        "user": user,
        "subject": subject,
        "threads": items,
        "unsubscribe_url": link,
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "kind_label": "discussion",
        "discussions_url": _absolute(reverse("discussions:index")),
    }
    text = render_to_string("emails/discussion.txt", context)
    html = render_to_string("emails/discussion.html", context)
    return Message(to=user.email, subject=subject, text=text, html=html, unsubscribe_url=link)


def send_discussion_emails(*, now: datetime | None = None) -> int:
    """One e-mail to each member with news whose last one is DISCUSSION_EMAIL_MINUTES old."""
    now = now or timezone.now()
    sent = 0
    with Mailer() as mailer:
        for user in User.objects.filter(pk__in=members_with_news()).order_by("pk"):
            claimed = _claim(user, now)
            if claimed is None:
                continue
            threads, previous = claimed
            try:
                mailer.send(_message(user, threads))
            except OSError:  # smtplib's errors are OSErrors too
                log.exception("Could not send the discussion e-mail to member %s", user.pk)
                _undo(user, threads, previous, now)
                continue
            sent += 1
    return sent
