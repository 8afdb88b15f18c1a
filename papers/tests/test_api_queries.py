"""Queries per API request stay flat whatever the page size (token authentication included).

Budgets from the issue: list <= 4, detail <= 5, vote <= 4. A page of papers is one query (the
papers with their source and my votes) when their JSON is cached (papers.api_cache), three
when it is not (then their authors and their tags: papers.selectors.list_relations), a paper's
page three and one more for its sessions. Authentication is two of them (knox: the token with
its member, then the member's other tokens, for expired ones to go), and never a write.
"""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meetings.tests.factories import AgendaItemFactory, MeetingFactory
from papers.services import paper_vote_set
from papers.tests.factories import PaperFactory, TagFactory

pytestmark = pytest.mark.django_db


def _papers(count: int, voter) -> list:
    tags = [TagFactory(name=f"topic {n}") for n in range(3)]
    papers = [
        PaperFactory(tags=tags, authors=["One Author", "Two Author", "Three Author"]) for _ in range(count)
    ]
    for paper in papers[::2]:
        paper_vote_set(user=voter, paper_id=paper.pk, voted=True)
    return papers


@pytest.mark.parametrize("cached", [True, False])
@pytest.mark.parametrize("page_size", [5, 50])
def test_the_paper_list_takes_three_queries_or_five_uncached_at_any_page_size(
    api, member, page_size, cached, django_assert_num_queries
):
    _papers(50, member)
    client = api(member)
    query = {"page_size": page_size, "q": "study", "tag": "topic-1"}
    client.get("/api/v1/papers/", query)  # the process loads the papers' embeddings once
    if not cached:
        cache.clear()
    # token+member, their tokens, page, and uncached its authors and its tags; the search's
    # ranking statements (words, authors' and tags' names, and on PostgreSQL the words'
    # document frequencies and typo-tolerant titles).
    search = 4 if connection.vendor == "postgresql" else 2
    with django_assert_num_queries((3 if cached else 5) + search):
        response = client.get("/api/v1/papers/", query)
    assert len(response.json()["results"]) == page_size


def test_a_filtered_later_page_takes_three_queries_too(api, member, django_assert_num_queries):
    _papers(12, member)
    client = api(member)
    query = {"page_size": 5, "voted": "me", "ordering": "votes"}
    next_url = client.get("/api/v1/papers/", {**query, "page_size": 10}).json()["next"]  # caches 10
    next_url = client.get("/api/v1/papers/", query).json()["next"]
    with django_assert_num_queries(3):
        client.get(next_url)


def test_anonymous_lists_take_three_queries_or_one_cached(api, django_assert_num_queries):
    for _ in range(10):
        PaperFactory(tags=[TagFactory()])
    with django_assert_num_queries(3):
        api().get("/api/v1/papers/")
    with django_assert_num_queries(1):
        api().get("/api/v1/papers/")


def test_a_paper_takes_six_queries(api, member, django_assert_num_queries):
    paper = _papers(1, member)[0]
    for _ in range(3):
        AgendaItemFactory(meeting=MeetingFactory(), paper=paper)
    client = api(member)
    with django_assert_num_queries(6):  # token+member, their tokens, paper, authors, tags, sessions
        response = client.get(f"/api/v1/papers/{paper.pk}/")
    assert len(response.json()["meetings"]) == 3


def test_a_304_needs_no_authors_or_tags(api, member, django_assert_num_queries):
    _papers(20, member)
    client = api(member)
    etag = client.get("/api/v1/papers/")["ETag"]
    cache.clear()  # the papers' JSON is not needed either
    with django_assert_num_queries(3):  # token+member, their tokens, page
        assert client.get("/api/v1/papers/", HTTP_IF_NONE_MATCH=etag).status_code == 304


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


@pytest.mark.parametrize("method", ["put", "delete"])
def test_a_vote_takes_four_queries(api, member, method):
    """Statements that read or write data; transaction control is left out of the count
    because it differs by backend and test mode (SQLite logs BEGIN/COMMIT, PostgreSQL
    does not, and test transactions turn the service's atomic block into SAVEPOINTs)."""
    paper = PaperFactory()
    client = api(member)
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(f"/api/v1/papers/{paper.pk}/vote/")
    assert response.status_code == 200
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL)]
    # token+member, their tokens, then INSERT/DELETE ... RETURNING and UPDATE ... RETURNING
    # (or SELECT of the count)
    assert len(statements) == 4, statements
