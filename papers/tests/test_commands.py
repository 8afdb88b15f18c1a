"""add_source, fetch_papers, summarise_papers, and the admin actions that queue pipeline work."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from outbox.tests.helpers import intercept
from papers import fetching, tasks
from papers.http import default_client
from papers.models import FetchRun, Paper, Source
from papers.tests.arxiv_server import empty_after
from papers.tests.conftest import fixture_bytes
from papers.tests.factories import FetchRunFactory, PaperFactory, SourceFactory

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_add_source_creates_a_source():
    output = run(
        "add_source",
        "--kind",
        "arxiv",
        "--name",
        "arXiv cs.LG",
        "--url",
        "https://export.arxiv.org/api/query?search_query=cat:cs.LG",
        "--interval",
        "60",
        "--no-auto-list",
    )
    source = Source.objects.get()
    assert (source.name, source.kind, source.interval, source.auto_list) == (
        "arXiv cs.LG",
        "arxiv",
        60,
        False,
    )
    assert "Added source 'arXiv cs.LG'" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "feed", "--name", "x", "--url", "ftp://example.org/feed"], "--url"),
        (
            ["--kind", "feed", "--name", "x", "--url", "https://example.org/f", "--interval", "0"],
            "--interval",
        ),
        (["--kind", "feed", "--name", "taken", "--url", "https://example.org/f"], "--name"),
    ],
)
def test_add_source_refuses_bad_input_and_changes_nothing(args, message):
    SourceFactory(name="taken")
    with pytest.raises(CommandError, match=message):
        run("add_source", *args)
    assert Source.objects.count() == 1


def test_add_source_refuses_an_unknown_kind():
    with pytest.raises(CommandError, match="invalid choice"):
        run("add_source", "--kind", "gopher", "--name", "x", "--url", "https://example.org/")


def test_fetch_papers_fetches_a_named_source_and_prints_its_counts(httpserver, queued):
    httpserver.expect_request("/feed").respond_with_data(fixture_bytes("feed.rss"))
    SourceFactory(name="lab feed", kind="feed", url=httpserver.url_for("/feed"))
    output = run("fetch_papers", "--source", "lab feed")
    assert "lab feed: 3 new, 0 updated, 0 unchanged, 0 failed, 1 skipped" in output
    assert Paper.objects.count() == 3


def test_fetch_papers_exits_non_zero_naming_the_failed_source(httpserver, queued):
    httpserver.expect_request("/good").respond_with_data(fixture_bytes("feed.atom"))
    httpserver.expect_request("/bad").respond_with_data(fixture_bytes("arxiv_error.xml"))
    SourceFactory(name="good", kind="feed", url=httpserver.url_for("/good"))
    SourceFactory(name="bad", kind="arxiv", url=httpserver.url_for("/bad"))
    with pytest.raises(CommandError, match=r"1 source\(s\) failed: bad \(arXiv API error"):
        run("fetch_papers", "--all")
    assert Paper.objects.count() == 2
    assert set(FetchRun.objects.values_list("source__name", "status")) == {
        ("good", "succeeded"),
        ("bad", "failed"),
    }


def test_fetch_papers_prints_a_partial_fetch_as_a_warning_and_exits_zero(httpserver, queued, monkeypatch):
    monkeypatch.setattr(fetching, "default_client", lambda: default_client(sleep=lambda seconds: None))
    httpserver.expect_request("/api/query").respond_with_handler(empty_after(total=7, served=2))
    SourceFactory(name="flaky arxiv", kind="arxiv", url=httpserver.url_for("/api/query"))
    output = run("fetch_papers", "--source", "flaky arxiv")  # raises CommandError on a non-zero exit
    assert "flaky arxiv: PARTIAL: 2 new, 0 updated, 0 unchanged, 0 failed, 0 skipped" in output
    assert "empty page at 2 of 7" in output
    assert FetchRun.objects.get().status == FetchRun.Status.PARTIAL


def test_the_fetch_runs_admin_shows_a_partial_run_and_why(client, superuser):
    FetchRunFactory(status=FetchRun.Status.PARTIAL, error="arXiv answered an empty page at 2 of 7 results")
    client.force_login(superuser)
    page = client.get(reverse("admin:papers_fetchrun_changelist"), {"status__exact": "partial"})
    assert page.status_code == 200
    assert "Partial" in page.content.decode() and "empty page at 2 of 7" in page.content.decode()


def test_fetch_papers_without_options_fetches_only_due_sources(httpserver, queued):
    from django.utils import timezone

    SourceFactory(name="fresh", kind="feed", url=httpserver.url_for("/feed"), last_fetched_at=timezone.now())
    assert "No source is due" in run("fetch_papers")
    assert httpserver.log == []


def test_fetch_papers_names_the_sources_when_one_is_unknown():
    SourceFactory(name="lab feed")
    with pytest.raises(CommandError, match="No source named 'nope'. Sources: lab feed."):
        run("fetch_papers", "--source", "nope")


def test_summarise_papers_fills_in_missing_summaries():
    missing = PaperFactory(summary="", summary_backend="")
    done = PaperFactory(summary="Kept.", summary_backend="llm")
    output = run("summarise_papers", "--missing", "--backend", "extractive")
    missing.refresh_from_db()
    done.refresh_from_db()
    assert missing.summary and missing.summary_backend == "extractive"
    assert (done.summary, done.summary_backend) == ("Kept.", "llm")
    assert "Summarised 1 of 1 paper(s): 1 by extractive." in output


def test_summarise_papers_all_replaces_every_summary():
    papers = [PaperFactory(summary="Old.", summary_backend="llm") for _ in range(2)]
    run("summarise_papers", "--all")
    assert {p.summary_backend for p in Paper.objects.filter(pk__in=[p.pk for p in papers])} == {"extractive"}


def test_summarise_papers_refuses_an_unknown_backend():
    with pytest.raises(CommandError, match="Unknown summary backend 'magic'"):
        run("summarise_papers", "--backend", "magic")


def test_the_admin_fetch_now_action_queues_a_forced_fetch(
    client, superuser, monkeypatch, django_capture_on_commit_callbacks
):
    source = SourceFactory()
    queued = []
    intercept(monkeypatch, tasks.fetch_source, lambda m: queued.append((tuple(m.args), m.kwargs)))
    client.force_login(superuser)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:papers_source_changelist"),
            {"action": "fetch_now", "_selected_action": [source.pk]},
        )
    assert response.status_code == 302
    assert queued == [((source.pk,), {"force": True})]


def test_the_admin_resummarise_action_queues_summaries(client, superuser, queued):
    paper = PaperFactory()
    client.force_login(superuser)
    response = client.post(
        reverse("admin:papers_paper_changelist"), {"action": "resummarise", "_selected_action": [paper.pk]}
    )
    assert response.status_code == 302
    assert queued == [paper.pk]
