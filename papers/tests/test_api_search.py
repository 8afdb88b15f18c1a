"""paper_search: ranked lexical search on both databases (BM25-style, never all-or-nothing),
phrase / exclusion / or syntax, id and DOI lookups, trigram near-misses on PostgreSQL."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.test.utils import CaptureQueriesContext

from papers import tasks
from papers.apps import analyze_stale_tables
from papers.models import Paper
from papers.search import lexical_postgres, term_stats
from papers.search.query import SEARCH_WORD_LENGTH
from papers.selectors import paper_search
from papers.tests.factories import PaperFactory, TagFactory

pytestmark = pytest.mark.django_db
LIST = "/api/v1/papers/"


def _search(q: str) -> list[int]:
    return list(paper_search(Paper.objects.listed(), q).values_list("pk", flat=True))


def test_an_empty_query_leaves_the_papers_alone():
    PaperFactory()
    assert paper_search(Paper.objects.all(), "   ").count() == 1


def test_papers_with_more_of_the_words_rank_first_and_none_is_required():
    both = PaperFactory(title="Sparse attention", summary="Cheap long documents.")
    one = PaperFactory(title="Sparse codes", summary="Dictionary learning.")
    assert _search("sparse documents") == [both.pk, one.pk]
    assert _search("sparse documents zyxwvut") == [both.pk, one.pk]  # an unknown word empties nothing


def test_a_rare_word_outweighs_a_common_one():
    common = [PaperFactory(title=f"Graph study {n}", abstract="Graphs.") for n in range(6)]
    rare = PaperFactory(title="Hypergraph sheaves", abstract="Sheaves on hypergraphs.")
    found = _search("graph sheaves")
    assert found[0] == rare.pk
    assert set(found) == {rare.pk, *(p.pk for p in common)}


def test_phrases_exclusions_and_or_on_every_database():
    exact = PaperFactory(title="Reinforcement learning from human feedback")
    other = PaperFactory(title="Human learning and feedback from reinforcement")
    assert _search('"reinforcement learning"') == [exact.pk]
    assert _search("feedback -reinforcement") == []
    assert _search('human -"reinforcement learning"') == [other.pk]
    assert set(_search("feedback or nothing")) == {exact.pk, other.pk}


def test_an_arxiv_id_or_doi_finds_that_paper():
    paper = PaperFactory(title="Some title", arxiv_id="2401.12345", doi="10.1234/abc.def")
    PaperFactory(title="Cites 2401.12345 in its title")
    assert _search("2401.12345") == [paper.pk]
    assert _search("arXiv:2401.12345v2") == [paper.pk]
    assert _search("https://doi.org/10.1234/ABC.DEF") == [paper.pk]


def test_an_unknown_id_is_searched_as_text():
    citing = PaperFactory(title="Cites 2402.00001 in its title")
    assert _search("2402.00001") == [citing.pk]


def test_queries_of_only_stopwords_or_exclusions_find_nothing():
    PaperFactory(title="The art of the state")
    assert _search("the of") == []
    assert _search("-state") == []


def test_stemming_finds_other_forms_of_a_word():
    paper = PaperFactory(title="Training transformers on graphs")
    PaperFactory(title="Unrelated things")
    assert _search("transformer trained") == [paper.pk]


def test_title_matches_rank_above_abstract_matches():
    in_abstract = PaperFactory(title="A method", abstract="We apply diffusion to audio.")
    in_title = PaperFactory(title="Diffusion for audio", abstract="A method.")
    assert _search("diffusion") == [in_title.pk, in_abstract.pk]


@pytest.mark.postgres
def test_a_typo_in_a_title_word_still_finds_the_paper():
    paper = PaperFactory(title="Mixture of experts for translation", summary="", abstract="")
    PaperFactory(title="Convolutional image models", summary="", abstract="")
    assert _search("translaton") == [paper.pk]  # the stemmer alone finds nothing here


def test_keywords_are_searched_and_the_index_follows_saves_and_deletes():
    paper = PaperFactory(title="A method", keywords=["retrieval"])
    assert _search("retrieval") == [paper.pk]
    paper.keywords = ["segmentation"]
    paper.save()  # Paper.save never writes search_vector; the trigger recomputes it
    assert _search("retrieval") == []
    assert _search("segmentation") == [paper.pk]
    paper.delete()
    assert _search("segmentation") == []


@pytest.mark.postgres
def test_search_uses_the_stored_vector(django_assert_num_queries):
    PaperFactory(title="Graph neural networks")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM papers_paper WHERE search_vector IS NULL")
        assert cursor.fetchone()[0] == 0
    list(paper_search(Paper.objects.all(), "graph"))  # loads this process's embeddings once
    # The words' statistics, the ranking, typo-tolerant titles, authors' and tags' names, the page.
    with django_assert_num_queries(5):
        assert len(list(paper_search(Paper.objects.all(), "graph"))) == 1


def test_operator_only_queries_are_harmless(api, member):
    PaperFactory(title="Anything")
    for q in ['"', "-", "or", "!!", "(", "&|:*", "the", 'a"b', "NEAR(x y)", "x AND", "^", "*", "'", "10.1/"]:
        assert api(member).get(LIST, {"q": q}).status_code == 200, q


def test_searching_through_the_api_pages_by_rank(api, member):
    papers = [PaperFactory(title=f"Graph study {n}") for n in range(5)]
    client = api(member)
    first = client.get(LIST, {"q": "graph", "page_size": 2}).json()
    seen = [p["id"] for p in first["results"]]
    url = first["next"]
    while url:
        page = client.get(url).json()
        seen += [p["id"] for p in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(p.pk for p in papers)
    assert len(seen) == len(set(seen))


@pytest.mark.postgres
def test_the_full_text_indexes_keep_their_pending_lists_small():
    """Votes rewrite paper rows; a long GIN pending list would slow every search (migration 0003)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reloptions FROM pg_class "
            "WHERE relname IN ('papers_paper_search', 'papers_paper_title_trgm') ORDER BY relname"
        )
        assert cursor.fetchall() == [
            ("papers_paper_search", ["gin_pending_list_limit=128"]),
            ("papers_paper_title_trgm", ["gin_pending_list_limit=128"]),
        ]


def test_a_search_word_longer_than_any_title_word_is_cut_to_that_length():
    word = "hyperparameterfreeselfsupervisedcontrastivepretrainingobjectives"[:SEARCH_WORD_LENGTH]
    paper = PaperFactory(title=f"Learning {word}")
    PaperFactory(title="Unrelated things")
    assert _search(word + "q" * 136) == [paper.pk]
    assert _search(f"learning {word}zzz") == [paper.pk]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_migrate_analyzes_tables_loaded_since_their_last_analyze():
    PaperFactory.create_batch(60)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")  # the inserts' counts, now rather than in 1 s
    with CaptureQueriesContext(connection) as captured:
        emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    analyzed = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("ANALYZE")]
    assert len(analyzed) == 1 and "papers_paper," in analyzed[0] + ","


def test_migrate_runs_no_analyze_on_sqlite(settings):
    if settings.IS_POSTGRES:
        pytest.skip("SQLite only")
    with CaptureQueriesContext(connection) as captured:
        analyze_stale_tables(using="default")
    assert captured.captured_queries == []


def test_the_api_gives_each_search_result_its_rank_and_the_schema_documents_it(api, member):
    best = PaperFactory(title="Graph graph sheaves")
    PaperFactory(title="Graph study")
    results = api(member).get(LIST, {"q": "graph sheaves"}).json()["results"]
    assert [p["id"] for p in results][0] == best.pk
    assert results[0]["search_rank"] > results[1]["search_rank"] > 0
    assert "search_rank" not in api(member).get(LIST).json()["results"][0]
    schema = api(member).get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    paper = schema["components"]["schemas"]["Paper"]
    assert "search_rank" in paper["properties"] and "search_rank" not in paper["required"]


def test_authors_and_tag_names_are_searched_and_ranked_with_the_rest():
    tag = TagFactory(name="Quantum chemistry")
    by_name = PaperFactory(title="A method", authors=["Grace Hopperton"])
    tagged = PaperFactory(title="Another method", tags=[tag])
    in_title = PaperFactory(title="Hopperton sequences")
    assert set(_search("hopperton")) == {by_name.pk, in_title.pk}
    assert _search("quantum chemistry") == [tagged.pk]
    assert by_name.pk in _search("grace hopperton")


def test_the_word_statistics_refresh_and_new_words_are_counted_until_the_next_refresh():
    """PostgreSQL reads IDF from papers_searchterm once refreshed; a word it does not know yet
    is counted live. (SQLite: the command has nothing to do, the ranking is the same.)"""
    common = [PaperFactory(title=f"Graph study {n}", abstract="Graphs.") for n in range(6)]
    call_command("refresh_search_terms", stdout=StringIO())
    rare = PaperFactory(title="Graph sheaves", abstract="Sheaves on graphs.")  # after the refresh
    found = _search("graph sheaves")
    assert found[0] == rare.pk
    assert set(found) == {rare.pk, *(p.pk for p in common)}


@pytest.mark.postgres
def test_the_refresh_counts_each_word_once_a_paper(django_assert_num_queries):
    PaperFactory(title="Graph graphs", abstract="A graph of graphs.")
    PaperFactory(title="Graph cuts", abstract="")
    term_stats.refresh()
    stats = term_stats.lookup(["graph", "cuts", "zyxwvut"], [], connection=connection)
    assert [(t.tsquery, t.documents) for t in stats.terms] == [("'graph'", 2), ("'cut'", 1), ("'zyxwvut'", 0)]
    assert stats.papers == 2


@pytest.mark.postgres
def test_only_papers_with_the_rarest_words_are_ranked_when_the_words_are_common(monkeypatch):
    """Candidate pruning (papers.search.lexical_postgres): within the budget the rarest words
    choose the papers to rank; a query of only common words ranks papers with all of them,
    and falls back to the rarest word's papers when none has all."""
    monkeypatch.setattr(lexical_postgres, "CANDIDATE_DOCUMENTS", 2)
    commons = [PaperFactory(title=f"Graph networks {n}", abstract="") for n in range(4)]
    rare = PaperFactory(title="Graph sheaves", abstract="")
    assert _search("graph sheaves") == [rare.pk]  # 'graph' (5 papers) is past the budget
    assert set(_search("graph networks")) == {p.pk for p in commons}  # both common: all of them
    for paper in [*commons, rare]:
        paper.title = "Graph"
        paper.save()
    apart = [PaperFactory(title=f"Networks {n}", abstract="") for n in range(3)]
    assert set(_search("graph networks")) == {p.pk for p in apart}  # none has both: the rarer's


@pytest.mark.postgres
def test_a_query_of_common_words_ranks_the_newest_papers_that_have_them_every_time(monkeypatch):
    """Past the candidate budget, which papers get ranked is decided by age, not by where a
    scan happened to start: the same search answers the same papers (page 2 follows page 1,
    the cached JSON is found again)."""
    monkeypatch.setattr(lexical_postgres, "CANDIDATE_DOCUMENTS", 1)
    monkeypatch.setattr(lexical_postgres, "COMMON_CANDIDATES", 3)
    # The id window spans NEWEST_EXPECTED x papers / the rarest word's papers ids: here 2.
    monkeypatch.setattr(lexical_postgres, "NEWEST_EXPECTED", 2)
    papers = [PaperFactory(title=f"Graph networks {n}", abstract="") for n in range(6)]
    term_stats.refresh()
    newest = {p.pk for p in papers[-3:]}
    # The window (2 ids) holds 2 papers with both words: those are ranked, the newest of all.
    assert set(_search("graph networks")) == {p.pk for p in papers[-2:]}
    monkeypatch.setattr(lexical_postgres, "NEWEST_EXPECTED", 6)
    assert set(_search("graph networks")) == newest == set(_search("graph networks"))
    # Ids far apart (papers deleted): the window holds no paper with the words, so the newest
    # papers with the rarest word are ranked, wherever they are.
    Paper.objects.filter(pk__in=[p.pk for p in papers[3:]]).delete()
    PaperFactory(title="Graph", abstract="", pk=papers[-1].pk + 1000)
    monkeypatch.setattr(lexical_postgres, "NEWEST_EXPECTED", 1)
    term_stats.refresh()
    assert set(_search("graph networks")) == {p.pk for p in papers[:3]}


def test_the_refresh_command_says_what_it_did():
    out = StringIO()
    call_command("refresh_search_terms", stdout=out)
    expected = "refreshed" if connection.vendor == "postgresql" else "nothing to do"
    assert expected in out.getvalue()


def test_beat_refreshes_the_word_statistics_through_the_task(settings):
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "papers.tasks.refresh_search_terms" in scheduled
    PaperFactory(title="Graph sheaves", abstract="")
    tasks.refresh_search_terms.delay()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT documents FROM papers_searchterm WHERE lexeme = 'sheav'")
            assert cursor.fetchone() == (1,)
            cursor.execute("SELECT papers FROM papers_searchcorpus")
            assert cursor.fetchone() == (1,)
