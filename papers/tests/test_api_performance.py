"""What the benchmark (bench/, issue 7) led to keeps the answers right.

- The API's paper reads (selected columns, prefetched authors and tags, `has_voted` as an
  EXISTS) serialize exactly as the serializers do over plainly loaded papers.
- Keyset pages use one row-value comparison, which an index can seek to.
- Best-match search ranks only the SEARCH_CANDIDATES most trending matches.
- Web lists never count their rows.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIRequestFactory

from meetings.tests.factories import AgendaItemFactory, MeetingFactory
from papers import selectors
from papers.api import PaperDetailSerializer, PaperSerializer
from papers.models import Paper
from papers.services import paper_vote_set
from papers.tests.factories import PaperFactory, SourceFactory, TagFactory

pytestmark = pytest.mark.django_db


def _request(user):
    request = APIRequestFactory().get("/api/v1/papers/")
    request.user = user
    return request


def _as_drf_writes_it(serializer_class, paper_id: int, user) -> dict:
    """The serializer over a paper loaded whole, its relations read one by one."""
    paper = selectors.with_has_voted(Paper.objects.filter(pk=paper_id), user).get()
    return serializer_class(paper, context={"request": _request(user)}).data


def _interesting_paper(submitter):
    tags = [
        TagFactory(name="b topic"),
        TagFactory(name="a topic"),
        TagFactory(name="c topic", kind="category"),
    ]
    paper = PaperFactory(
        tags=tags,
        authors=["Zoë Second", "Ana First", "Bo Third"],
        source=SourceFactory(),
        submitted_by=submitter,
        keywords=["graphs", "kernels"],
        categories=["cs.LG", "stat.ML"],
    )
    AgendaItemFactory(meeting=MeetingFactory(), paper=paper)
    return paper


@pytest.mark.parametrize("role", ["member", "organiser"])
def test_it_writes_a_paper_in_a_list_exactly_as_drf_would(member, organiser, role):
    viewer = organiser if role == "organiser" else member
    paper = _interesting_paper(submitter=member)
    paper_vote_set(user=viewer, paper_id=paper.pk, voted=True)
    fast = selectors.paper_browse(user=viewer).get(pk=paper.pk)
    written = PaperSerializer(fast, context={"request": _request(viewer)}).data
    assert written == _as_drf_writes_it(PaperSerializer, paper.pk, viewer)
    assert written["has_voted"] is True
    assert [a["name"] for a in written["authors"]] == ["Zoë Second", "Ana First", "Bo Third"]
    assert [t["name"] for t in written["tags"]] == ["a topic", "b topic", "c topic"]
    assert ("submitted_by" in written) is (role == "organiser")


@pytest.mark.parametrize("role", ["member", "organiser"])
def test_it_writes_a_paper_page_exactly_as_drf_would(member, organiser, role):
    viewer = organiser if role == "organiser" else member
    paper = _interesting_paper(submitter=member)
    fast = selectors.paper_detail_queryset(user=viewer).get(pk=paper.pk)
    written = PaperDetailSerializer(fast, context={"request": _request(viewer)}).data
    assert written == _as_drf_writes_it(PaperDetailSerializer, paper.pk, viewer)
    assert len(written["meetings"]) == 1 and written["abstract"] == paper.abstract


def test_a_paper_without_authors_or_tags_has_empty_lists(member):
    paper = PaperFactory()
    paper.authorships.all().delete()
    written = PaperSerializer(selectors.paper_browse(user=member).get(pk=paper.pk)).data
    assert written["authors"] == [] and written["tags"] == []


@pytest.mark.parametrize("filters", [{}, {"discussed": "false"}])
def test_a_later_page_is_one_row_value_comparison(api, member, filters):
    for votes in (3, 3, 3, 1, 1, 0):
        paper = PaperFactory()
        Paper.objects.filter(pk=paper.pk).update(vote_count=votes)
    client = api(member)
    following = client.get("/api/v1/papers/", {"ordering": "queue", "page_size": 2, **filters}).json()["next"]
    with CaptureQueriesContext(connection) as queries:
        client.get(following)
    # (votes, score, id) < (…): an index on the order can start right at the position.
    comparison = '("papers_paper"."vote_count", "papers_paper"."trending_score", "papers_paper"."id") <'
    assert any(comparison in q["sql"] for q in queries.captured_queries)


def test_search_ranks_the_best_matches_whatever_their_trending(api, member, monkeypatch):
    monkeypatch.setattr(selectors, "SEARCH_CANDIDATES", 3)
    papers = [PaperFactory(title=f"Sparse kernels number {n}") for n in range(5)]
    for score, paper in enumerate(papers):
        Paper.objects.filter(pk=paper.pk).update(trending_score=score)
    best = PaperFactory(title="Sparse kernels sparse kernels", abstract="")  # the best match…
    Paper.objects.filter(pk=best.pk).update(trending_score=-1)  # …but the least trending
    found = [p["id"] for p in api(member).get("/api/v1/papers/", {"q": "sparse kernels"}).json()["results"]]
    assert len(found) == 3 and found[0] == best.pk


def test_web_lists_never_count_their_papers(client, settings):
    for _ in range(settings.PAGE_SIZE + 1):
        PaperFactory()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    assert "More papers" in response.text
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    last = client.get("/", {"page": 2})
    assert last.status_code == 200 and "More papers" not in last.text
    assert client.get("/", {"page": 3}).status_code == 404
