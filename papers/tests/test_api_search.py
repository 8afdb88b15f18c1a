"""paper_search: PostgreSQL full-text search with ranking and trigram near-misses; SQLite fallback."""

import pytest
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.test.utils import CaptureQueriesContext

from papers.apps import analyze_stale_tables
from papers.models import Paper
from papers.selectors import SEARCH_WORD_LENGTH, paper_search
from papers.tests.factories import PaperFactory

pytestmark = pytest.mark.django_db
LIST = "/api/v1/papers/"


def _search(q: str) -> list[int]:
    return list(paper_search(Paper.objects.listed(), q).values_list("pk", flat=True))


def test_an_empty_query_leaves_the_papers_alone():
    PaperFactory()
    assert paper_search(Paper.objects.all(), "   ").count() == 1


def test_every_word_must_match_somewhere():
    both = PaperFactory(title="Sparse attention", summary="Cheap long documents.")
    PaperFactory(title="Sparse codes", summary="Dictionary learning.")
    assert _search("sparse documents") == [both.pk]


@pytest.mark.postgres
def test_stemming_finds_other_forms_of_a_word():
    paper = PaperFactory(title="Training transformers on graphs")
    PaperFactory(title="Unrelated things")
    assert _search("transformer trained") == [paper.pk]


@pytest.mark.postgres
def test_title_matches_rank_above_abstract_matches():
    in_abstract = PaperFactory(title="A method", abstract="We apply diffusion to audio.")
    in_title = PaperFactory(title="Diffusion for audio", abstract="A method.")
    assert _search("diffusion") == [in_title.pk, in_abstract.pk]


@pytest.mark.postgres
def test_web_search_syntax_phrases_and_exclusions():
    exact = PaperFactory(title="Reinforcement learning from human feedback")
    other = PaperFactory(title="Human learning and feedback from reinforcement")
    assert _search('"reinforcement learning"') == [exact.pk]
    assert set(_search("feedback -reinforcement")) == set()
    assert set(_search("feedback or nothing")) == {exact.pk, other.pk}


@pytest.mark.postgres
def test_a_typo_in_a_title_word_still_finds_the_paper():
    paper = PaperFactory(title="Mixture of experts for translation", summary="", abstract="")
    PaperFactory(title="Convolutional image models", summary="", abstract="")
    assert _search("translaton") == [paper.pk]  # the stemmer alone finds nothing here


@pytest.mark.postgres
def test_keywords_are_searched_and_the_trigger_follows_saves():
    paper = PaperFactory(title="A method", keywords=["retrieval"])
    assert _search("retrieval") == [paper.pk]
    paper.keywords = ["segmentation"]
    paper.save()  # Paper.save never writes search_vector; the trigger recomputes it
    assert _search("retrieval") == []
    assert _search("segmentation") == [paper.pk]


@pytest.mark.postgres
def test_search_uses_the_stored_vector(django_assert_num_queries):
    PaperFactory(title="Graph neural networks")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM papers_paper WHERE search_vector IS NULL")
        assert cursor.fetchone()[0] == 0
    query = str(paper_search(Paper.objects.all(), "graph").query)
    assert "search_vector" in query and "websearch_to_tsquery" in query


@pytest.mark.postgres
def test_operator_only_queries_are_harmless(api, member):
    PaperFactory(title="Anything")
    for q in ['"', "-", "or", "!!", "(", "&|:*", "the"]:
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
