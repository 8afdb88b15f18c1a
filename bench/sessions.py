"""Sessions benchmark: e-mails, calendars, BibTeX and RSVPs at a group's scale and beyond.

    python -m bench.sessions --members 1000 --meetings 200 --papers 1000
    DATABASE_URL=postgres://... python -m bench.sessions

Runs in a scratch database (bench_<name>, created and dropped here; SQLite in
memory), never in the site's own; e-mail goes to Django's in-memory backend. Prints:

- digest: the weekly digest to every member (rendered text + HTML, recorded, sent);
- digest again: the same run a second time (every send refused by its record);
- reminders: one session's reminder to every member who answered yes;
- rsvp: answers one after another on a session with a capacity (half wait);
- calendar: the public iCal feed of all sessions, 5 papers each;
- bibtex: the BibTeX export of all papers.
"""

import argparse
import os
import time
from datetime import timedelta

import django


def _timed(label: str, count: int, unit: str, work) -> None:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        result = work()
        seconds = time.perf_counter() - start
    rate = count / seconds if seconds else float("inf")
    print(
        f"{label:<14} {count:>6} {unit:<9} {seconds * 1000:>9.1f} ms  {rate:>9.0f} {unit}/s"
        f"  {len(queries):>6} queries  -> {result!r:.40}"
    )


def run(members: int, meetings: int, papers: int) -> None:
    from django.core import mail
    from django.utils import timezone

    from meetings import calendar, notifications
    from meetings.models import RSVP, AgendaItem, Meeting
    from meetings.services import rsvp_set
    from members.models import User
    from papers.bibtex import papers_to_bibtex
    from papers.models import Author, Paper, PaperAuthor

    now = timezone.now()
    users = User.objects.bulk_create(
        User(username=f"m{i}", email=f"m{i}@example.org", digest_enabled=True, calendar_token=f"t{i}")
        for i in range(members)
    )
    authors = Author.objects.bulk_create(Author(name=f"Author Number{i}") for i in range(50))
    rows = Paper.objects.bulk_create(
        Paper(title=f"A study of benchmark topic {i}", status="listed", abstract="We study & measure.")
        for i in range(papers)
    )
    PaperAuthor.objects.bulk_create(
        PaperAuthor(paper=paper, author=authors[(paper.pk + k) % 50], position=k)
        for paper in rows
        for k in range(3)
    )
    sessions = Meeting.objects.bulk_create(
        Meeting(
            title=f"S{i}",
            starts_at=now + timedelta(days=i, hours=1),
            ends_at=now + timedelta(days=i, hours=2),
        )
        for i in range(meetings)
    )
    AgendaItem.objects.bulk_create(
        AgendaItem(meeting=s, paper=rows[(s.pk * 5 + k) % papers], order=k)
        for s in sessions
        for k in range(5)
    )
    first = sessions[0]
    RSVP.objects.bulk_create(RSVP(meeting=first, user=u, answer="yes") for u in users)

    print(f"{members} members, {meetings} sessions, {papers} papers")
    _timed("digest", members, "messages", notifications.send_weekly_digest)
    _timed("digest again", members, "messages", notifications.send_weekly_digest)
    _timed("reminders", members, "messages", notifications.send_due_reminders)
    mail.outbox = []

    capped = Meeting.objects.create(
        title="Capped",
        starts_at=now + timedelta(days=3),
        ends_at=now + timedelta(days=3, hours=1),
        capacity=members // 2,
    )
    _timed(
        "rsvp",
        members,
        "answers",
        lambda: [rsvp_set(meeting=capped, user=u, answer="yes") for u in users][-1],
    )
    _timed(
        "calendar",
        meetings,
        "events",
        lambda: len(calendar.build_calendar(calendar.public_meetings(), name="bench")),
    )
    everything = Paper.objects.prefetch_related("authorships__author").order_by("pk")
    _timed("bibtex", papers, "entries", lambda: len(papers_to_bibtex(everything)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--meetings", type=int, default=200)
    parser.add_argument("--papers", type=int, default=1000)
    args = parser.parse_args()
    if min(args.members, args.meetings, args.papers) < 2:
        parser.error("give at least 2 members, meetings and papers")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "readinggroup.settings")
    django.setup()
    from django.conf import settings
    from django.db import connection

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.DEBUG = True  # query counts
    settings.DATABASES["default"].setdefault("TEST", {})
    if connection.vendor == "postgresql":
        settings.DATABASES["default"]["TEST"]["NAME"] = f"bench_{settings.DATABASES['default']['NAME']}"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        run(args.members, args.meetings, args.papers)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
