"""Two worker processes fetching at once give no duplicates (real processes, PostgreSQL).

Each process is `manage.py fetch_papers`, the same code path a Celery worker runs;
a stand-in server holds its answer until both processes have asked, so both
upserts run at the same moment.
"""

import sys

import pytest

from papers.models import Author, FetchRun, Paper, PaperAuthor, Source, Tag
from papers.tests.factories import SourceFactory
from readinggroup.tests import processes
from readinggroup.tests.standins import STANDIN_AUTHORS, FeedStandIn, atom_entry, atom_feed

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
PAPERS = 80


def _feed() -> bytes:
    ids = [f"2405.{n:05d}" for n in range(PAPERS)]
    return atom_feed([atom_entry(i, title=f"Overlapping paper {i}", authors=STANDIN_AUTHORS) for i in ids])


def _fetch(name: str) -> list[str]:
    return [sys.executable, "manage.py", "fetch_papers", "--source", name]


def _assert_one_row_per_paper() -> None:
    assert Paper.objects.count() == PAPERS
    assert Paper.objects.values("arxiv_id").distinct().count() == PAPERS
    assert Author.objects.count() == len(STANDIN_AUTHORS)
    assert PaperAuthor.objects.count() == PAPERS * len(STANDIN_AUTHORS)
    assert Tag.objects.filter(slug="cs-lg").count() == 1
    assert Paper.tags.through.objects.count() == PAPERS


def test_two_processes_fetching_two_sources_of_the_same_papers_at_once_create_no_duplicates(tmp_path):
    with FeedStandIn(_feed()) as standin:
        first = SourceFactory(kind=Source.Kind.ARXIV, name="first", url=f"{standin.base}/a")
        second = SourceFactory(kind=Source.Kind.ARXIV, name="second", url=f"{standin.base}/b")
        env = processes.app_env(tmp_path)
        results = processes.run_together([_fetch("first"), _fetch("second")], env)
    assert [status for status, _ in results] == [0, 0], results
    assert dict(standin.requests) == {"/a": 1, "/b": 1}
    _assert_one_row_per_paper()
    runs = {run.source_id: run for run in FetchRun.objects.all()}
    assert {run.status for run in runs.values()} == {"succeeded"}
    assert sum(run.new_count for run in runs.values()) == PAPERS  # each paper is new exactly once
    for run in (runs[first.pk], runs[second.pk]):
        assert run.new_count + run.updated_count + run.unchanged_count == PAPERS
    print(
        f"\nRELIABILITY fetch-two-processes: 2 processes x {PAPERS} overlapping papers at once -> "
        f"{Paper.objects.count()} papers, {PaperAuthor.objects.count()} authorships, new counts "
        f"{runs[first.pk].new_count}+{runs[second.pk].new_count}, duplicates 0"
    )


def test_two_processes_fetching_the_same_source_at_once_fetch_it_once(tmp_path):
    with FeedStandIn(_feed()) as standin:
        SourceFactory(kind=Source.Kind.ARXIV, name="shared", url=f"{standin.base}/shared")
        env = processes.app_env(tmp_path)  # one VAR_DIR: the processes share the file cache's lock
        results = processes.run_together([_fetch("shared"), _fetch("shared")], env)
    assert [status for status, _ in results] == [0, 0], results
    outputs = sorted(output for _, output in results)
    assert sum("another process is fetching it right now" in output for output in outputs) == 1, outputs
    assert standin.requests["/shared"] == 1
    assert FetchRun.objects.get().new_count == PAPERS
    _assert_one_row_per_paper()
    print("\nRELIABILITY fetch-same-source: 2 processes at once -> 1 fetched, 1 skipped (lock), duplicates 0")
