"""GET /api/v1/papers/ and /api/v1/papers/{id}/ for each role."""

import json

import pytest
from django.utils import timezone

from meetings.tests.factories import AgendaItemFactory, MeetingFactory
from papers.models import Paper
from papers.services import paper_vote_set
from papers.tests.factories import PaperFactory, SourceFactory, TagFactory

LIST = "/api/v1/papers/"
pytestmark = pytest.mark.django_db


def _detail(paper) -> str:
    return f"/api/v1/papers/{paper.pk}/"


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [paper["id"] for paper in response.json()["results"]]


def test_anonymous_visitors_see_listed_papers_without_organiser_fields(api):
    listed = PaperFactory()
    PaperFactory(status=Paper.Status.PENDING)
    PaperFactory(status=Paper.Status.HIDDEN)
    response = api().get(LIST)
    assert _ids(response) == [listed.pk]
    paper = response.json()["results"][0]
    assert paper["has_voted"] is False
    assert "status" not in paper and "submitted_by" not in paper


def test_members_see_their_own_votes_only(api, member, other_member):
    mine, theirs = PaperFactory(), PaperFactory()
    paper_vote_set(user=member, paper_id=mine.pk, voted=True)
    paper_vote_set(user=other_member, paper_id=theirs.pk, voted=True)
    results = api(member).get(LIST).json()["results"]
    assert {p["id"]: p["has_voted"] for p in results} == {mine.pk: True, theirs.pk: False}
    assert {p["id"]: p["vote_count"] for p in results} == {mine.pk: 1, theirs.pk: 1}


def test_a_members_status_filter_is_ignored(api, member):
    listed = PaperFactory()
    PaperFactory(status=Paper.Status.PENDING)
    assert _ids(api(member).get(LIST, {"status": "pending"})) == [listed.pk]


def test_organisers_see_status_and_may_list_pending_or_hidden_papers(api, organiser, member):
    listed = PaperFactory()
    pending = PaperFactory(status=Paper.Status.PENDING, submitted_by=member)
    hidden = PaperFactory(status=Paper.Status.HIDDEN)
    client = api(organiser)
    assert _ids(client.get(LIST)) == [listed.pk]
    response = client.get(LIST, {"status": "pending"})
    assert _ids(response) == [pending.pk]
    assert response.json()["results"][0]["status"] == "pending"
    assert response.json()["results"][0]["submitted_by"] == member.public_name
    assert _ids(client.get(LIST, {"status": "hidden"})) == [hidden.pk]


def test_the_detail_has_authors_in_order_tags_links_and_sessions(api, member):
    tag = TagFactory(name="cs.CL", kind="category")
    source = SourceFactory(name="arXiv cs.CL")
    paper = PaperFactory(
        authors=["Zoe Last", "Adam First", "Mia Middle"],
        tags=[tag],
        source=source,
        keywords=["parsing", "syntax"],
        arxiv_id="2401.01234",
        arxiv_version=2,
        url="https://arxiv.org/abs/2401.01234",
        pdf_url="https://arxiv.org/pdf/2401.01234",
    )
    meeting = MeetingFactory(title="Parsing night")
    AgendaItemFactory(meeting=meeting, paper=paper)
    AgendaItemFactory(meeting=MeetingFactory(status="cancelled"), paper=paper)
    paper_vote_set(user=member, paper_id=paper.pk, voted=True)
    body = api(member).get(_detail(paper)).json()
    assert [a["name"] for a in body["authors"]] == ["Zoe Last", "Adam First", "Mia Middle"]
    assert body["tags"] == [{"slug": "cs-cl", "name": "cs.CL", "kind": "category"}]
    assert body["summary"] == paper.summary
    assert body["abstract"] == paper.abstract
    assert body["keywords"] == ["parsing", "syntax"]
    assert (body["url"], body["pdf_url"], body["arxiv_id"], body["arxiv_version"]) == (
        paper.url,
        paper.pdf_url,
        "2401.01234",
        2,
    )
    assert body["source"] == {"id": source.pk, "name": "arXiv cs.CL"}
    assert (body["vote_count"], body["has_voted"]) == (1, True)
    assert [m["title"] for m in body["meetings"]] == ["Parsing night"]  # not the cancelled one


@pytest.mark.parametrize("status", [Paper.Status.PENDING, Paper.Status.HIDDEN])
def test_members_cannot_open_unlisted_papers(api, member, status):
    paper = PaperFactory(status=status)
    response = api(member).get(_detail(paper))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found", "errors": {}}


def test_the_suggester_and_organisers_can_open_a_pending_paper(api, member, other_member, organiser):
    paper = PaperFactory(status=Paper.Status.PENDING, submitted_by=member)
    assert api(member).get(_detail(paper)).status_code == 200
    assert api(other_member).get(_detail(paper)).status_code == 404
    response = api(organiser).get(_detail(paper))
    assert response.json()["status"] == "pending"


@pytest.mark.parametrize("path", ["/api/v1/papers/0/", "/api/v1/papers/99999999999999999999999/"])
def test_unknown_papers_are_a_404(api, member, path):
    assert api(member).get(path).status_code == 404


def test_no_response_shows_another_members_email(api, member, other_member, organiser):
    paper = PaperFactory(submitted_by=other_member)
    meeting = MeetingFactory()
    AgendaItemFactory(meeting=meeting, paper=paper, presenter=other_member)
    for client in (api(member), api(organiser), api()):
        for path in (
            LIST,
            _detail(paper),
            "/api/v1/meetings/",
            f"/api/v1/meetings/{meeting.pk}/",
            "/api/v1/tags/",
        ):
            text = json.dumps(client.get(path).json())
            assert other_member.email not in text, path
            assert "@" not in text, path


def test_the_list_pages_through_every_paper_once_despite_tied_votes(api, member):
    papers = [PaperFactory() for _ in range(7)]
    paper_vote_set(user=member, paper_id=papers[3].pk, voted=True)
    client = api(member)
    for ordering in ("votes", "trending", "newest", "queue"):
        seen, url = [], f"{LIST}?ordering={ordering}&page_size=2"
        while url:
            body = client.get(url).json()
            seen += [p["id"] for p in body["results"]]
            url = body["next"]
        assert sorted(seen) == sorted(p.pk for p in papers), ordering
        assert len(seen) == len(set(seen)), ordering
    first_votes = client.get(LIST, {"ordering": "votes"}).json()["results"][0]
    assert first_votes["id"] == papers[3].pk


def test_previous_links_lead_back_to_the_same_pages(api, member):
    for _ in range(5):
        PaperFactory()
    client = api(member)
    first = client.get(LIST, {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    assert third["next"] is None
    assert client.get(third["previous"]).json()["results"] == second["results"]
    back = client.get(second["previous"]).json()
    assert back["results"] == first["results"]
    assert back["previous"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 101}, "page_size"),
        ({"page_size": "²"}, "page_size"),
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": "eyJvIjpbIi1pZCJdLCJ2IjpbMV0sInIiOmZhbHNlfQ"}, "cursor"),  # another order's cursor
        ({"ordering": "random"}, "ordering"),
    ],
)
def test_bad_paging_is_a_400_naming_the_parameter(api, member, params, field):
    PaperFactory()
    response = api(member).get(LIST, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_tampered_cursor_is_a_400_not_a_500(api, member):
    import base64

    PaperFactory()
    forged = {"o": ["-trending_score", "-id"], "v": ["not a number", 10**30], "r": False}
    cursor = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode()
    assert api(member).get(LIST, {"cursor": cursor}).status_code == 400
    forged["v"] = ["abc", 1]
    cursor = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode()
    assert api(member).get(LIST, {"cursor": cursor}).status_code == 400


def test_discussed_papers_are_flagged(api, member):
    paper = PaperFactory(discussed_at=timezone.now())
    body = api(member).get(_detail(paper)).json()
    assert body["discussed"] is True
    assert body["discussed_at"] is not None
