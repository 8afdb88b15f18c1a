"""`GET /api/v1/papers/?ordering=for_you` and `POST|DELETE /api/v1/papers/{id}/dismiss/`."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from members.tests.factories import UserFactory
from papers.filters import FOR_YOU_NEEDS_MEMBER
from papers.models import Dismissal, Paper
from papers.tests.factories import PaperFactory, TagFactory
from papers.tests.scripted_group import vote

pytestmark = pytest.mark.django_db
PAPERS = "/api/v1/papers/"
FOR_YOU = f"{PAPERS}?ordering=for_you"


def _dismiss(pk: int) -> str:
    return f"/api/v1/papers/{pk}/dismiss/"


def test_a_member_gets_papers_of_their_topic_with_the_reason(api, member, group):
    vote(member, *group["A"][:2])
    body = api(member).get(PAPERS, {"ordering": "for_you", "page_size": 3}).json()
    rows = body["results"]
    assert {row["id"] for row in rows} <= set(group["A"])
    assert rows[0]["for_you_reason"].startswith("Like “Topic A paper ")
    assert rows[0]["for_you_reason"].endswith("”, which you voted for")
    assert rows[0]["for_you_score"] >= rows[1]["for_you_score"] >= rows[2]["for_you_score"]
    assert not {row["id"] for row in rows} & set(group["A"][:2])
    assert body["next"]


def test_other_orders_do_not_carry_the_for_you_fields(api, member, group):
    row = api(member).get("/api/v1/papers/").json()["results"][0]
    assert "for_you_reason" not in row and "for_you_score" not in row


def test_pages_follow_each_other_without_repeats(api, member, group):
    vote(member, group["A"][0])
    client, seen, url = api(member), [], f"{FOR_YOU}&page_size=4"
    while url:
        body = client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 2 * len(group["A"]) - 1


def test_anonymous_visitors_are_told_to_log_in(api, group):
    response = api().get(FOR_YOU)
    assert response.status_code == 400
    assert response.json()["errors"] == {"ordering": [FOR_YOU_NEEDS_MEMBER]}


def test_a_misspelt_ordering_is_a_400(api, member):
    assert api(member).get("/api/v1/papers/?ordering=for-you").status_code == 400


def test_filters_narrow_the_list(api, member, group):
    tag = TagFactory(name="Chosen")
    Paper.objects.get(pk=group["B"][3]).tags.add(tag)
    vote(member, group["A"][0])
    rows = api(member).get(PAPERS, {"ordering": "for_you", "tag": "chosen"}).json()["results"]
    assert [row["id"] for row in rows] == [group["B"][3]]


@pytest.mark.parametrize("page_size", [2, 10])
def test_the_list_takes_the_same_queries_at_any_page_size(
    api, member, group, page_size, django_assert_num_queries
):
    vote(member, *group["A"][:2])
    client = api(member)
    client.get(FOR_YOU)  # the process loads the papers' embeddings once
    cache.clear()  # my list, and the papers' JSON (papers.api_cache)
    # token+member, their tokens; my signals, their papers, trending candidates, the profile's
    # neighbours; the page, its authors, its tags.
    with django_assert_num_queries(9):
        response = client.get(PAPERS, {"ordering": "for_you", "page_size": page_size})
    assert len(response.json()["results"]) == page_size
    with django_assert_num_queries(5):  # the list is cached: the next page is a list page
        client.get(response.json()["next"])


def test_a_new_member_takes_two_queries_less(api, group, django_assert_num_queries):
    newcomer = UserFactory()
    client = api(newcomer)
    client.get(FOR_YOU)
    cache.clear()  # their list, and the papers' JSON (papers.api_cache)
    with django_assert_num_queries(7):  # no signals: no papers of theirs, no neighbours
        rows = client.get(FOR_YOU).json()["results"]
    assert {row["for_you_reason"] for row in rows} == {"Trending in the group"}


def test_my_votes_and_dismissals_refresh_my_cached_list(api, member, group):
    client = api(member)
    first = client.get(FOR_YOU).json()["results"][0]["id"]
    client.put(f"/api/v1/papers/{first}/vote/")
    assert first not in [row["id"] for row in client.get(FOR_YOU).json()["results"]]
    second = client.get(FOR_YOU).json()["results"][0]["id"]
    client.post(_dismiss(second))
    assert second not in [row["id"] for row in client.get(FOR_YOU).json()["results"]]


def test_a_paper_discussed_meanwhile_leaves_the_cached_list(api, member, group):
    client = api(member)
    first = client.get(FOR_YOU).json()["results"][0]["id"]
    Paper.objects.filter(pk=first).update(discussed_at=timezone.now())
    assert first not in [row["id"] for row in client.get(FOR_YOU).json()["results"]]


def test_a_paper_hidden_meanwhile_leaves_the_cached_list(api, member, group):
    client = api(member)
    first = client.get(FOR_YOU).json()["results"][0]["id"]
    Paper.objects.filter(pk=first).update(status=Paper.Status.HIDDEN)
    assert first not in [row["id"] for row in client.get(FOR_YOU).json()["results"]]


# --- Dismissing -----------------------------------------------------------------------------------


def test_dismissing_takes_a_paper_off_my_list_and_undoing_brings_it_back(api, member, group):
    vote(member, group["A"][0])
    client = api(member)
    first = client.get(FOR_YOU).json()["results"][0]["id"]
    response = client.post(_dismiss(first))
    assert (response.status_code, response.json()) == (200, {"paper_id": first, "dismissed": True})
    assert client.post(_dismiss(first)).status_code == 200  # idempotent
    assert Dismissal.objects.filter(user=member, paper_id=first).count() == 1
    assert first not in [row["id"] for row in client.get(FOR_YOU).json()["results"]]
    undo = client.delete(_dismiss(first))
    assert (undo.status_code, undo.json()) == (200, {"paper_id": first, "dismissed": False})
    assert client.delete(_dismiss(first)).status_code == 200
    assert first in [row["id"] for row in client.get(FOR_YOU).json()["results"]]


def test_dismissing_is_mine_alone(api, member, other_member, group):
    vote(member, group["A"][0])
    vote(other_member, group["A"][0])
    first = api(member).get(FOR_YOU).json()["results"][0]["id"]
    api(member).post(_dismiss(first))
    assert first in [row["id"] for row in api(other_member).get(FOR_YOU).json()["results"]]


def test_dismissing_an_unknown_or_unseen_paper_is_a_404(api, member, other_member):
    hidden = PaperFactory(status=Paper.Status.HIDDEN)
    theirs = PaperFactory(status=Paper.Status.PENDING, submitted_by=other_member)
    mine = PaperFactory(status=Paper.Status.PENDING, submitted_by=member)
    client = api(member)
    for pk in (999_999, 2**63, hidden.pk, theirs.pk):
        assert client.post(_dismiss(pk)).status_code == 404, pk
        assert client.delete(_dismiss(pk)).status_code == 404, pk
    assert client.post(_dismiss(mine.pk)).status_code == 200
    assert not Dismissal.objects.exclude(paper=mine).exists()


def test_organisers_may_dismiss_any_paper_they_see(api, organiser):
    hidden = PaperFactory(status=Paper.Status.HIDDEN)
    assert api(organiser).post(_dismiss(hidden.pk)).status_code == 200


def test_anonymous_clients_cannot_dismiss(api):
    paper = PaperFactory()
    assert api().post(_dismiss(paper.pk)).status_code == 401
    assert api().delete(_dismiss(paper.pk)).status_code == 401
    assert not Dismissal.objects.exists()


def test_dismissing_takes_no_query_string(api, member):
    paper = PaperFactory()
    assert api(member).post(_dismiss(paper.pk) + "?ordering=for_you").status_code == 400


def test_the_schema_documents_the_order_and_the_dismissal(api):
    schema = api().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    ordering = next(
        p for p in schema["paths"]["/api/v1/papers/"]["get"]["parameters"] if p["name"] == "ordering"
    )
    assert "for_you" in ordering["schema"]["enum"] and "log" in ordering["description"]
    dismiss = schema["paths"]["/api/v1/papers/{id}/dismiss/"]
    assert {dismiss["post"]["operationId"], dismiss["delete"]["operationId"]} == {
        "papers_dismiss",
        "papers_dismiss_undo",
    }
    paper = schema["components"]["schemas"]["Paper"]["properties"]
    assert {"for_you_score", "for_you_reason"} <= set(paper)


def test_merging_keeps_a_members_dismissal(member):
    from papers.services import papers_merge

    keep, duplicate = PaperFactory(), PaperFactory()
    Dismissal.objects.create(user=member, paper=duplicate)
    papers_merge(keep=keep, duplicates=[duplicate])
    assert list(Dismissal.objects.values_list("user", "paper")) == [(member.pk, keep.pk)]


def test_my_data_export_lists_my_dismissals(api, member):
    paper = PaperFactory(title="Not for me")
    api(member).post(_dismiss(paper.pk))
    data = api(member).get("/api/v1/me/export/").json()
    assert [(row["paper_id"], row["title"]) for row in data["dismissals"]] == [(paper.pk, "Not for me")]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own limit on statement variables")
def test_a_long_list_fits_in_one_statement_on_sqlite(api, member):
    """The page's CASE holds two values per paper of the list (FOR_YOU_LIMIT of them)."""
    from papers.discovery import FOR_YOU_LIMIT

    for _ in range(FOR_YOU_LIMIT + 5):
        PaperFactory()
    rows = api(UserFactory()).get(PAPERS, {"ordering": "for_you", "page_size": 100}).json()["results"]
    assert len(rows) == 100
