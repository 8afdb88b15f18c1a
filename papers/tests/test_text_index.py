"""The text index (papers.search.text_index): search ranks through it when the host has one, the
build command swaps a new one in, the workers' update follows changes, and without one nothing
changes."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from papers import tasks
from papers.models import Paper
from papers.search import lexical, text_index, text_indexing
from papers.search.query import parse
from papers.selectors import paper_search
from papers.services import paper_add_tags, paper_summarise
from papers.tests.factories import PaperFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def index_dir(settings, tmp_path):
    settings.SEARCH_INDEX_PATH = tmp_path / "search-index"
    text_index.forget()
    yield settings.SEARCH_INDEX_PATH
    text_index.forget()


def _build() -> None:
    call_command("build_search_index", stdout=StringIO(), stderr=StringIO())


def _search(q: str) -> list[int]:
    return list(paper_search(Paper.objects.listed(), q).values_list("pk", flat=True))


def _indexed(q: str) -> list[int]:
    """The index's own ranking (no fusion, no filter)."""
    return [pk for pk, _ in text_index.search(parse(q), 50)]


def test_a_rare_word_outweighs_a_common_one(index_dir):
    common = [PaperFactory(title=f"Graph study {n}", abstract="Graphs.") for n in range(6)]
    rare = PaperFactory(title="Hypergraph sheaves", abstract="Sheaves on hypergraphs.")
    _build()
    assert _indexed("graph sheaves")[0] == rare.pk
    found = _search("graph sheaves")
    assert found[0] == rare.pk
    assert set(found) == {rare.pk, *(p.pk for p in common)}


def test_more_of_the_words_rank_first_and_none_is_required(index_dir):
    both = PaperFactory(title="Sparse attention", summary="Cheap long documents.")
    one = PaperFactory(title="Sparse codes", summary="Dictionary learning.")
    _build()
    assert _search("sparse documents zyxwvut") == [both.pk, one.pk]


def test_phrases_exclusions_and_or(index_dir):
    exact = PaperFactory(title="Reinforcement learning from human feedback")
    other = PaperFactory(title="Human learning and feedback from reinforcement")
    _build()
    assert _indexed('"reinforcement learning"') == [exact.pk]
    assert _search('"reinforcement learning"') == [exact.pk]
    assert _search("feedback -reinforcement") == []
    assert _search('human -"reinforcement learning"') == [other.pk]
    assert set(_search("feedback or nothing")) == {exact.pk, other.pk}
    assert _search("the of") == []
    assert _search('"((" -") AND NOT:[') == []  # no query syntax reaches tantivy


def test_stemming_and_field_weights(index_dir):
    trained = PaperFactory(title="Training transformers on graphs", abstract="")
    in_abstract = PaperFactory(title="A method", abstract="We apply diffusion to audio.")
    in_title = PaperFactory(title="Diffusion for audio", abstract="A method.")
    _build()
    assert _indexed("transformer trained") == [trained.pk]
    assert _indexed("diffusion") == [in_title.pk, in_abstract.pk]


def test_authors_and_tag_names_are_found_through_the_index(index_dir):
    tag = TagFactory(name="Quantum chemistry")
    by_name = PaperFactory(title="A method", authors=["Grace Hopperton"])
    tagged = PaperFactory(title="Another method", tags=[tag])
    in_title = PaperFactory(title="Hopperton sequences")
    _build()
    assert set(_search("hopperton")) == {by_name.pk, in_title.pk}
    assert _search("quantum chemistry") == [tagged.pk]
    with CaptureQueriesContext(connection) as queries:
        _search("hopperton")
    assert not any("papers_author" in q["sql"] for q in queries.captured_queries)


@pytest.mark.postgres
def test_a_typo_in_a_title_word_still_finds_the_paper(index_dir):
    paper = PaperFactory(title="Mixture of experts for translation", summary="", abstract="")
    PaperFactory(title="Convolutional image models", summary="", abstract="")
    _build()
    assert _indexed("translaton") == []
    with CaptureQueriesContext(connection) as queries:
        assert _search("translaton") == [paper.pk]  # PostgreSQL's trigram list, fused as before
    # The index says which words no paper uses: no word statistics, no GIN bitmap of a common word.
    assert not any("papers_searchterm" in q["sql"] for q in queries.captured_queries)
    assert text_index.document_frequencies(["translation"]) == [1]


def test_hidden_and_deleted_papers_in_the_index_are_filtered_out(index_dir):
    shown = PaperFactory(title="Sheaves for graphs")
    hidden = PaperFactory(title="Sheaves on hypergraphs")
    gone = PaperFactory(title="Sheaves of modules")
    gone_id = gone.pk
    _build()
    Paper.objects.filter(pk=hidden.pk).update(status=Paper.Status.HIDDEN)
    gone.delete()
    assert set(_indexed("sheaves")) == {shown.pk, hidden.pk, gone_id}
    assert _search("sheaves") == [shown.pk]


def test_the_update_indexes_changed_papers_and_replaces_their_documents(index_dir):
    paper = PaperFactory(title="A method", keywords=["retrieval"])
    _build()
    paper.keywords = ["segmentation"]
    paper.save()  # bumps modified_at
    new = PaperFactory(title="Segmentation of cells")
    assert _indexed("segmentation") == []  # not yet
    assert tasks.update_search_index.delay().get() >= 2
    assert _indexed("retrieval") == []
    assert set(_indexed("segmentation")) == {paper.pk, new.pk}
    paper_add_tags(papers=Paper.objects.filter(pk=new.pk), tags=[TagFactory(name="Microscopy")])
    text_indexing.update()
    assert _indexed("microscopy") == []  # names are searched in their own list
    assert text_index.by_names(["microscopy"], 10) == [new.pk]


def test_summaries_queue_an_update_and_the_task_indexes_them(index_dir, django_capture_on_commit_callbacks):
    paper = PaperFactory(title="A method", abstract="Protein folding with language models. " * 3)
    _build()
    Paper.objects.filter(pk=paper.pk).update(summary="", keywords=[])
    from outbox.models import Message

    with django_capture_on_commit_callbacks(execute=False):
        paper_summarise(paper_id=paper.pk)
    assert Message.objects.filter(task="papers.tasks.update_search_index").count() == 1


def test_the_build_swaps_in_a_new_generation_and_readers_follow(index_dir):
    first = PaperFactory(title="Sheaves")
    _build()
    old = text_index.current_generation()
    assert _indexed("sheaves") == [first.pk]
    second = PaperFactory(title="Sheaves again")
    _build()
    assert text_index.current_generation() != old and not old.exists()
    assert set(_indexed("sheaves")) == {first.pk, second.pk}
    assert text_index.read_watermark(text_index.current_generation()) is not None


def test_the_update_command_needs_an_index_and_beat_runs_the_update(index_dir, settings):
    scheduled = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled["papers.tasks.update_search_index"] == 60
    with pytest.raises(SystemExit):
        call_command("build_search_index", "--update", stdout=StringIO(), stderr=StringIO())
    assert tasks.update_search_index.delay().get() is None
    _build()
    out = StringIO()
    call_command("build_search_index", "--update", stdout=out, stderr=StringIO())
    assert "Indexed" in out.getvalue()


def test_without_an_index_search_ranks_in_the_database_as_before(index_dir):
    papers = [
        PaperFactory(title="Sparse attention", summary="Cheap long documents."),
        PaperFactory(title="Sparse codes", summary="Dictionary learning."),
        PaperFactory(title="Hypergraph sheaves", abstract="Sheaves on hypergraphs."),
    ]
    assert not text_index.exists()
    assert text_index.search(parse("sparse"), 10) is None
    queries = ["sparse documents", "sheaves", '"sparse codes"', "sparse -attention"]
    without = {q: _search(q) for q in queries}
    database = {q: [pk for pk, _ in lexical.search(parse(q), using="default", limit=10)] for q in queries}
    _build()
    assert {q: _search(q) for q in queries} == without
    assert {q: _indexed(q) for q in queries} == database
    assert papers


def test_a_damaged_index_is_searched_around_until_it_is_built_again(index_dir, caplog):
    paper = PaperFactory(title="Sheaves")
    _build()
    (text_index.current_generation() / "meta.json").write_text("not json")
    text_index.forget()
    assert text_index.search(parse("sheaves"), 10) is None
    assert _search("sheaves") == [paper.pk]  # ranked in the database
    assert "Cannot read the search index" in caplog.text
    _build()
    assert _indexed("sheaves") == [paper.pk]


def test_a_build_leaves_a_generation_another_build_is_writing(index_dir):
    _build()
    in_progress = text_index.new_generation()  # named after this process, which runs
    dead = index_dir / "gen-1-999999999"
    dead.mkdir()
    _build()
    assert in_progress.exists() and not dead.exists()
