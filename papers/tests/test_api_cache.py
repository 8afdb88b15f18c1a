"""The API list's papers come from the cache (papers.api_cache) only while nothing shown of them
changed: each write a member or an organiser can make shows on the next request, and what one
viewer may see never reaches another through the cache."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from discussions.services import comment_create
from papers.ingest import paper_upsert
from papers.models import Author, Paper
from papers.services import (
    paper_add_tags,
    paper_remove_tags,
    paper_set_status,
    paper_summarise,
    paper_vote_set,
)
from papers.sources.records import AuthorRecord, PaperRecord
from papers.summaries.base import Summary
from papers.tests.factories import PaperFactory, TagFactory

LIST = "/api/v1/papers/"
pytestmark = pytest.mark.django_db


def _listed(client, paper) -> dict | None:
    """The paper as the list shows it now (its JSON cached once before)."""
    results = client.get(LIST).json()["results"]
    return next((row for row in results if row["id"] == paper.pk), None)


@pytest.fixture
def paper():
    return PaperFactory(tags=[TagFactory(name="graphs")], authors=["Ada Example", "Ben Sample"])


@pytest.fixture
def client(api, member, paper):
    client = api(member)
    assert _listed(client, paper) is not None  # cached from here on
    return client


def test_it_serves_a_cached_paper_exactly_as_it_wrote_it(client, paper):
    first = client.get(LIST).json()
    assert client.get(LIST).json() == first
    cache.clear()
    assert client.get(LIST).json() == first


def test_a_vote_shows_at_once(client, paper, member, other_member):
    paper_vote_set(user=other_member, paper_id=paper.pk, voted=True)
    assert _listed(client, paper)["vote_count"] == 1
    paper_vote_set(user=member, paper_id=paper.pk, voted=True)
    shown = _listed(client, paper)
    assert (shown["vote_count"], shown["has_voted"]) == (2, True)


def test_my_vote_does_not_show_as_another_members(client, api, paper, member, other_member):
    paper_vote_set(user=member, paper_id=paper.pk, voted=True)
    assert _listed(client, paper)["has_voted"] is True
    assert _listed(api(other_member), paper)["has_voted"] is False
    assert _listed(api(), paper)["has_voted"] is False


def test_organisers_fields_do_not_reach_members(api, member, organiser):
    paper = PaperFactory(submitted_by=member)
    assert _listed(api(organiser), paper)["submitted_by"] == member.public_name
    assert "submitted_by" not in _listed(api(member), paper)
    assert "status" not in _listed(api(), paper)


def test_a_suggestions_details_stay_with_its_suggester(api, member, other_member):
    paper = PaperFactory(submitted_by=member)
    assert "metadata_error" in _listed(api(member), paper)
    assert "metadata_error" not in _listed(api(other_member), paper)


def test_a_comment_shows_at_once(client, paper, other_member):
    comment_create(author=other_member, target=paper, body="Worth a session")
    assert _listed(client, paper)["comment_count"] == 1


def test_tags_put_on_and_taken_off_show_at_once(client, paper):
    topic = TagFactory(name="kernels")
    paper_add_tags(papers=Paper.objects.filter(pk=paper.pk), tags=[topic])
    assert {t["name"] for t in _listed(client, paper)["tags"]} == {"graphs", "kernels"}
    paper_remove_tags(papers=Paper.objects.filter(pk=paper.pk), tags=[topic])
    assert {t["name"] for t in _listed(client, paper)["tags"]} == {"graphs"}


def test_a_category_linked_through_the_relation_shows_at_once(client, paper):
    category = TagFactory(name="cs.LG", kind="category")
    paper.tags.add(category)
    assert {t["name"] for t in _listed(client, paper)["tags"]} == {"graphs", "cs.LG"}
    category.papers.clear()
    assert {t["name"] for t in _listed(client, paper)["tags"]} == {"graphs"}
    paper.tags.clear()
    assert _listed(client, paper)["tags"] == []


def test_a_tag_renamed_or_deleted_shows_at_once(client, paper):
    tag = paper.tags.get()
    tag.name = "graph theory"
    tag.save()
    assert [t["name"] for t in _listed(client, paper)["tags"]] == ["graph theory"]
    tag.delete()
    assert _listed(client, paper)["tags"] == []


def test_an_author_renamed_or_deleted_shows_at_once(client, paper):
    author = Author.objects.get(name="Ada Example")
    author.name = "Ada Q. Example"
    author.save()
    assert [a["name"] for a in _listed(client, paper)["authors"]] == ["Ada Q. Example", "Ben Sample"]
    author.delete()
    assert [a["name"] for a in _listed(client, paper)["authors"]] == ["Ben Sample"]


def test_authors_replaced_by_a_newer_version_show_at_once(api, member):
    old = PaperRecord(title="Kernels", arxiv_id="2401.00001", arxiv_version=1, authors=[AuthorRecord("Ada")])
    paper_upsert(records=[old])
    paper = Paper.objects.get(arxiv_id="2401.00001")
    Paper.objects.filter(pk=paper.pk).update(status=Paper.Status.LISTED)
    client = api(member)
    assert [a["name"] for a in _listed(client, paper)["authors"]] == ["Ada"]
    new = PaperRecord(
        title="Kernels",
        arxiv_id="2401.00001",
        arxiv_version=2,
        authors=[AuthorRecord("Ada"), AuthorRecord("Ben", "Lab")],
    )
    paper_upsert(records=[new])
    assert _listed(client, paper)["authors"] == [
        {"name": "Ada", "affiliation": ""},
        {"name": "Ben", "affiliation": "Lab"},
    ]


def test_a_hidden_paper_leaves_the_list_at_once(client, paper):
    paper_set_status(papers=Paper.objects.filter(pk=paper.pk), status=Paper.Status.HIDDEN)
    assert _listed(client, paper) is None


def test_a_new_summary_shows_at_once(client, paper):
    class Fixed:
        def summarise(self, *, title, abstract):
            return Summary(text="A shorter TL;DR.", backend="fixed", keywords=["kernels"])

    paper_summarise(paper_id=paper.pk, backend=Fixed())
    shown = _listed(client, paper)
    assert (shown["summary"], shown["keywords"]) == ("A shorter TL;DR.", ["kernels"])


def test_an_app_syncing_leaves_nothing_in_the_cache(api, member, django_assert_num_queries):
    PaperFactory.create_batch(3)
    client = api(member)
    client.get(LIST, {"updated_since": "2000-01-01T00:00:00Z"})
    with django_assert_num_queries(5):  # token+member, their tokens, page, authors, tags
        client.get(LIST)
    with django_assert_num_queries(3):  # the same papers' JSON is kept now
        client.get(LIST)


def test_each_search_writes_its_own_rank_on_the_cached_json(api, member):
    PaperFactory(title="Sparse kernels for graphs", tags=[TagFactory(name="systems")], authors=["Cy Other"])
    PaperFactory(title="Dense kernels on accelerators")
    client = api(member)
    queries = ("sparse kernels", "accelerators kernels")  # each puts the other paper first
    cold = {query: _searched(client, query, cold=True) for query in queries}
    ranks = [{row["id"]: row["search_rank"] for row in cold[query][0]} for query in queries]
    assert ranks[0].keys() == ranks[1].keys() and all(ranks[0][pk] != ranks[1][pk] for pk in ranks[0])
    assert all("search_rank" not in row for row in client.get(LIST).json()["results"])
    for query, other in (queries, queries[::-1]):
        rows, queries_cold = cold[query]
        _searched(client, other, cold=True)  # the papers' JSON is cached by the other search
        again, queries_warm = _searched(client, query)
        assert again == rows and list(again[0]) == list(rows[0])  # its own ranks, keys in order
        assert queries_warm < queries_cold  # from the cache: their authors and tags not loaded


def _searched(client, query: str, *, cold: bool = False) -> tuple[list[dict], int]:
    """A search's results and the number of queries it took (with nothing cached if `cold`)."""
    if cold:
        cache.clear()
    with CaptureQueriesContext(connection) as queries:
        results = client.get(LIST, {"q": query}).json()["results"]
    return results, len(queries)
