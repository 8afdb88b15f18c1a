"""Related papers: computed after embedding (papers.related), stored, read in one query by the
paper page and GET /api/v1/papers/{id}/related/, never showing papers a reader may not see."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from outbox.tests.helpers import first_args
from papers import tasks
from papers.models import Paper, RelatedPaper
from papers.related import RELATED_COUNT, papers_relate
from papers.services import paper_embed
from papers.tests.factories import PaperFactory

pytestmark = pytest.mark.django_db

ROUTING = "Mixture-of-experts routing sends each token to a few expert feedforward blocks."
CALIBRATION = "Temperature scaling corrects the calibration of a classifier's probabilities."


def _topic_papers(abstract: str, count: int, **fields) -> list[Paper]:
    return [
        PaperFactory(
            title=f"Paper {i} on {abstract.split()[0]}", abstract=f"{abstract} Variant {i}.", **fields
        )
        for i in range(count)
    ]


def _related_ids(paper: Paper) -> list[int]:
    return list(
        RelatedPaper.objects.filter(paper=paper).order_by("rank").values_list("related_id", flat=True)
    )


def test_embedding_a_paper_queues_its_related_papers(monkeypatch, django_capture_on_commit_callbacks):
    queued = first_args(monkeypatch, tasks.relate_papers)
    paper = PaperFactory()
    with django_capture_on_commit_callbacks():
        paper_embed(paper_ids=[paper.pk])
    assert queued == [[paper.pk]]


def test_a_paper_is_related_to_its_nearest_listed_papers_best_first():
    routing = _topic_papers(ROUTING, 3)
    calibration = _topic_papers(CALIBRATION, 3)
    hidden = PaperFactory(title="Expert routing", abstract=ROUTING, status=Paper.Status.HIDDEN)
    pending = PaperFactory(title="Routing experts", abstract=ROUTING, status=Paper.Status.PENDING)
    everyone = [*routing, *calibration, hidden, pending]
    paper_embed(paper_ids=[p.pk for p in everyone])
    assert papers_relate(paper_ids=[routing[0].pk, hidden.pk]) == 2
    related = _related_ids(routing[0])
    assert set(related[:2]) == {routing[1].pk, routing[2].pk}
    assert set(related) == {p.pk for p in [*routing[1:], *calibration]}  # listed only, never itself
    links = list(RelatedPaper.objects.filter(paper=routing[0]).order_by("rank"))
    assert [link.rank for link in links] == list(range(1, len(links) + 1))
    assert all(a.score >= b.score for a, b in zip(links, links[1:], strict=False))
    assert set(_related_ids(hidden)[:3]) == {p.pk for p in routing}  # a hidden paper has neighbours too


def test_at_most_ten_are_kept_and_recomputing_replaces_them():
    papers = _topic_papers(ROUTING, RELATED_COUNT + 3)
    paper_embed(paper_ids=[p.pk for p in papers])
    papers_relate(paper_ids=[papers[0].pk])
    assert len(_related_ids(papers[0])) == RELATED_COUNT
    Paper.objects.filter(pk__in=_related_ids(papers[0])[:5]).update(status=Paper.Status.HIDDEN)
    papers_relate(paper_ids=[papers[0].pk])
    assert len(_related_ids(papers[0])) == len(papers) - 1 - 5


def test_a_new_listed_paper_enters_the_lists_of_older_papers_it_is_near():
    older = _topic_papers(ROUTING, RELATED_COUNT + 1)
    paper_embed(paper_ids=[p.pk for p in older])
    papers_relate(paper_ids=[p.pk for p in older])
    first_before = _related_ids(older[0])
    twin = PaperFactory(title=older[0].title, abstract=older[0].abstract)  # nearer than any
    hidden_twin = PaperFactory(title=older[0].title, abstract=older[0].abstract, status=Paper.Status.HIDDEN)
    paper_embed(paper_ids=[twin.pk, hidden_twin.pk])
    papers_relate(paper_ids=[twin.pk, hidden_twin.pk])
    after = _related_ids(older[0])
    assert after[0] == twin.pk and after[1:] == first_before[:-1]  # the farthest made room
    assert hidden_twin.pk not in after
    ranks = RelatedPaper.objects.filter(paper=older[0]).order_by("rank").values_list("rank", flat=True)
    assert list(ranks) == list(range(1, RELATED_COUNT + 1))


def test_papers_without_an_embedding_get_none():
    paper = PaperFactory()
    assert papers_relate(paper_ids=[paper.pk, 10**9]) == 0
    assert not RelatedPaper.objects.exists()


def test_the_command_recomputes_every_embedded_papers_related_papers(capsys):
    papers = _topic_papers(ROUTING, 3)
    PaperFactory()  # no embedding
    paper_embed(paper_ids=[p.pk for p in papers])
    call_command("relate_papers")
    assert "Stored 6 related paper(s) for 3 paper(s)." in capsys.readouterr().out
    assert set(_related_ids(papers[2])) == {papers[0].pk, papers[1].pk}


def _link(paper: Paper, related: Paper, rank: int, score: float = 0.9) -> RelatedPaper:
    return RelatedPaper.objects.create(paper=paper, related=related, rank=rank, score=score)


# --- Paper page ------------------------------------------------------------------------------------


def test_the_page_shows_related_papers_in_one_query_whatever_their_number(client):
    paper = PaperFactory()
    _link(paper, PaperFactory(title="The nearest one"), 1)
    url = reverse("papers:detail", args=[paper.pk])
    with CaptureQueriesContext(connection) as one:
        page = client.get(url).content.decode()
    assert "Related papers" in page and "The nearest one" in page
    for rank in range(2, RELATED_COUNT + 1):
        _link(paper, PaperFactory(), rank)
    with CaptureQueriesContext(connection) as ten:
        page = client.get(url).content.decode()
    assert page.count('<li><a href="/papers/') >= RELATED_COUNT
    assert len(ten.captured_queries) == len(one.captured_queries)
    assert sum("papers_relatedpaper" in q["sql"] for q in ten.captured_queries) == 1


def test_the_page_leaves_out_related_papers_hidden_or_pending_since(client, organiser):
    paper = PaperFactory()
    _link(paper, PaperFactory(title="Listed neighbour"), 1)
    _link(paper, PaperFactory(title="Hidden neighbour", status=Paper.Status.HIDDEN), 2)
    _link(paper, PaperFactory(title="Pending neighbour", status=Paper.Status.PENDING), 3)
    _link(paper, PaperFactory(title="Still fetched", metadata_pending=True), 4)
    for reader in (None, organiser):
        if reader is not None:
            client.force_login(reader)
        page = client.get(reverse("papers:detail", args=[paper.pk])).content.decode()
        assert "Listed neighbour" in page
        assert (
            "Hidden neighbour" not in page and "Pending neighbour" not in page and "Still fetched" not in page
        )


def test_a_paper_without_related_papers_shows_no_section(client):
    page = client.get(reverse("papers:detail", args=[PaperFactory().pk])).content.decode()
    assert "Related papers" not in page


# --- API -------------------------------------------------------------------------------------------


def _related_url(paper: Paper) -> str:
    return f"/api/v1/papers/{paper.pk}/related/"


def test_the_api_lists_related_papers_with_their_scores_in_two_queries(api, django_assert_num_queries):
    paper = PaperFactory()
    neighbours = [PaperFactory(title=f"Neighbour {rank}") for rank in range(1, RELATED_COUNT + 1)]
    for rank, other in enumerate(neighbours, start=1):
        _link(paper, other, rank, score=1 - rank / 100)
    _link(paper, PaperFactory(status=Paper.Status.HIDDEN), RELATED_COUNT + 1)
    client = api()
    with django_assert_num_queries(2):  # the paper may be opened; its related papers
        response = client.get(_related_url(paper))
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["id"] for r in results] == [p.pk for p in neighbours]
    first = results[0]
    assert first["title"] == "Neighbour 1" and first["score"] == pytest.approx(0.99) and first["rank"] == 1
    assert first["web_url"] == f"http://testserver/papers/{neighbours[0].pk}/"
    assert set(first) == {
        *("id", "title", "summary", "keywords", "published_at", "url", "arxiv_id", "doi"),
        *("vote_count", "comment_count", "web_url", "score", "rank"),
    }


def test_the_api_hides_papers_one_may_not_open(api, member, organiser):
    hidden = PaperFactory(status=Paper.Status.HIDDEN)
    _link(hidden, PaperFactory(), 1)
    assert api(member).get(_related_url(hidden)).status_code == 404
    assert api().get("/api/v1/papers/999999/related/").status_code == 404
    assert len(api(organiser).get(_related_url(hidden)).json()["results"]) == 1


def test_the_api_refuses_unknown_query_parameters(api):
    response = api().get(_related_url(PaperFactory()), {"limit": 5})
    assert response.status_code == 400
    assert "limit" in response.content.decode()
