"""Feeds and exports can be found from the pages: <link rel="alternate"> in each page's head
(what feed readers look for) and visible "Subscribe" links, every one of which answers."""

import lxml.html
import pytest
from django.urls import reverse

from meetings.tests.factories import AgendaItemFactory, MeetingFactory
from papers.tests.factories import PaperFactory, TagFactory

pytestmark = pytest.mark.django_db

RSS = "application/rss+xml"
ATOM = "application/atom+xml"
ICAL = "text/calendar"
QUEUE = [(RSS, "/feeds/papers/queue.rss"), (ATOM, "/feeds/papers/queue.atom")]
NEW = [(RSS, "/feeds/papers/new.rss"), (ATOM, "/feeds/papers/new.atom")]
SESSIONS = [(RSS, "/feeds/meetings.rss"), (ATOM, "/feeds/meetings.atom"), (ICAL, "/meetings/calendar.ics")]


@pytest.fixture
def meeting(db):
    tag = TagFactory(name="Forecasting")
    meeting = MeetingFactory(title="Forecasting night")
    AgendaItemFactory(meeting=meeting, paper=PaperFactory(title="Graph weather", tags=[tag]))
    return meeting


def _head_feeds(html: bytes) -> list[tuple[str, str]]:
    head = lxml.html.fromstring(html).find("head")
    return [(link.get("type"), link.get("href")) for link in head.iterfind("link[@rel='alternate']")]


def _visible_links(html: bytes) -> set[str]:
    return {
        link.get("href") for link in lxml.html.fromstring(html).iterfind(".//aside[@class='subscribe']//a")
    }


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", QUEUE + NEW),
        ("/papers/trending/", QUEUE + NEW),
        ("/papers/new/", NEW + QUEUE),
        ("/meetings/", SESSIONS),
    ],
)
def test_it_announces_the_pages_feeds_in_the_head(client, meeting, path, expected):
    assert _head_feeds(client.get(path).content) == expected


def test_a_session_page_announces_the_sessions_feeds_and_calendar(client, meeting):
    assert _head_feeds(client.get(meeting.get_absolute_url()).content) == SESSIONS


def test_pages_without_a_feed_of_their_own_announce_none(client, meeting):
    paper = meeting.agenda.get().paper
    for path in (paper.get_absolute_url(), "/papers/tags/"):
        assert _head_feeds(client.get(path).content) == []


def test_a_tag_page_announces_its_own_feeds_which_answer_with_their_type(client, meeting):
    feeds = [(RSS, "/feeds/tags/forecasting.rss"), (ATOM, "/feeds/tags/forecasting.atom")]
    assert _head_feeds(client.get(reverse("papers:tag", args=["forecasting"])).content) == feeds
    for kind, href in feeds:
        response = client.get(href)
        assert response.status_code == 200 and response["Content-Type"].startswith(kind)
        assert b"Graph weather" in response.content


def test_every_announced_feed_answers_with_its_type(client, meeting):
    for kind, href in QUEUE + NEW + SESSIONS:
        response = client.get(href)
        assert response.status_code == 200
        assert response["Content-Type"].startswith(kind), href


def test_the_home_page_links_its_feeds_and_the_queue_as_bibtex(client, meeting):
    links = _visible_links(client.get("/").content)
    assert {href for _, href in QUEUE + NEW} <= links
    assert "/papers/export.bib?ordering=queue" in links


def test_a_session_page_links_the_calendar_as_webcal_and_https_and_its_papers(client, meeting):
    links = _visible_links(client.get(meeting.get_absolute_url()).content)
    assert {"webcal://testserver/meetings/calendar.ics", "http://testserver/meetings/calendar.ics"} <= links
    assert {f"/meetings/{meeting.pk}/papers.bib", f"/meetings/{meeting.pk}/papers.csv"} <= links
    assert {"/feeds/meetings.rss", "/feeds/meetings.atom"} <= links


def test_a_tag_page_links_its_papers_as_bibtex(client, meeting):
    links = _visible_links(client.get(reverse("papers:tag", args=["forecasting"])).content)
    assert links == {
        "/papers/export.bib?tag=forecasting",
        "/feeds/tags/forecasting.rss",
        "/feeds/tags/forecasting.atom",
    }
    response = client.get("/papers/export.bib?tag=forecasting")
    assert response.status_code == 200 and b"Graph weather" in response.content


def test_feeds_are_announced_to_anonymous_visitors_only_when_they_may_read_them(client, meeting, settings):
    settings.SITE_PUBLIC = False
    # A private site sends visitors to log in before any page, so no feed address leaks.
    assert client.get("/").status_code == 302
    assert client.get("/feeds/papers/queue.rss").status_code in (302, 403)
