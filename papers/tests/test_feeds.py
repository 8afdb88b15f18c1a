from datetime import timedelta

import feedparser
import pytest
from django.urls import reverse
from django.utils import timezone

from members.tests.factories import UserFactory
from papers.models import Paper
from papers.services import paper_vote_set
from papers.tests.factories import PaperFactory, TagFactory

pytestmark = pytest.mark.django_db


def _feed(client, name: str):
    response = client.get(reverse(f"feeds:{name}"))
    assert response.status_code == 200
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return response, parsed


def _votes(paper: Paper, count: int) -> None:
    for _ in range(count):
        paper_vote_set(user=UserFactory(), paper_id=paper.pk, voted=True)


@pytest.mark.parametrize(("name", "version"), [("papers-new-rss", "rss20"), ("papers-new-atom", "atom10")])
def test_the_new_papers_feed_lists_listed_papers_newest_first(client, settings, name, version):
    settings.SITE_URL = "https://rg.example.org"
    now = timezone.now()
    older = PaperFactory(
        title="Older & wiser", created_at=now - timedelta(days=2), tags=[TagFactory(name="NLP")]
    )
    newer = PaperFactory(title="Newer", created_at=now - timedelta(hours=1), authors=["Ada One", "Ben Two"])
    PaperFactory(title="Pending", status="pending")
    PaperFactory(title="Hidden", status="hidden")
    _, feed = _feed(client, name)
    assert feed.version == version
    assert [e.title for e in feed.entries] == ["Newer", "Older & wiser"]
    first = feed.entries[0]
    assert first.link == f"https://rg.example.org{newer.get_absolute_url()}"
    assert first.summary == newer.summary
    assert first.author == "Ada One, Ben Two"
    assert [t.term for t in feed.entries[1].tags] == ["NLP"]
    assert feed.entries[1].link.endswith(older.get_absolute_url())


@pytest.mark.parametrize("name", ["queue-rss", "queue-atom"])
def test_the_queue_feed_follows_the_vote_queue(client, name):
    one, three = PaperFactory(title="One vote"), PaperFactory(title="Three votes")
    discussed = PaperFactory(title="Discussed")
    _votes(one, 1)
    _votes(three, 3)
    _votes(discussed, 5)
    Paper.objects.filter(pk=discussed.pk).update(discussed_at=timezone.now())
    _, feed = _feed(client, name)
    assert [e.title for e in feed.entries] == ["#1 Three votes (3 votes)", "#2 One vote (1 vote)"]


def test_feeds_need_a_login_when_the_site_is_private(client, settings, member):
    settings.SITE_PUBLIC = False
    response = client.get(reverse("feeds:queue-rss"))
    assert response.status_code == 302
    client.force_login(member)
    assert client.get(reverse("feeds:queue-rss")).status_code == 200


def test_the_paper_feeds_run_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for i in range(12):
        PaperFactory(tags=[TagFactory(name=f"t{i % 3}")])
    with django_assert_max_num_queries(4):
        client.get(reverse("feeds:papers-new-atom"))
    with django_assert_max_num_queries(4):
        client.get(reverse("feeds:queue-rss"))
