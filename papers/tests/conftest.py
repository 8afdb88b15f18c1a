"""Fixtures for the pipeline tests: fast fetch settings and fixture files."""

from pathlib import Path

import pytest

from papers.tests.scripted_group import group  # noqa: F401 (the "for you" tests' fixture)

FIXTURES = Path(__file__).with_name("fixtures")


@pytest.fixture(autouse=True)
def _fast_fetching(settings):
    """No 3-second arXiv pauses or multi-second backoffs in tests."""
    settings.FETCH_ARXIV_INTERVAL_SECONDS = 0
    settings.FETCH_BACKOFF_SECONDS = 0.001
    settings.FETCH_BACKOFF_MAX_SECONDS = 5
    settings.FETCH_READ_TIMEOUT = 2
    settings.FETCH_CONNECT_TIMEOUT = 2
    settings.FETCH_RETRIES = 2


@pytest.fixture(autouse=True)
def _fresh_search_embeddings():
    """Each test's papers have their own ids and embeddings: no matrix from an earlier test."""
    from papers.search import semantic

    semantic.forget()
    yield
    semantic.forget()


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def queued(monkeypatch):
    """Ids of papers queued for summarising, whether one per task or a few per task."""
    from outbox.tests.helpers import intercept
    from papers import tasks

    ids: list[int] = []
    intercept(monkeypatch, tasks.summarise_paper, lambda message: ids.append(message.args[0]))
    intercept(monkeypatch, tasks.summarise_papers, lambda message: ids.extend(message.args[0]))
    return ids
