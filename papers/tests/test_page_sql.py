"""The paper reads PostgreSQL writes as JSON (papers.page_sql) answer exactly as the general path.

Each request is made twice: as it comes, which takes the SQL path, and with that path
switched off, which goes through django-filter, the ORM and the serializers. The bodies,
statuses and links must be equal, over every order, both cursor directions, page sizes,
members and anonymous readers, and the papers one may and may not open.
"""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.db import connection

from meetings.tests.factories import AgendaItemFactory, MeetingFactory
from papers import page_sql
from papers.models import Paper
from papers.selectors import ORDERINGS
from papers.services import paper_vote_set
from papers.tests.factories import PaperFactory, SourceFactory, TagFactory
from readinggroup.tests.prepared import prepared_statements

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def spy(monkeypatch):
    """Counts the pages and papers the SQL path answers."""
    calls = {"list": 0, "detail": 0}
    listed_page, paper_json = page_sql.listed_page, page_sql.paper_json

    def counting_page(*args, **kwargs):
        calls["list"] += 1
        return listed_page(*args, **kwargs)

    def counting_paper(*args, **kwargs):
        calls["detail"] += 1
        return paper_json(*args, **kwargs)

    monkeypatch.setattr(page_sql, "listed_page", counting_page)
    monkeypatch.setattr(page_sql, "paper_json", counting_paper)
    return calls


@pytest.fixture
def both_ways(monkeypatch, spy):
    """get(client, url) -> (SQL path response, general path response)."""

    def get(client, url):
        before = spy["list"] + spy["detail"]
        fast = client.get(url)
        assert spy["list"] + spy["detail"] == before + 1, "the SQL path did not answer"
        with monkeypatch.context() as patch:
            patch.setattr(page_sql, "applies", lambda *args, **kwargs: False)
            general = client.get(url)
        return fast, general

    return get


@pytest.fixture
def papers(member, other_member):
    """Papers that exercise every field: ties in votes and scores, odd text, both kinds of
    timestamps (with and without microseconds), discussed, pending and hidden ones."""
    source = SourceFactory(name='Feed "quoted" – ünïcode')
    tags = [TagFactory(name="b topic"), TagFactory(name="a topic"), TagFactory(name="kw", kind="keyword")]
    whole_second = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)
    made = []
    for n in range(9):
        made.append(
            PaperFactory(
                title=f'Paper {n}: "quotes", back\\slash, ünïcode ∑ and a tab\t',
                authors=["Zoë Second", "Ana First"][: n % 3],
                tags=tags[: n % 4],
                source=source if n % 2 else None,
                keywords=["graphs", "kernels"] if n % 2 else [],
                published_at=whole_second - timedelta(days=n, microseconds=(n % 3) * 1234),
                doi="" if n % 3 else f"10.1234/p{n}",
            )
        )
    for paper, voters in zip(
        made, [[member, other_member], [member], [other_member], [member]], strict=False
    ):
        for voter in voters:
            paper_vote_set(user=voter, paper_id=paper.pk, voted=True)
    Paper.objects.filter(pk=made[4].pk).update(discussed_at=whole_second + timedelta(microseconds=7))
    # Trailing zeros in the microseconds stay: isoformat() writes all six digits.
    Paper.objects.filter(pk=made[7].pk).update(discussed_at=whole_second + timedelta(microseconds=500000))
    Paper.objects.filter(pk=made[5].pk).update(trending_score=0.0, vote_count=0)
    PaperFactory(status=Paper.Status.PENDING, submitted_by=member)
    PaperFactory(status=Paper.Status.HIDDEN)
    return made


def _local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _walk(both_ways, client, url) -> int:
    """Follow next links to the end and one previous link back, comparing every page."""
    pages, last = 0, None
    while url:
        fast, general = both_ways(client, url)
        assert fast.status_code == general.status_code == 200
        assert fast.json() == general.json()
        assert fast["Content-Type"] == general["Content-Type"]
        pages, last, url = pages + 1, fast.json(), fast.json()["next"] and _local(fast.json()["next"])
    if last["previous"]:
        fast, general = both_ways(client, _local(last["previous"]))
        assert fast.json() == general.json()
    return pages


@pytest.mark.parametrize("order", ["", *ORDERINGS])
@pytest.mark.parametrize("viewer", ["member", "anonymous"])
def test_every_page_of_every_order_is_what_the_general_path_writes(
    api, member, papers, both_ways, order, viewer
):
    client = api(member if viewer == "member" else None)
    pages = _walk(both_ways, client, f"/api/v1/papers/?ordering={order}&page_size=2")
    assert pages >= 3


def test_a_whole_default_page_matches_too(api, member, papers, both_ways):
    fast, general = both_ways(api(member), "/api/v1/papers/")
    assert fast.json() == general.json()
    assert [p["has_voted"] for p in fast.json()["results"]].count(True) == 3


@pytest.mark.parametrize("who", ["member", "other", "anonymous"])
def test_a_paper_is_what_the_general_path_writes_and_hidden_ones_stay_hidden(
    api, member, other_member, papers, both_ways, who
):
    meeting = MeetingFactory()
    AgendaItemFactory(meeting=meeting, paper=papers[1])
    AgendaItemFactory(meeting=MeetingFactory(status="cancelled"), paper=papers[1])
    client = api({"member": member, "other": other_member, "anonymous": None}[who])
    ids = [p.pk for p in Paper.objects.all()] + [10**9]
    for paper_id in ids:
        fast, general = both_ways(client, f"/api/v1/papers/{paper_id}/")
        assert (fast.status_code, fast.json()) == (general.status_code, general.json())
    assert client.get(f"/api/v1/papers/{papers[1].pk}/").json()["meetings"][0]["id"] == meeting.pk
    pending = Paper.objects.get(status=Paper.Status.PENDING).pk
    assert client.get(f"/api/v1/papers/{pending}/").status_code == (200 if who == "member" else 404)


def test_ids_past_bigint_are_404_on_both_paths(api, member, monkeypatch, spy):
    client = api(member)
    fast = client.get(f"/api/v1/papers/{2**64}/")
    monkeypatch.setattr(page_sql, "applies", lambda *args, **kwargs: False)
    general = client.get(f"/api/v1/papers/{2**64}/")
    assert (fast.status_code, fast.json()) == (general.status_code, general.json())
    assert fast.status_code == 404 and spy["detail"] == 0  # turned away before any query


@pytest.mark.parametrize(
    "query",
    [
        "q=paper",
        "tag=a-topic",
        "ordering=votes&discussed=false",
        "format=api",
        "ordering=nonsense",
        "status=hidden",
    ],
)
def test_filters_other_formats_and_bad_orders_take_the_general_path(api, member, papers, spy, query):
    response = api(member).get(f"/api/v1/papers/?{query}")
    assert spy["list"] == 0
    assert response.status_code in (200, 400)


def test_organisers_take_the_general_path_and_see_their_fields(api, organiser, papers, spy):
    first = api(organiser).get("/api/v1/papers/").json()["results"][0]
    detail = api(organiser).get(f"/api/v1/papers/{papers[0].pk}/").json()
    assert spy == {"list": 0, "detail": 0}
    assert "status" in first and "submitted_by" in detail


def test_another_time_zone_takes_the_general_path(api, member, papers, spy, settings):
    settings.TIME_ZONE = "Europe/Paris"
    api(member).get("/api/v1/papers/")
    assert spy["list"] == 0


@pytest.mark.parametrize(
    "query",
    [
        "cursor=not-a-cursor",
        "page_size=0",
        "page_size=x",
        "page_size=1000",
    ],
)
def test_bad_pages_are_the_same_400_on_both_paths(api, member, papers, both_ways, monkeypatch, query):
    client = api(member)
    fast = client.get(f"/api/v1/papers/?{query}")
    with monkeypatch.context() as patch:
        patch.setattr(page_sql, "applies", lambda *args, **kwargs: False)
        general = client.get(f"/api/v1/papers/?{query}")
    assert fast.status_code == general.status_code == 400
    assert fast.json() == general.json()


def test_a_cursor_of_another_order_or_with_wrong_types_is_a_400(api, member, papers):
    from readinggroup.rest.pagination import encode_cursor

    client = api(member)
    votes_cursor = client.get("/api/v1/papers/?ordering=votes&page_size=2").json()["next"]
    cursor = urlsplit(votes_cursor).query.split("cursor=")[1].split("&")[0]
    assert client.get(f"/api/v1/papers/?ordering=queue&cursor={cursor}").status_code == 400
    wrong = encode_cursor(list(ORDERINGS["newest"]), ["yesterday", 5], reverse=False)
    response = client.get(f"/api/v1/papers/?ordering=newest&cursor={wrong}")
    assert response.status_code == 400
    assert "cursor" in response.json()["errors"]
    assert Paper.objects.count() == 11  # nothing changed


def test_conditional_gets_work_on_the_sql_path(api, member, papers, spy):
    client = api(member)
    for url in ("/api/v1/papers/?ordering=queue", f"/api/v1/papers/{papers[0].pk}/"):
        first = client.get(url)
        assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
        paper_vote_set(user=member, paper_id=papers[0].pk, voted=False)  # the page shows it
        changed = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
        paper_vote_set(user=member, paper_id=papers[0].pk, voted=True)
    assert spy["list"] >= 2 and spy["detail"] >= 2


def test_the_sql_path_takes_two_queries(api, member, papers, django_assert_num_queries):
    client = api(member)
    with django_assert_num_queries(2):  # token+member+snapshot, the page as JSON
        client.get("/api/v1/papers/?ordering=queue&page_size=50")
    with django_assert_num_queries(2):  # token+member+snapshot, the paper as JSON
        client.get(f"/api/v1/papers/{papers[0].pk}/")


def _prepared_paper_statements() -> int:
    return prepared_statements("meetings_agendaitem")  # only a paper's detail reads sessions


@pytest.mark.usefixtures("preparing")
def test_a_papers_statement_is_prepared_once_for_members_and_once_for_anonymous_readers(
    api, member, other_member, papers
):
    big = PaperFactory(id=3_000_000_000)  # a bigint id beside small ones: the same statement
    for client in (api(member), api(other_member)):
        for paper in (papers[0], papers[1], big):
            assert client.get(f"/api/v1/papers/{paper.pk}/").json()["id"] == paper.pk
    assert _prepared_paper_statements() == 1
    for paper in (papers[0], big):
        assert api(None).get(f"/api/v1/papers/{paper.pk}/").status_code == 200
    assert _prepared_paper_statements() == 2


def test_the_prepared_paper_answers_from_the_current_data(api, member, papers):
    client = api(member)
    url = f"/api/v1/papers/{papers[2].pk}/"
    assert client.get(url).json()["has_voted"] is False
    paper_vote_set(user=member, paper_id=papers[2].pk, voted=True)
    Paper.objects.filter(pk=papers[2].pk).update(title="Renamed")
    assert (client.get(url).json()["has_voted"], client.get(url).json()["title"]) == (True, "Renamed")
    Paper.objects.filter(pk=papers[2].pk).update(status=Paper.Status.HIDDEN)
    assert client.get(url).status_code == 404


def test_with_prepared_statements_off_a_paper_runs_unprepared(api, member, papers, monkeypatch):
    connection.ensure_connection()
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)  # what the setting sets
    client = api(member)
    for _ in range(3):
        assert client.get(f"/api/v1/papers/{papers[0].pk}/").status_code == 200
    assert _prepared_paper_statements() == 0
