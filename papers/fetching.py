"""Fetching sources and paper metadata: the services the Celery tasks and commands call.

`source_fetch` is the one code path for a fetch, whether a worker runs it or
`manage.py fetch_papers` does: a cross-process lock per source, a FetchRun
recording counts or the error, and Source's conditional-GET state kept.
A failed fetch (HTTP error, arXiv's error entry, malformed or oversize body)
writes only the FetchRun and Source.last_error: records are parsed in full
before any paper row is touched.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from papers import sources
from papers.http import FetchError, HttpClient, default_client
from papers.ingest import UpsertCounts, paper_upsert
from papers.models import FetchRun, Paper, Source
from papers.services import paper_metadata_failed
from papers.sources import arxiv, crossref
from readinggroup.locks import advisory_locks_available, try_advisory_lock

logger = logging.getLogger(__name__)


class SourceBusy(Exception):
    """Another process is fetching this source right now."""


def _lock_seconds() -> int:
    # Longer than a task may live, so a lock outlasts its holder only when the holder died.
    return settings.CELERY_TASK_TIME_LIMIT + 60


LOCK_CLASS = 0x6673  # advisory lock namespace of source fetches (readinggroup/locks.py)


@contextlib.contextmanager
def source_lock(source_id: int) -> Iterator[None]:
    """Hold the fetch lock of one source, across processes: a PostgreSQL advisory lock, else
    an atomic cache add with expiry (atomic on Redis; the embedded default runs one worker)."""
    if advisory_locks_available():
        with try_advisory_lock(LOCK_CLASS, source_id) as locked:
            if not locked:
                raise SourceBusy(f"Source {source_id} is being fetched already.")
            yield
        return
    key, token = f"fetch:source-lock:{source_id}", uuid.uuid4().hex
    if not cache.add(key, token, timeout=_lock_seconds()):
        raise SourceBusy(f"Source {source_id} is being fetched already.")
    try:
        yield
    finally:
        if cache.get(key) == token:
            cache.delete(key)


@contextlib.contextmanager
def _client(client: HttpClient | None) -> Iterator[HttpClient]:
    if client is not None:
        yield client
        return
    with default_client() as made:
        yield made


def _finish(run: FetchRun, *, status: str, error: str = "", counts: UpsertCounts | None = None) -> FetchRun:
    run.status, run.error, run.finished_at = status, error, timezone.now()
    if counts is not None:
        run.new_count, run.updated_count = counts.new, counts.updated
        run.unchanged_count, run.failed_count = counts.unchanged, counts.failed
    run.save()
    return run


def source_fetch(*, source: Source, client: HttpClient | None = None) -> FetchRun:
    """Fetch one source now and record the run. Raises SourceBusy when it is being fetched already."""
    with source_lock(source.pk):
        run = FetchRun.objects.create(source=source, started_at=timezone.now())
        try:
            return _fetch_and_store(source, run, client)
        except Exception as error:  # a bug or a database outage: record it, then let the caller see it
            _finish(run, status=FetchRun.Status.FAILED, error=f"{type(error).__name__}: {error}")
            Source.objects.filter(pk=source.pk).update(last_fetched_at=timezone.now(), last_error=str(error))
            raise


def _fetch_and_store(source: Source, run: FetchRun, client: HttpClient | None) -> FetchRun:
    try:
        with _client(client) as http:
            result = sources.fetch(
                source.kind,
                http,
                url=source.url,
                limit=source.fetch_limit,
                etag=source.etag,
                last_modified=source.last_modified,
            )
    except FetchError as error:
        logger.warning("Fetching %s failed: %s", source, error)
        Source.objects.filter(pk=source.pk).update(last_fetched_at=timezone.now(), last_error=str(error))
        return _finish(run, status=FetchRun.Status.FAILED, error=str(error))
    counts = UpsertCounts() if result.not_modified else paper_upsert(records=result.records, source=source)
    counts.failed += result.failed
    run.skipped_count = result.skipped
    if result.incomplete:
        logger.warning("Fetching %s stopped early: %s", source, result.incomplete)
        # Without validators the next fetch asks in full rather than hearing "304, unchanged".
        result.etag = result.last_modified = ""
    status = FetchRun.Status.PARTIAL if result.incomplete else FetchRun.Status.SUCCEEDED
    with transaction.atomic():
        Source.objects.filter(pk=source.pk).update(
            etag=result.etag[:255],
            last_modified=result.last_modified[:64],
            last_fetched_at=timezone.now(),
            last_error=result.incomplete,
        )
        return _finish(run, status=status, error=result.incomplete, counts=counts)


def source_fetch_if_due(*, source_id: int, force: bool = False) -> FetchRun | None:
    """What the task runs: fetch when the source exists and is due (or forced); None when skipped."""
    source = Source.objects.filter(pk=source_id).first()
    if source is None or not (force or source.is_due()):
        return None
    try:
        return source_fetch(source=source)
    except SourceBusy:
        logger.info("Skipping %s: it is being fetched already.", source)
        return None


def sources_due() -> list[int]:
    return [source.pk for source in Source.objects.filter(enabled=True) if source.is_due()]


# --- metadata for papers added by URL --------------------------------------------


def paper_fetch_metadata(*, paper_id: int, client: HttpClient | None = None) -> bool:
    """Fill in a paper added by URL from the arXiv API (or Crossref for a DOI).

    Returns False when there is nothing to fill in (no such paper, no id, or
    the service does not know it). Raises FetchError when the service failed.
    A member's suggestion is listed once its metadata is in, so members can vote on it.
    """
    paper = Paper.objects.filter(pk=paper_id).first()
    if paper is None or not (paper.arxiv_id or paper.doi):
        return False
    with _client(client) as http:
        if paper.arxiv_id:
            records = arxiv.fetch_ids(http, api_url=settings.ARXIV_API_URL, ids=[paper.arxiv_id])
            records = [r for r in records if r.arxiv_id == paper.arxiv_id]
        else:
            records = [crossref.fetch_doi(http, api_url=settings.CROSSREF_API_URL, doi=paper.doi)]
    if not records:
        logger.warning("No metadata found for paper %s (%s)", paper_id, paper.arxiv_id or paper.doi)
        service = "arXiv" if paper.arxiv_id else "Crossref"
        paper_metadata_failed(paper_id=paper_id, error=f"{service} does not know {paper.title}.")
        return False
    with transaction.atomic():
        paper_upsert(records=records[:1], source=None, overwrite=True)
        Paper.objects.filter(pk=paper_id).update(
            metadata_pending=False, metadata_error="", metadata_failed_at=None
        )
        if paper.submitted_by_id is not None:
            Paper.objects.filter(pk=paper_id, status=Paper.Status.PENDING).update(
                status=Paper.Status.LISTED, modified_at=timezone.now()
            )
    return True
