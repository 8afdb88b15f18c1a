from datetime import timedelta

import feedparser
import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.services import meeting_cancel
from meetings.tests.factories import AgendaItemFactory, MeetingFactory
from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("name", "version"), [("meetings-rss", "rss20"), ("meetings-atom", "atom10")])
def test_the_meetings_feed_lists_sessions_with_their_agenda(client, name, version):
    coming = MeetingFactory(
        title="Coming", notes="Members-only notes", video_url="https://video.example.org/r"
    )
    AgendaItemFactory(meeting=coming, paper__title="Graph networks", presenter=UserFactory(username="ada"))
    MeetingFactory(title="Past", starts_at=timezone.now() - timedelta(days=20))
    meeting_cancel(meeting=MeetingFactory(title="Dropped", starts_at=timezone.now() + timedelta(days=3)))
    response = client.get(reverse(f"feeds:{name}"))
    feed = feedparser.parse(response.content)
    assert not feed.bozo and feed.version == version
    titles = [e.title for e in feed.entries]
    assert [t.split(" (")[0] for t in titles] == ["Coming", "Cancelled: Dropped", "Past"]
    entry = feed.entries[0]
    assert "Graph networks" in entry.summary and "Ada" in entry.summary
    assert "Members-only notes" not in response.content.decode()
    assert "video.example.org" not in response.content.decode()
    assert entry.link.endswith(coming.get_absolute_url())


def test_the_meetings_feed_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for _ in range(5):
        AgendaItemFactory(presenter=UserFactory())
    with django_assert_max_num_queries(3):
        client.get(reverse("feeds:meetings-rss"))
