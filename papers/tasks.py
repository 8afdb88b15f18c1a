"""Celery tasks for the pipeline: thin, taking ids, each calling one service.

Tasks are queued through the outbox (outbox.enqueue), except the fetches that
beat's fetch_due_sources queues: it runs in a worker, so the broker is up, and
the next check queues a source again if it is still due.
All are idempotent and run with acks_late + reject_on_worker_lost (a task whose
worker dies is delivered again), a soft time limit below the hard one, and
retries only for what can succeed later: a database that is briefly away, or
an HTTP failure the client marked as transient.
"""

import logging

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from outbox import enqueue_many
from papers.fetching import paper_fetch_metadata, source_fetch_if_due, sources_due
from papers.http import FetchError
from papers.services import paper_embed, paper_summarise

logger = logging.getLogger(__name__)

TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "soft_time_limit": settings.CELERY_TASK_SOFT_TIME_LIMIT,
    "time_limit": settings.CELERY_TASK_TIME_LIMIT,
}
DB_RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": 10,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(**TASK_OPTIONS, **DB_RETRY)
def fetch_due_sources() -> int:
    """Beat runs this every FETCH_CHECK_SECONDS: queue one fetch per due source."""
    due = sources_due()
    for source_id in due:
        fetch_source.delay(source_id)
    return len(due)


@shared_task(**TASK_OPTIONS, **DB_RETRY)
def fetch_source(source_id: int, force: bool = False) -> int | None:
    """Fetch one source if still due (or forced); a source already being fetched is skipped.

    HTTP failures are not retried here: the client retried transient ones already
    and the FetchRun records the error; the next due check tries again.
    """
    run = source_fetch_if_due(source_id=source_id, force=force)
    return run.pk if run else None


@shared_task(**TASK_OPTIONS, **DB_RETRY)
def summarise_paper(paper_id: int) -> str | None:
    """Write the paper's TL;DR and keywords (the LLM backend falls back to extractive by itself)."""
    summary = paper_summarise(paper_id=paper_id)
    return summary.backend if summary else None


@shared_task(**TASK_OPTIONS, **DB_RETRY)
def summarise_papers(paper_ids: list[int]) -> int:
    """Summarise a few papers in one task (cheap offline backends): one message instead of many."""
    return sum(paper_summarise(paper_id=paper_id) is not None for paper_id in paper_ids)


@shared_task(**TASK_OPTIONS, **DB_RETRY)
def embed_papers(paper_ids: list[int]) -> int:
    """Store the search embeddings of a batch of new or changed papers (one model call)."""
    return paper_embed(paper_ids=paper_ids)


def queue_embeddings(paper_ids: list[int]) -> None:
    """Queue search embeddings when the transaction commits, BATCH papers per task."""
    from papers.search.embeddings import BATCH

    batches = [paper_ids[start : start + BATCH] for start in range(0, len(paper_ids), BATCH)]
    enqueue_many(embed_papers, [((batch,), {}) for batch in batches])


def queue_summaries(paper_ids: list[int]) -> None:
    """Queue summaries when the transaction commits: SUMMARY_TASK_BATCH papers per task; and
    the papers' search embeddings, which change on the same occasions (new paper, new abstract).

    One paper per task for a slow backend (an LLM), so a batch never nears the
    time limit; a few dozen per task for the offline one, where publishing a
    message costs more than the summary.
    """
    queue_embeddings(paper_ids)
    size = settings.SUMMARY_TASK_BATCH
    if size <= 1:
        enqueue_many(summarise_paper, [((paper_id,), {}) for paper_id in paper_ids])
        return
    batches = [paper_ids[start : start + size] for start in range(0, len(paper_ids), size)]
    enqueue_many(summarise_papers, [((batch,), {}) for batch in batches])


@shared_task(bind=True, **TASK_OPTIONS, **DB_RETRY)
def fetch_paper_metadata(self, paper_id: int) -> bool:
    """Fill in a paper added by URL; transient HTTP failures are retried with backoff."""
    try:
        return paper_fetch_metadata(paper_id=paper_id)
    except FetchError as error:
        if error.permanent:
            logger.warning("No metadata for paper %s: %s", paper_id, error)
            return False
        countdown = min(600, 30 * 2**self.request.retries)
        raise self.retry(exc=error, countdown=countdown, max_retries=5) from error
