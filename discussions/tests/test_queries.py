"""Queries per request do not grow with a thread's length (the benchmark's figures rest on it):
the API's page of a thread, posting a comment and the poll. The HTML page has its own test in
test_views (test_a_thread_costs_the_same_queries_whatever_its_length)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from discussions import services
from discussions.models import Comment
from members.tests.factories import UserFactory
from papers.tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_posting(settings):
    settings.DISCUSSION_RATE = "1000/minute"


def _thread(length: int, authors: list):
    """A paper with `length` comments: roots and replies, some mentioning a member."""
    paper = PaperFactory()
    root = None
    for n in range(length):
        body = f"@{authors[0].username} point {n}" if n % 4 == 1 else f"Point {n} with $x_{n}$"
        parent = None if n % 3 == 0 else root
        comment = services.comment_create(
            author=authors[n % len(authors)], target=paper, body=body, parent_id=parent
        )
        root = comment.pk if parent is None else root
    return paper


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code in (200, 201), response.content[:300]
    return len(captured)


@pytest.fixture
def people(member):
    return [member, *(UserFactory() for _ in range(3))]


def test_a_thread_page_in_the_api_costs_the_same_short_or_long(api, people):
    short, long = _thread(3, people), _thread(60, people)
    client = api(people[0])
    counts = []
    for paper in (short, long):
        url = f"/api/v1/papers/{paper.pk}/comments/"
        client.get(url, {"page_size": 100})  # the first look marks the thread read
        counts.append(_queries(lambda url=url: client.get(url, {"page_size": 100})))
    assert counts[0] == counts[1]


def test_posting_costs_the_same_in_a_short_or_long_thread(api, people):
    short, long = _thread(3, people), _thread(60, people)
    client = api(people[1])
    client.get("/api/v1/me/")  # the client's first request
    counts = [
        _queries(
            lambda p=paper: client.post(f"/api/v1/papers/{p.pk}/comments/", {"body": "More"}, format="json")
        )
        for paper in (short, long)
    ]
    assert counts[0] == counts[1]


def test_a_poll_costs_the_same_in_a_short_or_long_thread(people):
    short, long = _thread(3, people), _thread(60, people)
    client = Client()
    client.force_login(people[0])
    counts = []
    for paper in (short, long):
        latest = Comment.objects.filter(paper=paper).latest("pk").pk
        url = f"/discussions/papers/{paper.pk}/comments/new/?after={latest}"
        client.get(url)
        counts.append(_queries(lambda url=url: client.get(url)))
    assert counts[0] == counts[1]
