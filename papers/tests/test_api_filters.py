"""PaperFilter through GET /api/v1/papers/: each filter, the orders, and bad values."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from papers.services import paper_vote_set
from papers.tests.factories import PaperFactory, SourceFactory, TagFactory

LIST = "/api/v1/papers/"
pytestmark = pytest.mark.django_db


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [paper["id"] for paper in response.json()["results"]]


def _day(text: str) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(text))


def test_it_filters_by_tag_slug(api, member):
    nlp = TagFactory(name="NLP")
    tagged = PaperFactory(tags=[nlp])
    PaperFactory(tags=[TagFactory(name="Vision")])
    assert _ids(api(member).get(LIST, {"tag": "nlp"})) == [tagged.pk]
    assert _ids(api(member).get(LIST, {"tag": "unknown"})) == []


def test_it_filters_by_source(api, member):
    feed = SourceFactory()
    mine = PaperFactory(source=feed)
    PaperFactory(source=SourceFactory())
    assert _ids(api(member).get(LIST, {"source": feed.pk})) == [mine.pk]


def test_published_since_and_until_include_both_days(api, member):
    early = PaperFactory(published_at=_day("2025-03-01T23:30:00"))
    middle = PaperFactory(published_at=_day("2025-03-05T00:00:00"))
    late = PaperFactory(published_at=_day("2025-03-09T08:00:00"))
    client = api(member)
    ordering = {"ordering": "newest"}
    assert _ids(client.get(LIST, {"published_since": "2025-03-05", **ordering})) == [late.pk, middle.pk]
    assert _ids(client.get(LIST, {"published_until": "2025-03-05", **ordering})) == [middle.pk, early.pk]
    both = {"published_since": "2025-03-01", "published_until": "2025-03-01"}
    assert _ids(client.get(LIST, both)) == [early.pk]
    edges = {"published_since": "0001-01-01", "published_until": "9999-12-31", **ordering}
    assert _ids(client.get(LIST, edges)) == [late.pk, middle.pk, early.pk]


def test_voted_me_lists_my_votes_and_nothing_for_anonymous_clients(api, member, other_member):
    mine, theirs = PaperFactory(), PaperFactory()
    PaperFactory()
    paper_vote_set(user=member, paper_id=mine.pk, voted=True)
    paper_vote_set(user=other_member, paper_id=theirs.pk, voted=True)
    assert _ids(api(member).get(LIST, {"voted": "me"})) == [mine.pk]
    assert _ids(api().get(LIST, {"voted": "me"})) == []


def test_discussed_true_and_false(api, member):
    done = PaperFactory(discussed_at=timezone.now())
    open_ = PaperFactory()
    assert _ids(api(member).get(LIST, {"discussed": "true"})) == [done.pk]
    assert _ids(api(member).get(LIST, {"discussed": "false"})) == [open_.pk]
    assert _ids(api(member).get(LIST, {"discussed": "no"})) == [open_.pk]


def test_the_orders(api, member, other_member):
    now = timezone.now()
    old_popular = PaperFactory(created_at=now - timedelta(days=60), published_at=now - timedelta(days=60))
    new_quiet = PaperFactory(created_at=now, published_at=now)
    discussed = PaperFactory(
        created_at=now - timedelta(days=1), discussed_at=now, published_at=now - timedelta(1)
    )
    for user in (member, other_member):
        paper_vote_set(user=user, paper_id=old_popular.pk, voted=True)
        paper_vote_set(user=user, paper_id=discussed.pk, voted=True)
    paper_vote_set(user=member, paper_id=discussed.pk, voted=False)
    client = api(member)
    assert _ids(client.get(LIST, {"ordering": "votes"})) == [old_popular.pk, discussed.pk, new_quiet.pk]
    assert _ids(client.get(LIST, {"ordering": "newest"})) == [new_quiet.pk, discussed.pk, old_popular.pk]
    assert _ids(client.get(LIST, {"ordering": "queue"})) == [old_popular.pk, new_quiet.pk]
    # Trending: a vote counts as much as a few days of age; 60 days of decay outweigh two votes.
    assert _ids(client.get(LIST, {"ordering": "trending"})) == [discussed.pk, new_quiet.pk, old_popular.pk]
    assert _ids(client.get(LIST)) == _ids(client.get(LIST, {"ordering": "trending"}))


def test_search_matches_title_summary_and_abstract(api, member):
    by_title = PaperFactory(title="Sparse attention for long documents")
    by_summary = PaperFactory(summary="A sparse mixture of experts.")
    PaperFactory(title="Dense retrieval", summary="Nothing related.", abstract="Nothing here.")
    found = _ids(api(member).get(LIST, {"q": "sparse"}))
    assert sorted(found) == sorted([by_title.pk, by_summary.pk])
    assert found[0] == by_title.pk  # a title hit ranks first


def test_search_with_an_explicit_order_uses_that_order(api, member, other_member):
    a = PaperFactory(title="Graph networks one")
    b = PaperFactory(title="Graph networks two")
    paper_vote_set(user=other_member, paper_id=a.pk, voted=True)
    assert _ids(api(member).get(LIST, {"q": "graph", "ordering": "votes"})) == [a.pk, b.pk]


def test_filters_combine(api, member):
    nlp = TagFactory(name="NLP")
    hit = PaperFactory(title="Tokenisers compared", tags=[nlp])
    PaperFactory(title="Tokenisers again")
    PaperFactory(title="Other", tags=[nlp])
    assert _ids(api(member).get(LIST, {"q": "tokenisers", "tag": "nlp", "discussed": "false"})) == [hit.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"published_since": "yesterday"}, "published_since"),
        ({"published_until": "2025-02-30"}, "published_until"),
        ({"source": "abc"}, "source"),
        ({"source": "1.5"}, "source"),
        ({"voted": "you"}, "voted"),
        ({"discussed": "maybe"}, "discussed"),
        ({"q": "x" * 201}, "q"),
        ({"q": "nul\x00byte"}, "q"),
        ({"tag": "nul\x00"}, "tag"),
    ],
)
def test_bad_filter_values_are_a_400_naming_the_field(api, member, params, field):
    response = api(member).get(LIST, params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["errors"]) == [field]


def test_a_source_id_out_of_range_is_a_400_not_an_overflow(api, member):
    PaperFactory(source=SourceFactory())
    response = api(member).get(LIST, {"source": str(10**30)})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["source"]
