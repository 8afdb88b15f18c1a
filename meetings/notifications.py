"""Session e-mails: reminders, presenter notices, the weekly digest and waiting-list seats.

Every send first records a Notice whose (kind, member, key) is unique, and sends only
when that insert succeeded. A beat that fires twice, or two workers racing, therefore
send each message once. A message the mail server refused drops its record so the next
run tries again; a worker killed between recording and sending loses that one message
rather than ever sending it twice.
"""

import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from discussions.selectors import busiest_threads
from meetings.mailer import Mailer, Message
from meetings.models import RSVP, AgendaItem, Meeting, Notice, NotificationPreference
from meetings.selectors import meetings_starting_between, next_meeting, with_agenda
from members.models import User
from papers.models import Paper, TopicFollow
from papers.topics import new_papers_by_followed_topic

log = logging.getLogger(__name__)

REMINDER_LEAD = timedelta(hours=24)
PRESENTER_LEAD = timedelta(days=3)
DIGEST_PAPERS = 10
DIGEST_TOPIC_PAPERS = 5  # new papers shown per followed topic
DIGEST_THREADS = 5
UNSUBSCRIBE_SALT = "meetings.unsubscribe"


# --- Unsubscribe links --------------------------------------------------------------------------


def unsubscribe_token(*, user, kind: str) -> str:
    return signing.dumps({"u": user.pk, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """(user id, notice kind) of a token; raises signing.SignatureExpired when too old and
    signing.BadSignature when tampered with."""
    max_age = timedelta(days=settings.UNSUBSCRIBE_MAX_AGE_DAYS)
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=max_age)
    if not isinstance(data, dict) or data.get("k") not in Notice.Kind.values:
        raise signing.BadSignature("Not an unsubscribe token.")
    return int(data["u"]), data["k"]


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def unsubscribe_url(*, user, kind: str) -> str:
    return absolute(reverse("meetings:unsubscribe", args=[unsubscribe_token(user=user, kind=kind)]))


# --- Sending ------------------------------------------------------------------------------------


def reachable(kind: str, prefix: str = "") -> Q:
    """Members with an address who did not turn this kind of notice off."""
    q = Q(**{f"{prefix}is_active": True}) & ~Q(**{f"{prefix}email": ""})
    if kind == Notice.Kind.DIGEST:
        return q & Q(**{f"{prefix}digest_enabled": True})
    field = f"{prefix}notification_preference"
    return q & (
        Q(**{f"{field}__isnull": True})
        | Q(**{f"{field}__{NotificationPreference.FIELD_FOR_KIND[kind]}": True})
    )


def not_yet_sent(kind: str, key: str, user_field: str = "pk") -> Exists:
    """A filter keeping the members who have no such notice yet.

    It only saves rendering messages that went out already; the unique record is what
    guarantees a single send when runs overlap.
    """
    return ~Exists(Notice.objects.filter(kind=kind, key=key, user=OuterRef(user_field)))


def _render(kind: str, user, subject: str, context: dict, html_context: dict | None = None) -> Message:
    """Both parts of a message; `html_context` overrides values for the HTML part."""
    link = unsubscribe_url(user=user, kind=kind)
    context = {
        **context,
        "user": user,
        "subject": subject,
        "unsubscribe_url": link,
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "kind_label": Notice.Kind(kind).label.lower(),
    }
    text = render_to_string(f"emails/{kind}.txt", context)
    html = render_to_string(f"emails/{kind}.html", {**context, **(html_context or {})})
    return Message(to=user.email, subject=subject, text=text, html=html, unsubscribe_url=link)


def _claim(*, kind: str, user, key: str, meeting: Meeting | None) -> Notice | None:
    try:
        with transaction.atomic():
            return Notice.objects.create(kind=kind, user=user, key=key, meeting=meeting)
    except IntegrityError:  # sent already, or another worker is sending it right now
        return None


def _deliver(mailer: Mailer, message: Message, *, kind: str, user, key: str, meeting=None) -> bool:
    notice = _claim(kind=kind, user=user, key=key, meeting=meeting)
    if notice is None:
        return False
    try:
        mailer.send(message)
    except OSError:  # smtplib's errors are OSErrors too
        log.exception("Could not send the %s notice %s to member %s", kind, key, user.pk)
        notice.delete()  # nothing went out: the next run tries again
        return False
    Notice.objects.filter(pk=notice.pk).update(sent_at=timezone.now())
    return True


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "D j M Y, H:i")


def _meeting_key(meeting: Meeting) -> str:
    # A session moved to another time is a new event: its reminder goes again.
    return f"meeting:{meeting.pk}:{meeting.starts_at.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def _meeting_context(meeting: Meeting) -> dict:
    return {
        "meeting": meeting,
        "meeting_url": absolute(meeting.get_absolute_url()),
        "agenda": list(meeting.agenda.all()),
    }


def send_due_reminders(*, now: datetime | None = None) -> int:
    """Remind members who answered yes or maybe, 24 hours before a session; returns how many."""
    now = now or timezone.now()
    meetings = with_agenda(meetings_starting_between(now, now + REMINDER_LEAD))
    with Mailer() as mailer:
        return sum(_remind(mailer, meeting) for meeting in meetings)


def send_meeting_reminders(*, meeting_id: int) -> int:
    """An organiser's "send the reminders now" for one planned session: the same reminder under
    the same key, so a member reminded now is not reminded again 24 hours before."""
    meeting = with_agenda(Meeting.objects.filter(pk=meeting_id, status=Meeting.Status.PLANNED)).first()
    if meeting is None or meeting.starts_at <= timezone.now():
        return 0
    with Mailer() as mailer:
        return _remind(mailer, meeting)


def _remind(mailer: Mailer, meeting: Meeting) -> int:
    sent = 0
    key = _meeting_key(meeting)
    answers = RSVP.objects.filter(
        reachable(Notice.Kind.REMINDER, "user__"),
        not_yet_sent(Notice.Kind.REMINDER, key, "user_id"),
        meeting=meeting,
        answer__in=[RSVP.Answer.YES, RSVP.Answer.MAYBE],
    ).select_related("user")
    subject = f"Reminder: {meeting.title}, {_when(meeting.starts_at)}"
    for rsvp in answers:
        context = {**_meeting_context(meeting), "rsvp": rsvp}
        message = _render(Notice.Kind.REMINDER, rsvp.user, subject, context)
        sent += _deliver(mailer, message, kind="reminder", user=rsvp.user, key=key, meeting=meeting)
    return sent


def send_due_presenter_notices(*, now: datetime | None = None) -> int:
    """Tell each presenter, 3 days before, which papers they present; returns how many."""
    now = now or timezone.now()
    sent = 0
    meetings = with_agenda(meetings_starting_between(now, now + PRESENTER_LEAD))
    with Mailer() as mailer:
        for meeting in meetings:
            mine: dict[int, list[AgendaItem]] = defaultdict(list)
            for item in meeting.agenda.all():
                if item.presenter_id:
                    mine[item.presenter_id].append(item)
            key = _meeting_key(meeting)
            presenters = User.objects.filter(
                reachable(Notice.Kind.PRESENTER), not_yet_sent(Notice.Kind.PRESENTER, key), pk__in=mine
            )
            subject = f"You are presenting at {meeting.title}, {_when(meeting.starts_at)}"
            for user in presenters:
                context = {**_meeting_context(meeting), "items": mine[user.pk]}
                message = _render(Notice.Kind.PRESENTER, user, subject, context)
                sent += _deliver(mailer, message, kind="presenter", user=user, key=key, meeting=meeting)
    return sent


def send_seat_notice(*, rsvp_id: int) -> bool:
    """Tell a member who moved up from the waiting list that they have a seat."""
    rsvp = RSVP.objects.select_related("meeting", "user").filter(pk=rsvp_id).first()
    if rsvp is None or not rsvp.has_seat or not rsvp.meeting.is_open:
        return False
    if not User.objects.filter(reachable(Notice.Kind.SEAT), pk=rsvp.user_id).exists():
        return False
    meeting = rsvp.meeting
    subject = f"You have a seat at {meeting.title}, {_when(meeting.starts_at)}"
    message = _render(Notice.Kind.SEAT, rsvp.user, subject, _meeting_context(meeting))
    # One notice per "yes": answering again later and moving up again is a new notice.
    key = f"rsvp:{rsvp.pk}:{rsvp.answered_at.timestamp():.6f}"
    with Mailer() as mailer:
        return _deliver(mailer, message, kind="seat", user=rsvp.user, key=key, meeting=meeting)


# --- The weekly digest --------------------------------------------------------------------------


def digest_content(*, now: datetime) -> dict:
    """What the digest says this week, the same for every member."""
    new_papers = (
        Paper.objects.listed()
        .filter(created_at__gt=now - timedelta(days=7), created_at__lte=now)
        .order_by("-vote_count", "-trending_score", "-id")[:DIGEST_PAPERS]
    )
    needs_presenter = (
        AgendaItem.objects.filter(
            presenter=None, meeting__status=Meeting.Status.PLANNED, meeting__starts_at__gt=now
        )
        .select_related("meeting", "paper")
        .order_by("meeting__starts_at", "meeting_id", "order", "id")
    )
    return {
        "new_papers": list(new_papers),
        "next_meeting": next_meeting(now),
        "needs_presenter": list(needs_presenter[:20]),
        "busy_threads": busiest_threads(start=now - timedelta(days=7), end=now, limit=DIGEST_THREADS),
    }


def digest_key(now: datetime) -> str:
    year, week, _ = timezone.localtime(now).isocalendar()
    return f"week:{year}-W{week:02d}"


def followed_sections(*, now: datetime) -> dict[int, list[dict]]:
    """Who follows which tags, and each followed tag's new papers this week: the digest's
    "In topics you follow" section, in four queries for every member together."""
    by_tag = new_papers_by_followed_topic(since=now - timedelta(days=7), until=now, limit=DIGEST_TOPIC_PAPERS)
    follows: dict[int, list[dict]] = defaultdict(list)
    rows = TopicFollow.objects.filter(tag_id__in=list(by_tag)).order_by("tag__name", "tag_id")
    for member_id, tag_id in rows.values_list("member_id", "tag_id"):
        follows[member_id].append(by_tag[tag_id])
    return follows


def _with_topics(body: dict, topics: list, template: str, context: dict) -> dict:
    if not topics:
        return body
    section = render_to_string(template, {**context, "followed_topics": topics})
    return {**body, "body": section + body["body"]}


def send_weekly_digest(*, now: datetime | None = None) -> int:
    """Send this week's digest to every member who asked for it, once per week; the new papers
    of the topics a member follows come first."""
    now = now or timezone.now()
    content = digest_content(now=now)
    if not any(content.values()):
        return 0  # nothing to say this week
    if content["next_meeting"] is not None:
        content["next_meeting_url"] = absolute(content["next_meeting"].get_absolute_url())
    content["papers_url"] = absolute(reverse("home"))
    content.update(site_name=settings.SITE_NAME, site_url=settings.SITE_URL)
    # The body is the same for everyone: render it once, not once per member.
    text_body = {"body": render_to_string("emails/_digest_body.txt", content)}
    # (Templates render to SafeString: the HTML body goes in unescaped.)
    html_body = {"body": render_to_string("emails/_digest_body.html", content)}
    subject = f"{settings.SITE_NAME} weekly digest: {len(content['new_papers'])} new papers"
    key = digest_key(now)
    sent = 0
    with Mailer() as mailer:
        readers = User.objects.filter(reachable(Notice.Kind.DIGEST), not_yet_sent(Notice.Kind.DIGEST, key))
        follows = followed_sections(now=now)
        for user in readers.order_by("pk").iterator():
            topics = follows.get(user.pk, [])
            text = _with_topics(text_body, topics, "emails/_digest_topics.txt", content)
            html = _with_topics(html_body, topics, "emails/_digest_topics.html", content)
            message = _render(Notice.Kind.DIGEST, user, subject, text, html)
            sent += _deliver(mailer, message, kind="digest", user=user, key=key)
    return sent
