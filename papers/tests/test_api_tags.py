"""GET /api/v1/tags/: tags with their number of listed papers."""

import pytest

from papers.models import Paper
from papers.tests.factories import PaperFactory, TagFactory

pytestmark = pytest.mark.django_db


def test_tags_come_with_counts_of_listed_papers_only(api, member):
    nlp, vision = TagFactory(name="NLP"), TagFactory(name="Vision", kind="category")
    TagFactory(name="Unused")
    PaperFactory(tags=[nlp, vision])
    PaperFactory(tags=[nlp])
    PaperFactory(tags=[vision], status=Paper.Status.HIDDEN)
    body = api(member).get("/api/v1/tags/").json()
    assert body["results"] == [
        {"slug": "nlp", "name": "NLP", "kind": "topic", "description": "", "paper_count": 2},
        {"slug": "vision", "name": "Vision", "kind": "category", "description": "", "paper_count": 1},
    ]


def test_tags_filter_by_kind_and_page(api, member):
    tags = [TagFactory(name=f"Topic {n:02}") for n in range(5)]
    PaperFactory(tags=[*tags, TagFactory(name="cs.LG", kind="category")])
    client = api()
    assert [t["slug"] for t in client.get("/api/v1/tags/", {"kind": "category"}).json()["results"]] == [
        "cs-lg"
    ]
    first = client.get("/api/v1/tags/", {"kind": "topic", "page_size": 3}).json()
    second = client.get(first["next"]).json()
    names = [t["name"] for t in first["results"] + second["results"]]
    assert names == [f"Topic {n:02}" for n in range(5)]
    assert second["next"] is None


def test_an_unknown_kind_is_a_400(api):
    response = api().get("/api/v1/tags/", {"kind": "colour"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["kind"]


def test_tags_take_three_queries(api, member, django_assert_num_queries):
    for n in range(10):
        PaperFactory(tags=[TagFactory(name=f"t{n}")])
    client = api(member)
    with django_assert_num_queries(3):  # token+member, their tokens, tags with counts
        client.get("/api/v1/tags/")
