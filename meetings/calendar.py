"""iCalendar (RFC 5545) feeds of sessions, written with the icalendar library.

Times are written in the site's time zone (TIME_ZONE) with a TZID and the matching
VTIMEZONE, so a session at 18:00 stays at 18:00 local time on both sides of a
daylight-saving change. UIDs are derived from the meeting id and the site's host and
never change; SEQUENCE grows with every change so calendars pick up new times and
cancellations (STATUS:CANCELLED).
"""

from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from meetings.models import RSVP, Meeting
from meetings.selectors import with_agenda

PRODID = "-//readinggroup//discussion sessions//EN"
# Sessions further back than this are left out of the feeds.
HISTORY = timedelta(days=365)
STATUS = {
    Meeting.Status.PLANNED: "CONFIRMED",
    Meeting.Status.DONE: "CONFIRMED",
    Meeting.Status.CANCELLED: "CANCELLED",
}


def event_uid(meeting: Meeting) -> str:
    return f"meeting-{meeting.pk}@{urlsplit(settings.SITE_URL).hostname or 'localhost'}"


def _description(meeting: Meeting, *, private: bool, note: str) -> str:
    lines = [note] if note else []
    for position, item in enumerate(meeting.agenda.all(), start=1):
        who = f" (presented by {item.presenter.public_name})" if item.presenter else " (needs a presenter)"
        lines.append(f"{position}. {item.paper.title}{who}")
    if private and meeting.video_url:
        lines.append(f"Video: {meeting.video_url}")
    lines.append(f"{settings.SITE_URL}{meeting.get_absolute_url()}")
    return "\n".join(lines)


def meeting_event(meeting: Meeting, *, private: bool = False, note: str = "") -> Event:
    """One VEVENT; `private` adds what only members see (the video link)."""
    event = Event()
    event.add("uid", event_uid(meeting))
    # DTSTAMP of a published calendar is when the event last changed (RFC 5545 3.8.7.2),
    # which also keeps the feed byte-for-byte stable between changes.
    event.add("dtstamp", meeting.updated_at)
    event.add("last-modified", meeting.updated_at)
    event.add("created", meeting.created_at)
    event.add("sequence", meeting.sequence)
    event.add("summary", meeting.title)
    event.add("dtstart", timezone.localtime(meeting.starts_at))
    event.add("dtend", timezone.localtime(meeting.ends_at))
    event.add("status", STATUS[meeting.status])
    event.add("url", f"{settings.SITE_URL}{meeting.get_absolute_url()}")
    if meeting.location:
        event.add("location", meeting.location)
    event.add("description", _description(meeting, private=private, note=note))
    return event


def build_calendar(meetings: Iterable[Meeting], *, name: str, private: bool = False, notes=None) -> bytes:
    """A whole VCALENDAR; `notes` maps meeting ids to a first line of their description."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    meetings = list(meetings)
    for meeting in meetings:
        note = (notes or {}).get(meeting.pk, "")
        calendar.add_component(meeting_event(meeting, private=private, note=note))
    if meetings:
        first = min(m.starts_at for m in meetings).date() - timedelta(days=366)
        last = max(m.ends_at for m in meetings).date() + timedelta(days=366)
        calendar.add_missing_timezones(first_date=first, last_date=last)
    return calendar.to_ical()


def _recent(meetings: QuerySet) -> QuerySet:
    return with_agenda(meetings.filter(starts_at__gte=timezone.now() - HISTORY).order_by("starts_at", "pk"))


def public_meetings() -> QuerySet:
    return _recent(Meeting.objects.all())


def member_meetings(user) -> QuerySet:
    """Sessions I answered yes or maybe to, and sessions where I present."""
    answered = Q(rsvps__user=user, rsvps__answer__in=[RSVP.Answer.YES, RSVP.Answer.MAYBE])
    presenting = Q(agenda__presenter=user)
    ids = Meeting.objects.filter(answered | presenting).values("pk")
    return _recent(Meeting.objects.filter(pk__in=ids))


def member_notes(user, meetings: Iterable[Meeting]) -> dict[int, str]:
    """A first description line per meeting saying why it is in my calendar."""
    answers = {r.meeting_id: r for r in RSVP.objects.filter(user=user, meeting__in=[m.pk for m in meetings])}
    notes = {}
    for meeting in meetings:
        parts = []
        rsvp = answers.get(meeting.pk)
        if rsvp is not None:
            waiting = " (waiting list)" if rsvp.waitlisted else ""
            parts.append(f"Your answer: {rsvp.get_answer_display().lower()}{waiting}.")
        mine = [item.paper.title for item in meeting.agenda.all() if item.presenter_id == user.pk]
        if mine:
            parts.append("You present: " + "; ".join(mine) + ".")
        notes[meeting.pk] = " ".join(parts)
    return notes


def member_calendar_url(user) -> str:
    """The member's private calendar address (secret: it works without logging in)."""
    return f"{settings.SITE_URL}{reverse('meetings:member-calendar', args=[user.calendar_token])}"
