"""End to end with a real Celery worker process on Redis: fetch from a local server, then summarise.

Needs PostgreSQL (the worker must share the test database, which SQLite keeps
in memory) and redis-server (the test starts its own). Skips when either is
missing, except under CI=true. The processes come from readinggroup/tests/processes.py.
"""

import pytest
from celery import Celery

from papers.models import FetchRun, Paper
from papers.tests.conftest import fixture_bytes
from papers.tests.factories import PaperFactory, SourceFactory
from readinggroup.tests import processes
from readinggroup.tests.processes import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
DONE_SECONDS = 60


@pytest.fixture
def redis_url(tmp_path):
    with processes.redis_server(tmp_path) as server:
        yield server.url(0)


@pytest.fixture
def worker_queue(transactional_db, redis_url, tmp_path):
    """A worker process on its own queue, reading and writing the test database; yields the queue name."""
    env = processes.app_env(tmp_path, REDIS_URL=redis_url)
    with processes.celery_worker(env, tmp_path):
        yield env["CELERY_TASK_DEFAULT_QUEUE"]


def _send(redis_url: str, queue: str, task: str, *args, **kwargs) -> None:
    """Queue `task` to the worker on `queue`, as beat or the web would."""
    sender = Celery("integration-test", broker=redis_url, set_as_current=False)
    try:
        sender.send_task(task, args=list(args), kwargs=kwargs, queue=queue)
    finally:
        sender.close()


def _arxiv_source(httpserver):
    """A listed-on-arrival arXiv source whose local server answers the two-paper page."""
    httpserver.expect_request("/api/query").respond_with_data(fixture_bytes("arxiv_page1.xml"))
    return SourceFactory(kind="arxiv", url=httpserver.url_for("/api/query"), auto_list=True)


def test_a_real_worker_fetches_a_source_and_summarises_its_papers(worker_queue, redis_url, httpserver):
    source = _arxiv_source(httpserver)
    _send(redis_url, worker_queue, "papers.tasks.fetch_source", source.pk, force=True)

    def summarised() -> bool:
        papers = list(Paper.objects.values_list("summary", flat=True))
        return len(papers) == 2 and all(papers)

    assert wait_for(summarised, DONE_SECONDS, 0.2), "the worker did not fetch and summarise in time"
    run = FetchRun.objects.get(source=source)
    assert (run.status, run.new_count) == ("succeeded", 2)
    assert set(Paper.objects.values_list("summary_backend", "status")) == {("extractive", "listed")}
    assert Paper.objects.get(arxiv_id="2403.01234").authorships.count() == 3


def test_a_suggestion_arxiv_keeps_failing_ends_saying_so(transactional_db, redis_url, tmp_path, httpserver):
    httpserver.expect_request("/api/query").respond_with_data("down", status=500)
    env = processes.app_env(
        tmp_path,
        REDIS_URL=redis_url,
        ARXIV_API_URL=httpserver.url_for("/api/query"),
        METADATA_RETRY_SECONDS="0.1",
        METADATA_MAX_RETRIES="2",
        FETCH_RETRIES="1",
    )
    paper = PaperFactory(
        arxiv_id="2401.04088",
        title="arXiv:2401.04088",
        status="pending",
        metadata_pending=True,
        published_at=None,
    )
    with processes.celery_worker(env, tmp_path):
        _send(redis_url, env["CELERY_TASK_DEFAULT_QUEUE"], "papers.tasks.fetch_paper_metadata", paper.pk)

        def failed() -> bool:
            return bool(Paper.objects.get(pk=paper.pk).metadata_error)

        assert wait_for(failed, DONE_SECONDS, 0.2), "the worker did not give up in time"
    paper.refresh_from_db()
    assert "500" in paper.metadata_error and paper.metadata_failed_at is not None
    assert (paper.status, paper.published_at) == ("pending", None)
    # First try and METADATA_MAX_RETRIES more, each with the client's FETCH_RETRIES + 1 requests.
    assert len(httpserver.log) == 3 * 2
    assert not Paper.objects.listed().filter(pk=paper.pk).exists()


def _fetch_two_papers_and_wait_for_their_embeddings(worker_queue, redis_url, httpserver) -> None:
    """Queue a fetch of the two-paper arXiv page to the real worker and wait until both papers
    carry an embedding (the worker's follow-ups of a new paper)."""
    source = _arxiv_source(httpserver)
    _send(redis_url, worker_queue, "papers.tasks.fetch_source", source.pk, force=True)

    def embedded() -> bool:
        return Paper.objects.count() == 2 and not Paper.objects.filter(embedding__isnull=True).exists()

    assert wait_for(embedded, DONE_SECONDS, 0.2), "the worker did not embed the new papers in time"


def test_a_real_worker_embeds_new_papers_and_search_finds_one_by_a_paraphrase(
    worker_queue, redis_url, httpserver
):
    from papers.selectors import paper_search

    _fetch_two_papers_and_wait_for_their_embeddings(worker_queue, redis_url, httpserver)
    paraphrase = "inexpensive dispatch of tokens to specialist feedforward blocks"  # no word in common
    found = list(paper_search(Paper.objects.listed(), paraphrase).values_list("arxiv_id", flat=True))
    assert found[:1] == ["2403.01234"]


def test_a_real_worker_assigns_a_new_paper_to_the_topic_it_belongs_to(worker_queue, redis_url, httpserver):
    from papers.models import Tag, TopicAssignment
    from papers.topics import topic_refresh

    topic = Tag.objects.create(
        name="Mixture of experts",
        slug="mixture-of-experts",
        kind="topic",
        description="Mixture-of-experts layers: routing tokens to a few expert sub-networks "
        "so that models grow without growing their compute.",
    )
    topic_refresh(tag=topic)  # before any paper: the worker makes the centre from the new ones
    _fetch_two_papers_and_wait_for_their_embeddings(worker_queue, redis_url, httpserver)
    assert wait_for(lambda: TopicAssignment.objects.exists(), DONE_SECONDS, 0.2)
    assert set(topic.papers.values_list("arxiv_id", flat=True)) == {"2403.01234"}
    assignment = TopicAssignment.objects.get()
    assert (assignment.paper.arxiv_id, assignment.state) == ("2403.01234", "suggested")


def test_a_real_worker_embeds_new_papers_into_the_index_and_relates_them(
    transactional_db, redis_url, tmp_path, httpserver
):
    from usearch.index import Index

    from papers.models import RelatedPaper
    from papers.search import vector_index

    index_path = tmp_path / "papers.usearch"
    vector_index.save(vector_index.new_index(), index_path)  # an empty index, as built on a new site
    env = processes.app_env(tmp_path, REDIS_URL=redis_url, VECTOR_INDEX_PATH=str(index_path))
    source = _arxiv_source(httpserver)
    with processes.celery_worker(env, tmp_path):
        _send(redis_url, env["CELERY_TASK_DEFAULT_QUEUE"], "papers.tasks.fetch_source", source.pk, force=True)
        assert wait_for(lambda: RelatedPaper.objects.count() == 2, DONE_SECONDS, 0.2), (
            "no related papers in time"
        )
    first, second = Paper.objects.order_by("pk")
    pairs = set(RelatedPaper.objects.values_list("paper_id", "related_id", "rank"))
    assert pairs == {(first.pk, second.pk, 1), (second.pk, first.pk, 1)}
    # The worker added the batch to the delta beside the main file, which it left as it was.
    delta = Index.restore(str(vector_index.delta_path(index_path)), view=True)
    assert sorted(delta.keys) == [first.pk, second.pk]
    assert len(Index.restore(str(index_path), view=True)) == 0


def test_a_real_worker_keeps_the_text_index_current(
    transactional_db, redis_url, tmp_path, httpserver, settings
):
    from django.core.management import call_command

    from papers.search import text_index
    from papers.search.query import parse

    settings.SEARCH_INDEX_PATH = tmp_path / "search-index"
    text_index.forget()
    call_command("build_search_index", verbosity=0)  # an empty index, as built on a new site
    env = processes.app_env(tmp_path, REDIS_URL=redis_url, SEARCH_INDEX_PATH=str(settings.SEARCH_INDEX_PATH))
    source = _arxiv_source(httpserver)

    def indexed() -> set[int]:
        return {pk for pk, _ in text_index.search(parse("sparse routers calibration"), 10)}

    try:
        with processes.celery_worker(env, tmp_path):
            queue = env["CELERY_TASK_DEFAULT_QUEUE"]
            _send(redis_url, queue, "papers.tasks.fetch_source", source.pk, force=True)
            assert wait_for(lambda: len(indexed()) == 2, DONE_SECONDS, 0.2), (
                "the worker did not index in time"
            )
    finally:
        text_index.forget()
    assert indexed() == set(Paper.objects.values_list("pk", flat=True))
