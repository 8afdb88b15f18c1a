"""Fetching a source end to end against a local server: FetchRun, Source state, rows, locks, tasks."""

import contextlib
import threading

import pytest
from django.db import connection

from papers import fetching, tasks
from papers.fetching import SourceBusy, source_fetch, source_lock
from papers.http import default_client
from papers.ingest import paper_upsert
from papers.models import FetchRun, Paper, PaperAuthor, Source
from papers.sources import arxiv
from papers.tests.arxiv_server import capped_pages, empty_after
from papers.tests.conftest import fixture_bytes
from papers.tests.factories import SourceFactory


def run_counts(run: FetchRun) -> tuple:
    return (
        run.status,
        run.new_count,
        run.updated_count,
        run.unchanged_count,
        run.failed_count,
        run.skipped_count,
    )


@pytest.mark.django_db
def test_it_pages_through_the_arxiv_api_and_records_the_run(httpserver, settings, queued):
    settings.FETCH_ARXIV_PAGE_SIZE = 2
    httpserver.expect_ordered_request(
        "/api/query", query_string={"search_query": "cat:cs.LG", "start": "0", "max_results": "2"}
    ).respond_with_data(fixture_bytes("arxiv_page1.xml"), headers={"ETag": '"page-one"'})
    httpserver.expect_ordered_request(
        "/api/query", query_string={"search_query": "cat:cs.LG", "start": "2", "max_results": "2"}
    ).respond_with_data(fixture_bytes("arxiv_page2.xml"))
    source = SourceFactory(
        kind="arxiv", url=httpserver.url_for("/api/query") + "?search_query=cat:cs.LG", fetch_limit=10
    )
    run = source_fetch(source=source)
    assert run_counts(run) == ("succeeded", 3, 0, 0, 0, 0)
    assert run.finished_at is not None and run.error == ""
    source.refresh_from_db()
    assert (source.etag, source.last_error) == ('"page-one"', "")
    assert source.last_fetched_at is not None
    assert Paper.objects.filter(arxiv_id="hep-th/9901001", arxiv_version=3).exists()


@pytest.mark.django_db
def test_the_fetch_limit_caps_the_pages(httpserver, settings, queued):
    settings.FETCH_ARXIV_PAGE_SIZE = 2
    httpserver.expect_request(
        "/api/query", query_string={"start": "0", "max_results": "2"}
    ).respond_with_data(fixture_bytes("arxiv_page1.xml"))
    source = SourceFactory(kind="arxiv", url=httpserver.url_for("/api/query"), fetch_limit=2)
    assert source_fetch(source=source).new_count == 2
    assert len(httpserver.log) == 1


@pytest.mark.django_db
def test_a_304_counts_as_unchanged_and_changes_nothing(httpserver, queued):
    httpserver.expect_request("/rss", headers={"If-None-Match": '"v7"'}).respond_with_data("", status=304)
    source = SourceFactory(kind="arxiv-rss", url=httpserver.url_for("/rss"), etag='"v7"')
    run = source_fetch(source=source)
    assert run_counts(run) == ("succeeded", 0, 0, 0, 0, 0)
    source.refresh_from_db()
    assert source.etag == '"v7"' and not Paper.objects.exists()


@pytest.mark.django_db
def test_fetching_the_same_source_twice_gives_the_same_rows(httpserver, queued):
    httpserver.expect_request("/rss").respond_with_data(fixture_bytes("arxiv_rss.xml"))
    source = SourceFactory(kind="arxiv-rss", url=httpserver.url_for("/rss"))
    first = source_fetch(source=source)
    snapshot = (sorted(Paper.objects.values_list("arxiv_id", "arxiv_version")), PaperAuthor.objects.count())
    second = source_fetch(source=source)
    assert run_counts(first) == ("succeeded", 4, 0, 0, 1, 0)
    assert run_counts(second) == ("succeeded", 0, 0, 4, 1, 0)
    assert (
        sorted(Paper.objects.values_list("arxiv_id", "arxiv_version")),
        PaperAuthor.objects.count(),
    ) == snapshot


@pytest.mark.django_db
def test_a_feed_counts_what_it_skipped(httpserver, queued):
    httpserver.expect_request("/feed").respond_with_data(fixture_bytes("feed.rss"))
    run = source_fetch(source=SourceFactory(kind="feed", url=httpserver.url_for("/feed")))
    assert run_counts(run) == ("succeeded", 3, 0, 0, 0, 1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (fixture_bytes("arxiv_error.xml"), 200, "arXiv API error: incorrect id format"),
        (fixture_bytes("arxiv_malformed.xml"), 200, "Malformed arXiv Atom feed"),
        (b"<html>teapot</html>", 404, "HTTP 404"),
        (b"x" * 5000, 200, "larger than 4096 bytes"),
        (b"down", 503, "HTTP 503"),
    ],
)
def test_a_failed_fetch_records_the_error_and_changes_no_papers(
    httpserver, settings, queued, body, status, message
):
    settings.FETCH_MAX_BYTES = 4096
    old_title = "An Existing Paper That Must Stay As It Is"
    existing = Paper.objects.create(title=old_title, arxiv_id="2403.01234", arxiv_version=1)
    httpserver.expect_request("/api/query").respond_with_data(body, status=status)
    source = SourceFactory(kind="arxiv", url=httpserver.url_for("/api/query"), etag='"old"')
    run = source_fetch(source=source)
    assert run.status == "failed" and message in run.error
    source.refresh_from_db()
    assert message in source.last_error and source.etag == '"old"'
    assert list(Paper.objects.all()) == [existing]
    existing.refresh_from_db()
    assert (existing.title, existing.arxiv_version) == (old_title, 1)


@pytest.mark.django_db
def test_a_server_error_then_success_is_one_successful_run(httpserver, queued):
    httpserver.expect_ordered_request("/hf").respond_with_data("busy", status=500)
    httpserver.expect_ordered_request("/hf").respond_with_data(fixture_bytes("hf_daily.json"))
    run = source_fetch(source=SourceFactory(kind="hf-daily", url=httpserver.url_for("/hf")))
    assert run_counts(run) == ("succeeded", 4, 0, 0, 2, 0)
    assert FetchRun.objects.count() == 1


@pytest.mark.django_db
def test_a_source_being_fetched_is_not_fetched_again(httpserver, queued):
    source = SourceFactory(kind="feed", url=httpserver.url_for("/feed"))
    with _locked_elsewhere(source.pk):
        with pytest.raises(SourceBusy):
            source_fetch(source=source)
        assert tasks.fetch_source.delay(source.pk, force=True).get() is None
    assert not FetchRun.objects.exists() and httpserver.log == []


@contextlib.contextmanager
def _locked_elsewhere(source_id: int):
    """Hold a source's fetch lock in another thread (its own database session), as another
    worker would: a session may take its own advisory lock twice."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with source_lock(source_id):
                held.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(10)
    try:
        yield
    finally:
        release.set()
        holder.join()


@pytest.mark.django_db
def test_the_task_fetches_a_due_source_and_skips_one_that_is_not(httpserver, queued):
    httpserver.expect_request("/feed").respond_with_data(fixture_bytes("feed.rss"))
    source = SourceFactory(kind="feed", url=httpserver.url_for("/feed"))
    run_id = tasks.fetch_source.delay(source.pk).get()
    assert FetchRun.objects.get(pk=run_id).status == "succeeded"
    assert tasks.fetch_source.delay(source.pk).get() is None  # fetched just now: not due
    assert tasks.fetch_source.delay(source.pk, force=True).get() is not None
    assert tasks.fetch_source.delay(987654).get() is None


@pytest.mark.django_db
def test_fetch_due_sources_queues_each_enabled_due_source(monkeypatch):
    due = SourceFactory()
    SourceFactory(enabled=False)
    from django.utils import timezone

    SourceFactory(last_fetched_at=timezone.now())
    queued = []
    monkeypatch.setattr(tasks.fetch_source, "delay", queued.append)
    assert tasks.fetch_due_sources.delay().get() == 1
    assert queued == [due.pk]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_upserts_of_one_source_give_no_duplicates(queued):
    """Two workers upserting the same (overlapping) fetch at once, on PostgreSQL."""
    source = SourceFactory()
    records = (
        arxiv.parse(fixture_bytes("arxiv_page1.xml")).records
        + arxiv.parse(fixture_bytes("arxiv_page2.xml")).records
    )
    barrier = threading.Barrier(4)
    errors = []

    def worker(shift):
        try:
            barrier.wait()
            paper_upsert(records=records[shift:] + records[:shift], source=source)
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i % 3,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Paper.objects.count() == 3
    assert PaperAuthor.objects.count() == 3 + 1 + 2
    assert Source.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_fetches_of_one_source_at_once_give_no_duplicates(httpserver, queued):
    httpserver.expect_request("/rss").respond_with_data(fixture_bytes("arxiv_rss.xml"))
    source = SourceFactory(kind="arxiv-rss", url=httpserver.url_for("/rss"))
    barrier = threading.Barrier(2)
    outcomes = []

    def worker():
        try:
            barrier.wait()
            outcomes.append(source_fetch(source=Source.objects.get(pk=source.pk)).status)
        except SourceBusy:
            outcomes.append("busy")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert "succeeded" in outcomes
    assert Paper.objects.count() == 4


# --- Short and empty arXiv pages (issue 19) --------------------------------------------------------


@pytest.fixture
def backoffs(monkeypatch):
    """The backoff pauses the fetch asked for, none of them slept."""
    pauses = []
    monkeypatch.setattr(fetching, "default_client", lambda: default_client(sleep=pauses.append))
    return pauses


@pytest.mark.django_db
def test_short_arxiv_pages_are_followed_until_total_results(httpserver, settings, queued, backoffs):
    settings.FETCH_ARXIV_PAGE_SIZE = 5
    httpserver.expect_request("/api/query").respond_with_handler(capped_pages(total=7, cap=3))
    source = SourceFactory(kind="arxiv", url=httpserver.url_for("/api/query"), fetch_limit=100)
    run = source_fetch(source=source)
    assert run_counts(run) == ("succeeded", 7, 0, 0, 0, 0)
    assert Paper.objects.count() == 7 and backoffs == []
    starts = [entry[0].args["start"] for entry in httpserver.log]
    assert starts == ["0", "3", "6"]


@pytest.mark.django_db
def test_the_source_limit_still_ends_paging_over_short_pages(httpserver, settings, queued, backoffs):
    settings.FETCH_ARXIV_PAGE_SIZE = 5
    httpserver.expect_request("/api/query").respond_with_handler(capped_pages(total=7, cap=3))
    source = SourceFactory(kind="arxiv", url=httpserver.url_for("/api/query"), fetch_limit=4)
    assert source_fetch(source=source).new_count == 4
    assert [entry[0].args["max_results"] for entry in httpserver.log] == ["4", "1"]


@pytest.mark.django_db
def test_empty_pages_are_retried_with_backoff_then_the_run_is_partial(httpserver, settings, queued, backoffs):
    settings.FETCH_ARXIV_PAGE_SIZE = 5
    settings.FETCH_RETRIES = 2
    httpserver.expect_request("/api/query").respond_with_handler(empty_after(total=7, served=2))
    source = SourceFactory(kind="arxiv", url=httpserver.url_for("/api/query"), fetch_limit=100)
    run = source_fetch(source=source)
    assert run_counts(run) == ("partial", 2, 0, 0, 0, 0)
    assert "empty page at 2 of 7" in run.error and run.finished_at is not None
    assert len(backoffs) == 2  # three tries of the empty page, two pauses between them
    assert [entry[0].args["start"] for entry in httpserver.log] == ["0", "2", "2", "2"]
    source.refresh_from_db()
    assert source.last_error == run.error and source.etag == ""
    assert Paper.objects.count() == 2


@pytest.mark.django_db
def test_an_empty_page_that_comes_back_full_on_retry_loses_nothing(httpserver, settings, queued, backoffs):
    settings.FETCH_ARXIV_PAGE_SIZE = 5
    full = capped_pages(total=7, cap=5)
    answers = iter([full, empty_after(total=7, served=0), full])
    httpserver.expect_request("/api/query").respond_with_handler(lambda request: next(answers)(request))
    source = SourceFactory(kind="arxiv", url=httpserver.url_for("/api/query"), fetch_limit=100)
    run = source_fetch(source=source)
    assert run_counts(run) == ("succeeded", 7, 0, 0, 0, 0) and len(backoffs) == 1


@pytest.mark.django_db
def test_a_query_without_results_is_no_partial_fetch(httpserver, queued, backoffs):
    httpserver.expect_request("/api/query").respond_with_handler(empty_after(total=0, served=0))
    source = SourceFactory(kind="arxiv", url=httpserver.url_for("/api/query"))
    assert run_counts(source_fetch(source=source)) == ("succeeded", 0, 0, 0, 0, 0)
    assert len(httpserver.log) == 1 and backoffs == []
