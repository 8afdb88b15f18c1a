"""Writes to papers. Every function here is the one place its change happens."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from outbox import enqueue
from papers import normalise
from papers.models import Paper, Source, Tag, Vote, tag_slug
from papers.summaries.base import Summary
from papers.trending import SCORE_AFTER_UNVOTE_SQL, SCORE_AFTER_VOTE_SQL


@dataclass(frozen=True)
class VoteState:
    paper_id: int
    vote_count: int
    voted: bool


_PAPER = Paper._meta.db_table
_VOTE = Vote._meta.db_table

# One statement adds the vote only when the paper is listed and the member has
# not voted yet; RETURNING tells whether a row went in, so the count below moves
# exactly when the vote rows do, whatever runs concurrently.
_INSERT_VOTE = (
    f"INSERT INTO {_VOTE} (user_id, paper_id, created_at) "
    f"SELECT %s, id, %s FROM {_PAPER} WHERE id = %s AND status = 'listed' "
    "ON CONFLICT (user_id, paper_id) DO NOTHING RETURNING id"
)
_DELETE_VOTE = f"DELETE FROM {_VOTE} WHERE user_id = %s AND paper_id = %s RETURNING id"
_COUNT_UP = (
    f"UPDATE {_PAPER} SET trending_score = {SCORE_AFTER_VOTE_SQL}, vote_count = vote_count + 1 "
    "WHERE id = %s RETURNING vote_count"
)
_COUNT_DOWN = (
    f"UPDATE {_PAPER} SET trending_score = {SCORE_AFTER_UNVOTE_SQL}, vote_count = vote_count - 1 "
    "WHERE id = %s RETURNING vote_count"
)
_READ_COUNT = f"SELECT vote_count, status FROM {_PAPER} WHERE id = %s"


def paper_vote_set(*, user, paper_id: int, voted: bool) -> VoteState:
    """Make the member's vote on a paper exist (or not); idempotent.

    Raises Paper.DoesNotExist when there is no such paper, or when voting for
    a paper that is not listed; PermissionDenied when the member's account was
    deleted while the vote was on its way. Either way nothing is written.
    """
    try:
        return _vote_set(user=user, paper_id=paper_id, voted=voted)
    except IntegrityError as error:
        # The vote's foreign keys are checked at commit: the member or the paper was
        # deleted by another transaction in the meantime, and this one rolled back.
        if not type(user).objects.filter(pk=user.pk).exists():
            raise PermissionDenied("This account no longer exists.") from error
        raise Paper.DoesNotExist(f"No listed paper with id {paper_id}.") from error


@transaction.atomic
def _vote_set(*, user, paper_id: int, voted: bool) -> VoteState:
    with connection.cursor() as cursor:
        if voted:
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            cursor.execute(_INSERT_VOTE, [user.pk, now, paper_id])
            changed = cursor.fetchone() is not None
            count_sql = _COUNT_UP
        else:
            cursor.execute(_DELETE_VOTE, [user.pk, paper_id])
            changed = cursor.fetchone() is not None
            count_sql = _COUNT_DOWN
        cursor.execute(count_sql if changed else _READ_COUNT, [paper_id])
        row = cursor.fetchone()
    # No vote went in for a listed paper only when the member had voted already.
    if row is None or (voted and not changed and row[1] != Paper.Status.LISTED):
        raise Paper.DoesNotExist(f"No listed paper with id {paper_id}.")
    return VoteState(paper_id=paper_id, vote_count=row[0], voted=voted)


def paper_vote_toggle(*, user, paper_id: int) -> VoteState:
    has_voted = Vote.objects.filter(user=user, paper_id=paper_id).exists()
    return paper_vote_set(user=user, paper_id=paper_id, voted=not has_voted)


def paper_set_status(*, papers, status: str) -> int:
    """Set the status of many papers at once; returns how many changed."""
    if status not in Paper.Status.values:
        raise ValueError(f"Unknown paper status {status!r}.")
    return papers.exclude(status=status).update(status=status, modified_at=timezone.now())


def paper_add_tags(*, papers, tags) -> None:
    """Add tags to papers; pairs that exist already are left alone."""
    through = Paper.tags.through
    paper_ids = papers.values_list("pk", flat=True)
    links = [through(paper_id=p, tag_id=t.pk) for p in paper_ids for t in tags]
    # The through table's unique (paper, tag) index makes existing pairs no-ops.
    through.objects.bulk_create(links, ignore_conflicts=True)


# --- Pipeline: sources, suggestions, summaries (issue 3) ---------------------------

SUGGEST_FORMS = (
    "Enter an arXiv URL or id (2401.12345, arXiv:2401.12345v2, https://arxiv.org/abs/2401.12345), "
    "a Hugging Face paper URL (https://huggingface.co/papers/2401.12345) "
    "or a DOI (10.1234/abcd, doi:10.1234/abcd, https://doi.org/10.1234/abcd)."
)
# DataCite DOIs that arXiv assigns name the arXiv paper itself.
ARXIV_DOI_PREFIX = "10.48550/arxiv."


def _suggested_paper(reference: str) -> Paper:
    """An unsaved pending paper holding what the reference tells; ValidationError when it is neither form."""
    ref = normalise.arxiv_ref(reference)
    doi = "" if ref else normalise.doi(reference)
    if doi.startswith(ARXIV_DOI_PREFIX):
        ref, doi = normalise.arxiv_ref(doi.removeprefix(ARXIV_DOI_PREFIX)), ""
    if ref is not None:
        return Paper(
            arxiv_id=ref.id,
            arxiv_version=ref.version,
            title=f"arXiv:{ref.id}",
            url=normalise.arxiv_abs_url(ref.id),
            pdf_url=normalise.arxiv_pdf_url(ref.versioned),
        )
    if doi:
        return Paper(doi=doi, title=f"doi:{doi}", url=normalise.doi_url(doi))
    raise ValidationError({"reference": SUGGEST_FORMS})


def _existing(paper: Paper) -> Paper | None:
    if paper.arxiv_id:
        return Paper.objects.filter(arxiv_id=paper.arxiv_id).first()
    return Paper.objects.filter(doi=paper.doi).first()


def paper_suggest(*, user, reference: str) -> tuple[Paper, bool]:
    """Add a paper by arXiv URL or id, Hugging Face paper URL or DOI; (paper, created).

    A new paper is pending with what the reference tells at once (id, links, a
    placeholder title); a task fills in the metadata and lists it. A paper the
    site has already comes back with created=False.
    """
    paper = _suggested_paper(reference if isinstance(reference, str) else "")
    existing = _existing(paper)
    if existing is not None:
        return existing, False
    from papers.tasks import fetch_paper_metadata

    paper.submitted_by = user if user is not None and user.is_authenticated else None
    paper.status = Paper.Status.PENDING
    try:
        with transaction.atomic():
            paper.save()
            enqueue(fetch_paper_metadata, paper.pk)  # with the paper, or not at all
    except IntegrityError:
        # Someone added the same paper between our lookup and our insert.
        existing = _existing(paper)
        if existing is None:
            raise
        return existing, False
    return paper, True


@transaction.atomic
def paper_resummarise(*, paper_ids) -> int:
    """Queue a fresh summary for each paper; returns how many were queued."""
    from papers.tasks import summarise_paper

    ids = list(Paper.objects.filter(pk__in=list(paper_ids)).values_list("pk", flat=True))
    for paper_id in ids:
        enqueue(summarise_paper, paper_id)
    return len(ids)


def _set_keyword_tags(paper_id: int, keywords: list[str]) -> None:
    through = Paper.tags.through
    through.objects.filter(paper_id=paper_id, tag__kind=Tag.Kind.KEYWORD).delete()
    slugs = {tag_slug(k): k[:100] for k in keywords if tag_slug(k)}
    if not slugs:
        return
    Tag.objects.bulk_create(
        [Tag(name=name, slug=slug, kind=Tag.Kind.KEYWORD) for slug, name in slugs.items()],
        ignore_conflicts=True,
    )
    tag_ids = Tag.objects.filter(slug__in=slugs).values_list("pk", flat=True)
    through.objects.bulk_create(
        [through(paper_id=paper_id, tag_id=t) for t in tag_ids], ignore_conflicts=True
    )


def paper_summarise(*, paper_id: int, backend=None) -> Summary | None:
    """Write a paper's TL;DR, keywords (also as keyword tags) and which backend wrote them.

    Returns None when the paper is gone, or changed while it was summarised
    (the change queued a summary of its own).
    """
    from papers.summaries import get_backend

    paper = Paper.objects.filter(pk=paper_id).values("title", "abstract").first()
    if paper is None:
        return None
    summary = (backend or get_backend()).summarise(title=paper["title"], abstract=paper["abstract"])
    with transaction.atomic():
        stored = Paper.objects.filter(pk=paper_id, title=paper["title"], abstract=paper["abstract"]).update(
            summary=summary.text,
            summary_backend=summary.backend,
            keywords=summary.keywords,
            modified_at=timezone.now(),
        )
        if not stored:
            return None
        _set_keyword_tags(paper_id, summary.keywords)
    return summary


def source_create(
    *, name: str, kind: str, url: str, interval: int = 360, auto_list: bool = True, fetch_limit: int = 200
) -> Source:
    """A new source, validated like the admin form; raises ValidationError."""
    source = Source(
        name=name, kind=kind, url=url, interval=interval, auto_list=auto_list, fetch_limit=fetch_limit
    )
    source.full_clean()
    source.save()
    return source


@transaction.atomic
def source_queue_fetch(*, source_ids) -> int:
    """Queue a fetch of each source now, due or not; returns how many were queued."""
    from papers.tasks import fetch_source

    ids = list(Source.objects.filter(pk__in=list(source_ids)).values_list("pk", flat=True))
    for source_id in ids:
        enqueue(fetch_source, source_id, force=True)
    return len(ids)


def paper_embed(*, paper_ids: list[int]) -> int:
    """Store the embedding of each paper's title + abstract (papers.search); how many were written.

    The vectors are computed outside the transaction; a paper whose abstract changes meanwhile
    is queued again by that change, so its next embedding replaces this one.
    """
    from papers.search import embeddings, semantic  # numpy and the model load only here

    papers = list(
        Paper.objects.filter(pk__in=paper_ids).order_by("pk").values_list("pk", "title", "abstract")
    )
    if not papers:
        return 0
    vectors = embeddings.embed([embeddings.paper_text(title, abstract) for _, title, abstract in papers])
    with transaction.atomic():
        for (pk, _, _), vector in zip(papers, vectors, strict=True):
            Paper.objects.filter(pk=pk).update(embedding=embeddings.to_bytes(vector))
    semantic.bump_version()  # after the commit: every process reloads on its next search
    return len(papers)
