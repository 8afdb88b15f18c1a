"""The paper pages of the web site: tabs, daily view, tags, a paper, search, suggest."""

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings.tests.factories import AgendaItemFactory
from papers.models import Paper
from papers.services import paper_vote_set
from papers.tests.factories import PaperFactory, TagFactory

pytestmark = pytest.mark.django_db


def _at(day: str, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(f"{day}T{hour:02d}:00"))


def _titles(response) -> list[str]:
    return [p.title for p in response.context["papers"]]


def test_it_orders_each_home_tab_its_own_way(client, member, other_member):
    old_voted = PaperFactory(title="Old voted", published_at=timezone.now() - timedelta(days=30))
    fresh = PaperFactory(title="Fresh", published_at=timezone.now())
    for user in (member, other_member):
        paper_vote_set(user=user, paper_id=old_voted.pk, voted=True)
    assert _titles(client.get(reverse("home")))[0] == "Old voted"
    assert _titles(client.get(reverse("papers:new")))[0] == "Fresh"
    trending = client.get(reverse("papers:trending"))
    assert set(_titles(trending)) == {"Old voted", "Fresh"}
    assert fresh.title in trending.content.decode()


def test_it_marks_the_current_tab_for_assistive_technology(client):
    content = client.get(reverse("papers:trending")).content.decode()
    assert f'<a href="{reverse("papers:trending")}" aria-current="page">Trending</a>' in content


def test_it_leaves_discussed_papers_out_of_the_queue_but_not_out_of_new(client):
    PaperFactory(title="Talked about", discussed_at=timezone.now())
    assert "Talked about" not in _titles(client.get(reverse("home")))
    assert "Talked about" in _titles(client.get(reverse("papers:new")))


@pytest.mark.parametrize("name", ["home", "papers:trending", "papers:new", "papers:daily"])
def test_list_pages_run_the_same_queries_for_few_and_many_papers(
    client, member, name, django_assert_num_queries
):
    client.force_login(member)
    tag = TagFactory()
    PaperFactory.create_batch(2, tags=[tag])
    few = _count_queries(client, reverse(name))
    PaperFactory.create_batch(40, tags=[tag])
    assert few <= 8
    with django_assert_num_queries(few):
        client.get(reverse(name))


@pytest.mark.parametrize("name", ["home", "papers:trending", "papers:new", "papers:daily"])
def test_list_pages_leave_the_abstract_and_the_search_vector_in_the_database(client, member, name):
    # A card shows neither; PostgreSQL writing out each paper's search vector cost about as much
    # as the rest of the page's query.
    client.force_login(member)
    PaperFactory.create_batch(2, abstract="A long abstract nobody reads on a card.")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse(name)).status_code == 200
    paper_queries = [q["sql"] for q in queries if 'FROM "papers_paper"' in q["sql"]]
    assert paper_queries
    assert not any('"papers_paper"."abstract"' in sql or "search_vector" in sql for sql in paper_queries)


def _count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_more_link_of_htmx_returns_only_the_next_page(client, settings):
    PaperFactory.create_batch(35)
    page_one = client.get(reverse("papers:new")).content.decode()
    assert 'hx-get="/papers/new/?page=2"' in page_one
    fragment = client.get(reverse("papers:new") + "?page=2", headers={"HX-Request": "true"})
    body = fragment.content.decode()
    assert "<html" not in body and body.count('class="paper"') == 5
    assert "HX-Request" in fragment["Vary"]
    full_page_two = client.get(reverse("papers:new") + "?page=2").content.decode()
    assert "<html" in full_page_two and 'rel="prev"' in full_page_two


def test_the_daily_view_shows_one_day_with_links_to_the_nearest_days(client):
    PaperFactory(title="Monday paper", published_at=_at("2026-03-02"))
    PaperFactory(title="Wednesday paper", published_at=_at("2026-03-04"))
    PaperFactory(title="Friday paper", published_at=_at("2026-03-06"))
    response = client.get(reverse("papers:daily-day", args=["2026-03-04"]))
    assert _titles(response) == ["Wednesday paper"]
    content = response.content.decode()
    assert reverse("papers:daily-day", args=["2026-03-02"]) in content
    assert reverse("papers:daily-day", args=["2026-03-06"]) in content


def test_the_daily_view_starts_at_the_latest_day_with_papers(client):
    PaperFactory(title="Earlier", published_at=_at("2026-03-02"))
    PaperFactory(title="Latest", published_at=_at("2026-03-05", hour=23))
    response = client.get(reverse("papers:daily"))
    assert _titles(response) == ["Latest"]
    assert response.context["next_day"] is None


def test_the_daily_view_orders_a_day_by_votes(client, member):
    PaperFactory(title="Quiet", published_at=_at("2026-03-02", 9))
    loud = PaperFactory(title="Loud", published_at=_at("2026-03-02", 10))
    paper_vote_set(user=member, paper_id=loud.pk, voted=True)
    assert _titles(client.get(reverse("papers:daily-day", args=["2026-03-02"]))) == ["Loud", "Quiet"]


def test_the_daily_view_answers_404_to_a_day_that_is_not_a_date(client):
    assert client.get(reverse("papers:daily-day", args=["2026-13-45"])).status_code == 404


def test_the_daily_view_of_an_empty_site_says_so(client):
    response = client.get(reverse("papers:daily"))
    assert response.status_code == 200 and b"No listed papers" in response.content


def test_a_tag_page_lists_only_its_papers_and_the_index_counts_them(client):
    tag = TagFactory(name="Graph learning")
    PaperFactory(title="Tagged", tags=[tag])
    PaperFactory(title="Hidden tagged", tags=[tag], status=Paper.Status.HIDDEN)
    PaperFactory(title="Untagged")
    assert _titles(client.get(tag.get_absolute_url())) == ["Tagged"]
    index = client.get(reverse("papers:tags"))
    assert [(t.name, t.paper_count) for t in index.context["tags"]] == [("Graph learning", 1)]


def test_a_paper_page_shows_everything_about_the_paper(client):
    paper = PaperFactory(
        title="Sparse routing for tiny models",
        arxiv_id="2601.01234",
        arxiv_version=2,
        code_url="https://code.example.org/sparse",
        keywords=["sparse routing", "tiny models"],
        abstract="We route tokens sparsely.",
        summary="Sparse routing helps tiny models.",
        tags=[TagFactory(name="Efficiency")],
        authors=["Ada Example", "Ben Sample"],
    )
    item = AgendaItemFactory(paper=paper)
    content = client.get(paper.get_absolute_url()).content.decode()
    for text in [
        "Sparse routing for tiny models",
        "Ada Example, Ben Sample",
        "Sparse routing helps tiny models.",
        "We route tokens sparsely.",
        "tiny models",
        "https://arxiv.org/abs/2601.01234v2",
        "https://arxiv.org/pdf/2601.01234v2",
        "https://code.example.org/sparse",
        "Efficiency",
        item.meeting.title,
        'aria-pressed="false"',
    ]:
        assert text in content, text


def test_a_paper_page_runs_a_bounded_number_of_queries(client, member, django_assert_max_num_queries):
    paper = PaperFactory(tags=[TagFactory(), TagFactory()])
    for _ in range(5):
        AgendaItemFactory(paper=paper)
    client.force_login(member)
    # session, user, paper, authors, tags, agenda, related papers, comments, my subscription
    with django_assert_max_num_queries(9):
        assert client.get(paper.get_absolute_url()).status_code == 200


def test_a_pending_paper_is_visible_to_who_suggested_it_and_to_organisers_only(
    client, member, other_member, organiser
):
    paper = PaperFactory(status=Paper.Status.PENDING, submitted_by=member)
    assert client.get(paper.get_absolute_url()).status_code == 404
    client.force_login(other_member)
    assert client.get(paper.get_absolute_url()).status_code == 404
    client.force_login(member)
    response = client.get(paper.get_absolute_url())
    assert response.status_code == 200 and b"is pending" in response.content
    assert b"vote-button" not in response.content
    client.force_login(organiser)
    assert client.get(PaperFactory(status=Paper.Status.HIDDEN).get_absolute_url()).status_code == 200


def test_search_finds_and_marks_the_words(client):
    PaperFactory(title="Graph networks for weather", abstract="We forecast rain with graphs.")
    PaperFactory(title="Speech models", abstract="Nothing about the other topic.")
    response = client.get(reverse("papers:search"), {"q": "weather"})
    assert _titles(response) == ["Graph networks for weather"]
    assert "<mark>weather</mark>" in response.content.decode().lower()


def test_search_escapes_titles_while_marking_them(client):
    PaperFactory(title="<script>alert(1)</script> weather")
    content = client.get(reverse("papers:search"), {"q": "weather"}).content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;" in content


def test_search_without_words_shows_the_form_only(client):
    PaperFactory()
    response = client.get(reverse("papers:search"))
    assert response.status_code == 200 and list(response.context["papers"]) == []


def test_search_runs_the_same_queries_for_few_and_many_results(client, member, django_assert_num_queries):
    client.force_login(member)
    PaperFactory.create_batch(2, title="Weather model", tags=[TagFactory()])
    url = reverse("papers:search") + "?q=weather"
    client.get(url)  # the process loads the papers' embeddings once, not per search
    few = _count_queries(client, url)
    PaperFactory.create_batch(30, title="Weather model", tags=[TagFactory()])
    # session, member, up to five search statements (papers.search: on PostgreSQL the words'
    # statistics, then the ranking), the page, its relations
    assert few <= 10
    with django_assert_num_queries(few):
        client.get(url)


@pytest.mark.postgres
def test_search_on_postgresql_matches_word_forms_and_marks_them(client):
    PaperFactory(title="Transformers for forecasting", abstract="Forecasts of rainfall.")
    response = client.get(reverse("papers:search"), {"q": "transformer forecast"})
    content = response.content.decode()
    assert _titles(response) == ["Transformers for forecasting"]
    assert "<mark>Transformers</mark>" in content and "<mark>forecasting</mark>" in content


def test_suggest_asks_visitors_to_log_in(client):
    response = client.get(reverse("papers:suggest"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_suggest_adds_the_paper_and_opens_it(client, member, monkeypatch):
    created_paper = PaperFactory(title="Suggested one", status=Paper.Status.PENDING, submitted_by=member)
    calls = []

    def fake_suggest(*, user, reference):
        calls.append((user, reference))
        return created_paper, True

    monkeypatch.setattr("papers.services.paper_suggest", fake_suggest, raising=False)
    client.force_login(member)
    response = client.post(reverse("papers:suggest"), {"reference": " 2601.00001 "}, follow=True)
    assert calls == [(member, "2601.00001")]
    assert response.redirect_chain[-1][0] == created_paper.get_absolute_url()
    assert "Suggested one" in response.content.decode()


def test_suggest_shows_the_service_error_on_the_field(client, member, monkeypatch):
    def fake_suggest(*, user, reference):
        raise ValidationError({"reference": "Not an arXiv id, Hugging Face paper URL or DOI."})

    monkeypatch.setattr("papers.services.paper_suggest", fake_suggest, raising=False)
    client.force_login(member)
    response = client.post(reverse("papers:suggest"), {"reference": "banana"})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "reference": ["Not an arXiv id, Hugging Face paper URL or DOI."]
    }


def test_suggest_requires_a_reference(client, member):
    client.force_login(member)
    response = client.post(reverse("papers:suggest"), {"reference": ""})
    assert response.status_code == 200 and "reference" in response.context["form"].errors


def test_suggesting_a_doi_with_dot_segments_is_a_form_error(client, member):
    client.force_login(member)
    response = client.post(reverse("papers:suggest"), {"reference": "10.1234/../../internal/admin"})
    assert response.status_code == 200
    assert "segment" in response.context["form"].errors["reference"][0]
    assert not Paper.objects.exists()


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (Paper.Status.PENDING, "This paper was suggested already and waits for an organiser to list it."),
        (Paper.Status.HIDDEN, "This paper is on the site already, but the organisers hid it."),
    ],
)
def test_suggesting_a_paper_i_may_not_open_says_why_without_its_details(
    client, member, other_member, status, message
):
    theirs = PaperFactory(
        title="Their secret title", arxiv_id="2601.00001", status=status, submitted_by=other_member
    )
    client.force_login(member)
    response = client.post(reverse("papers:suggest"), {"reference": "2601.00001"})
    assert response.status_code == 200 and response.context["form"].errors == {"reference": [message]}
    assert "Their secret title" not in response.content.decode()
    assert client.get(theirs.get_absolute_url()).status_code == 404  # as its page


def test_organisers_suggesting_a_pending_paper_are_taken_to_it(client, organiser, other_member):
    theirs = PaperFactory(arxiv_id="2601.00001", status=Paper.Status.PENDING, submitted_by=other_member)
    client.force_login(organiser)
    response = client.post(reverse("papers:suggest"), {"reference": "2601.00001"})
    assert response.status_code == 302 and response["Location"] == theirs.get_absolute_url()


def test_a_paper_card_shows_its_keywords_small_and_apart_from_its_tags(client):
    PaperFactory(title="Routing", keywords=["mixture of experts", "load balancing"], tags=[])
    content = client.get(reverse("papers:new")).content.decode()
    assert '<p class="keywords"><span class="visually-hidden">Keywords: </span>' in content
    assert "mixture of experts · load balancing</p>" in content
    assert 'class="tag"' not in content.split('<p class="keywords">')[1].split("</p>")[0]


def test_an_id_typed_into_the_search_box_goes_to_that_paper(client):
    paper = PaperFactory(title="Weather model", arxiv_id="2401.12345", doi="10.1234/abc")
    url = reverse("papers:search")
    assert client.get(url, {"q": "arXiv:2401.12345v2"}).url == paper.get_absolute_url()
    assert client.get(url, {"q": "https://doi.org/10.1234/ABC"}).url == paper.get_absolute_url()
    typed = client.get(url, {"q": "2401.12345"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="search-results")
    assert typed.status_code == 200 and typed["HX-Redirect"] == paper.get_absolute_url()
    unknown = client.get(url, {"q": "2401.99999"})  # not here: searched as text, no jump
    assert unknown.status_code == 200


def test_search_as_you_type_gets_the_results_block_only(client):
    PaperFactory(title="Weather model")
    response = client.get(
        reverse("papers:search"),
        {"q": "weathr wether weather"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="search-results",
    )
    content = response.content.decode()
    assert "Weather model" in content.replace("<mark>", "").replace("</mark>", "")
    assert 'role="search"' not in content and 'role="status"' in content
    page = client.get(reverse("papers:search"), {"q": "weather"}).content.decode()
    assert 'hx-target="#search-results"' in page and 'id="search-results"' in page
