"""The weekly digest lists the busiest discussions of the week, with links."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from discussions import services
from discussions.models import Comment
from discussions.selectors import busiest_threads
from meetings import notifications
from meetings.tests.factories import MeetingFactory
from members.tests.factories import UserFactory
from papers.models import Paper
from papers.tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_posting(settings):
    settings.DISCUSSION_RATE = "1000/minute"
    settings.SITE_URL = "https://rg.example.org"


def _comments(target, count: int, *, author, days_ago: float = 1) -> list[Comment]:
    made = [services.comment_create(author=author, target=target, body=f"Point {n}") for n in range(count)]
    when = timezone.now() - timedelta(days=days_ago)
    Comment.objects.filter(pk__in=[c.pk for c in made]).update(created_at=when)
    return made


def test_the_digest_lists_the_busiest_threads_of_the_week_with_links(member):
    UserFactory(username="reader", digest_enabled=True)
    busy, quieter = PaperFactory(title="Busy paper"), PaperFactory(title="Quieter paper")
    session = MeetingFactory(title="Tuesday session")
    _comments(busy, 4, author=member)
    _comments(session, 3, author=member)
    _comments(quieter, 1, author=member)
    _comments(quieter, 9, author=member, days_ago=8)  # last week's: not counted
    assert notifications.send_weekly_digest() == 1
    body = mail.outbox[0].body
    section = body.split("The busiest discussions this week:")[1]
    assert section.index("Busy paper (4 new comments)") < section.index("Tuesday session (3 new comments)")
    assert section.index("Tuesday session") < section.index("Quieter paper (1 new comment)")
    assert f"https://rg.example.org/papers/{busy.pk}/#discussion" in section
    assert f"https://rg.example.org{session.get_absolute_url()}#discussion" in section
    html = mail.outbox[0].alternatives[0][0]
    assert f'<a href="https://rg.example.org/papers/{busy.pk}/#discussion">Busy paper</a>' in html


def test_only_visible_comments_on_threads_every_member_may_read_count(member, organiser):
    listed, pending, hidden = PaperFactory(), PaperFactory(), PaperFactory()
    _comments(pending, 5, author=member)
    _comments(hidden, 5, author=organiser)
    Paper.objects.filter(pk=pending.pk).update(status=Paper.Status.PENDING)
    Paper.objects.filter(pk=hidden.pk).update(status=Paper.Status.HIDDEN)
    kept, deleted, moderated = _comments(listed, 3, author=member)
    services.comment_delete(user=member, comment_id=deleted.pk)
    services.comment_hide(user=organiser, comment_id=moderated.pk)
    now = timezone.now()
    threads = busiest_threads(start=now - timedelta(days=7), end=now)
    assert [(t["target"].pk, t["comments"]) for t in threads] == [(listed.pk, 1)]


def test_at_most_five_threads_and_a_quiet_week_lists_none(member):
    papers = [PaperFactory() for _ in range(7)]
    for count, paper in enumerate(papers, start=1):
        _comments(paper, count, author=member)
    now = timezone.now()
    threads = busiest_threads(start=now - timedelta(days=7), end=now, limit=5)
    assert [t["comments"] for t in threads] == [7, 6, 5, 4, 3]
    assert busiest_threads(start=now - timedelta(days=30), end=now - timedelta(days=7)) == []


def test_the_list_costs_three_queries_however_many_threads(member, django_assert_num_queries):
    for count in range(1, 8):
        _comments(PaperFactory(), count, author=member)
    _comments(MeetingFactory(), 2, author=member)
    now = timezone.now()
    with django_assert_num_queries(3):
        busiest_threads(start=now - timedelta(days=7), end=now, limit=10)
