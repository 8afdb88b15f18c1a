"""Celery tasks for the pipeline: thin, taking ids, each calling one service.

Services queue them by name through the outbox (outbox.enqueue), except the fetches that
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
from django.core.cache import cache
from django.db import OperationalError

from papers.fetching import paper_fetch_metadata, source_fetch_if_due, sources_due
from papers.http import FetchError
from papers.related import papers_relate
from papers.search import term_stats, text_index, text_indexing
from papers.services import paper_embed, paper_metadata_failed, paper_summarise
from papers.topics import papers_assign_topics_after

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


# Papers' steps per assign_topics task: 20 x ASSIGN_BATCH papers take a few seconds, well
# inside the soft time limit, and the task then hands the rest to its next run.
ASSIGN_STEPS_PER_TASK = 20


@shared_task(**TASK_OPTIONS, **DB_RETRY)
def assign_topics(after: int) -> int:
    """Assign the embedded papers with ids above `after` to the topics, a few steps at a time;
    queues itself for the rest (in a worker the broker is up, as for fetch_due_sources)."""
    made = 0
    for _ in range(ASSIGN_STEPS_PER_TASK):
        step = papers_assign_topics_after(after=after)
        if step is None:
            return made
        _, assigned, after = step
        made += assigned
    assign_topics.delay(after)
    return made


@shared_task(**TASK_OPTIONS, **DB_RETRY)
def relate_papers(paper_ids: list[int]) -> int:
    """Store the nearest listed papers of a batch of newly embedded papers (papers.related)."""
    return papers_relate(paper_ids=paper_ids)


# Reads, changes and writes the whole main index file: minutes at a million papers on a
# busy 2-core host, far beyond the pipeline's few-minute limit for a task.
FOLD_OPTIONS = {**TASK_OPTIONS, "soft_time_limit": 3600, "time_limit": 3660}


@shared_task(**FOLD_OPTIONS)
def fold_vector_index() -> int:
    """Fold this host's delta of the nearest-neighbour index into its main file (queued by
    paper_embed when the delta is large); a second fold meanwhile returns at once."""
    from papers.search import vector_index

    return vector_index.fold()


@shared_task(**TASK_OPTIONS, **DB_RETRY)
def refresh_search_terms() -> None:
    """Recount how many papers use each word (PostgreSQL's IDF for search; hourly, by beat)."""
    term_stats.refresh()


def metadata_retry_countdown(retries: int) -> float:
    """Seconds before the next try: METADATA_RETRY_SECONDS doubling, at most 10 minutes.

    With the defaults (30 s, 5 retries) the tries come 30 s, 1, 2, 4 and 8 minutes apart: a
    suggestion says it failed about 15 minutes after the first try (plus the HTTP client's own
    FETCH_RETRIES within each try).
    """
    return min(600.0, settings.METADATA_RETRY_SECONDS * 2**retries)


@shared_task(bind=True, **TASK_OPTIONS, **DB_RETRY)
def fetch_paper_metadata(self, paper_id: int) -> bool:
    """Fill in a paper added by URL; transient HTTP failures are retried with a bounded backoff,
    and a failure that retrying will not mend is recorded on the paper for its suggester."""
    try:
        return paper_fetch_metadata(paper_id=paper_id)
    except FetchError as error:
        if error.permanent or self.request.retries >= settings.METADATA_MAX_RETRIES:
            logger.warning("No metadata for paper %s: %s", paper_id, error)
            paper_metadata_failed(paper_id=paper_id, error=str(error))
            return False
        countdown = metadata_retry_countdown(self.request.retries)
        raise self.retry(exc=error, countdown=countdown, max_retries=settings.METADATA_MAX_RETRIES) from error


@shared_task(**TASK_OPTIONS, **DB_RETRY)
def update_search_index() -> int | None:
    """Index the papers changed since this host's text index was last updated (queued through the
    outbox when papers are added or summarised, and by beat every minute); None without an index."""
    cache.delete(text_index.QUEUED_KEY)  # changes from now on queue another run
    return text_indexing.update()
