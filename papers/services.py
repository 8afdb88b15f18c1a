"""Writes to papers. Every function here is the one place its change happens."""

from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from outbox import enqueue, enqueue_many
from papers import normalise
from papers.discovery import forget_for_you
from papers.models import Dismissal, Paper, PaperTombstone, Source, Tag, Vote, tag_slug
from papers.selectors import paper_visible
from papers.signals import papers_visibility_changed
from papers.summaries.base import Summary
from papers.trending import SCORE_AFTER_UNVOTE_SQL, SCORE_AFTER_VOTE_SQL, trending_score


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
#
# On PostgreSQL both statements lock the paper's row first ({lock}), so a vote and a merge
# (papers_merge locks the papers before moving votes) take their locks in the same order and
# never deadlock. SQLite has no row locks (nor the syntax): a writer has the database to itself.
_INSERT_VOTE = (
    f"INSERT INTO {_VOTE} (user_id, paper_id, created_at) "
    f"SELECT %s, id, %s FROM {_PAPER} WHERE id = %s AND status = 'listed'{{lock}} "
    "ON CONFLICT (user_id, paper_id) DO NOTHING RETURNING id"
)
_DELETE_VOTE = (
    f"DELETE FROM {_VOTE} WHERE user_id = %s "
    f"AND paper_id IN (SELECT id FROM {_PAPER} WHERE id = %s{{lock}}) RETURNING id"
)
# modified_at moves with the count: apps syncing with ?updated_since= see the new count.
_COUNT_UP = (
    f"UPDATE {_PAPER} SET trending_score = {SCORE_AFTER_VOTE_SQL}, vote_count = vote_count + 1, "
    "modified_at = %s WHERE id = %s RETURNING vote_count"
)
_COUNT_DOWN = (
    f"UPDATE {_PAPER} SET trending_score = {SCORE_AFTER_UNVOTE_SQL}, vote_count = vote_count - 1, "
    "modified_at = %s WHERE id = %s RETURNING vote_count"
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
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        lock = " FOR NO KEY UPDATE" if connection.features.has_select_for_update else ""
        if voted:
            cursor.execute(_INSERT_VOTE.format(lock=lock), [user.pk, now, paper_id])
            changed = cursor.fetchone() is not None
            count_sql = _COUNT_UP
        else:
            cursor.execute(_DELETE_VOTE.format(lock=lock), [user.pk, paper_id])
            changed = cursor.fetchone() is not None
            count_sql = _COUNT_DOWN
        if changed:
            cursor.execute(count_sql, [now, paper_id])
            forget_for_you(user.pk)  # the vote is a signal of theirs, and the paper leaves the list
        else:
            cursor.execute(_READ_COUNT, [paper_id])
        row = cursor.fetchone()
    # No vote went in for a listed paper only when the member had voted already.
    if row is None or (voted and not changed and row[1] != Paper.Status.LISTED):
        raise Paper.DoesNotExist(f"No listed paper with id {paper_id}.")
    return VoteState(paper_id=paper_id, vote_count=row[0], voted=voted)


def paper_vote_toggle(*, user, paper_id: int) -> VoteState:
    has_voted = Vote.objects.filter(user=user, paper_id=paper_id).exists()
    return paper_vote_set(user=user, paper_id=paper_id, voted=not has_voted)


@dataclass(frozen=True)
class DismissalState:
    paper_id: int
    dismissed: bool


def paper_dismiss_set(*, user, paper_id: int, dismissed: bool) -> DismissalState:
    """Say "not interested" to a paper (or take it back); idempotent. The paper leaves the member's
    "for you" list and counts against papers like it (papers.discovery).

    Raises Paper.DoesNotExist for a paper that does not exist or that the member may not see.
    """
    if not paper_visible(user=user).filter(pk=paper_id).exists():
        raise Paper.DoesNotExist(f"No paper with id {paper_id}.")
    forget_for_you(user.pk)
    if dismissed:
        # A concurrent dismissal of the same paper by the same member is the same wish: ignored.
        Dismissal.objects.bulk_create([Dismissal(user=user, paper_id=paper_id)], ignore_conflicts=True)
    else:
        Dismissal.objects.filter(user=user, paper_id=paper_id).delete()
    return DismissalState(paper_id=paper_id, dismissed=dismissed)


def paper_set_status(*, papers, status: str) -> int:
    """Set the status of many papers at once; returns how many changed.

    Papers still waiting for their details are never listed: a placeholder would top the lists.
    """
    if status not in Paper.Status.values:
        raise ValueError(f"Unknown paper status {status!r}.")
    if status == Paper.Status.LISTED:
        papers = papers.exclude(metadata_pending=True)
    with transaction.atomic():
        changed = list(papers.exclude(status=status).values_list("pk", flat=True))
        Paper.objects.filter(pk__in=changed).update(status=status, modified_at=timezone.now())
        papers_visibility_changed(paper_ids=changed, hidden=status == Paper.Status.HIDDEN)
    return len(changed)


def paper_add_tags(*, papers, tags, user=None) -> None:
    """Add tags to papers; pairs that exist already are left alone. A topic added by hand is a
    confirmed assignment (papers.topics), one removed before included."""
    from papers.topics import State, assignments_set_state

    through = Paper.tags.through
    paper_ids = papers.values_list("pk", flat=True)
    links = [through(paper_id=p, tag_id=t.pk) for p in paper_ids for t in tags]
    with transaction.atomic():
        # The through table's unique (paper, tag) index makes existing pairs no-ops.
        through.objects.bulk_create(links, ignore_conflicts=True)
        Paper.objects.filter(pk__in=paper_ids).update(modified_at=timezone.now())
        pairs = [(link.paper_id, link.tag_id) for link in links]
        assignments_set_state(pairs=pairs, state=State.CONFIRMED, user=user)


def paper_remove_tags(*, papers, tags, user=None) -> int:
    """Take tags off papers; returns how many links went. A topic taken off is remembered as a
    removed assignment, so the workers do not put it back (papers.topics)."""
    from papers.topics import State, assignments_set_state

    paper_ids = list(papers.values_list("pk", flat=True))
    with transaction.atomic():
        links = Paper.tags.through.objects.filter(paper_id__in=paper_ids, tag__in=tags)
        pairs = list(links.values_list("paper_id", "tag_id"))
        removed, _ = links.delete()
        Paper.objects.filter(pk__in=paper_ids).update(modified_at=timezone.now())
        assignments_set_state(pairs=pairs, state=State.REMOVED, user=user)
    return removed


def tag_get_or_create(*, name: str) -> Tag:
    """The topic tag with this name's slug, created when there is none; ValidationError for a name
    without a single letter or digit."""
    name = " ".join(name.split())[:100]
    slug = tag_slug(name)
    if not slug:
        raise ValidationError({"new_tag": "Give a tag name with at least one letter or digit."})
    tag, _ = Tag.objects.get_or_create(slug=slug, defaults={"name": name, "kind": Tag.Kind.TOPIC})
    return tag


# --- Merging duplicates (issue 24) --------------------------------------------------------------


@dataclass(frozen=True)
class Moved:
    """Rows pointing at a paper that a merge moves to the kept one. Where `unique_with` is set the
    kept paper can hold one row per value of it: a duplicate's row whose value the kept paper has
    already (a member who voted for both) is dropped instead."""

    model: str
    field: str = "paper"
    unique_with: str | None = None


# One line per relation; a new app's relation to papers is moved by adding its line here.
MOVED_RELATIONS = (
    Moved("papers.Vote", unique_with="user"),
    Moved("papers.Dismissal", unique_with="user"),
    Moved("papers.Paper_tags", unique_with="tag"),
    Moved("meetings.AgendaItem", unique_with="meeting"),
    Moved("discussions.Comment"),
    Moved("discussions.Subscription", unique_with="user"),
)
# Identifiers and links a kept paper takes from a duplicate when it has none, so that fetching the
# duplicate's arXiv id or DOI again finds the kept paper instead of creating the duplicate anew.
# A group is taken whole (an arXiv id with its version) from the first duplicate that has it.
MERGED_FIELDS = (
    ("arxiv_id", "arxiv_version"),
    ("doi",),
    ("url",),
    ("pdf_url",),
    ("code_url",),
    ("abstract",),
)


@dataclass(frozen=True)
class MergePlan:
    keep: Paper
    duplicates: list[Paper]
    moves: dict[str, tuple[int, int]]  # model label -> (rows moved, rows dropped as clashes)


def _relation_rows(moved: Moved, keep_id: int, duplicate_ids: list[int]) -> tuple[list[int], list[int]]:
    """Ids of the duplicates' rows to move and of those that clash with the kept paper's."""
    model = apps.get_model(moved.model)
    rows = model.objects.filter(**{f"{moved.field}_id__in": duplicate_ids}).order_by("pk")
    if moved.unique_with is None:
        return list(rows.values_list("pk", flat=True)), []
    key = f"{moved.unique_with}_id"
    taken = set(model.objects.filter(**{f"{moved.field}_id": keep_id}).values_list(key, flat=True))
    move, drop = [], []
    for pk, value in rows.values_list("pk", key):
        (drop if value in taken else move).append(pk)
        taken.add(value)
    return move, drop


def papers_merge_plan(*, keep: Paper, duplicates) -> MergePlan:
    """What papers_merge would move, for the confirmation page; ValidationError when it cannot merge."""
    duplicates = [paper for paper in duplicates if paper.pk != keep.pk]
    if not duplicates:
        raise ValidationError("Select at least two papers: the one to keep and its duplicates.")
    ids = [paper.pk for paper in duplicates]
    moves = {}
    for moved in MOVED_RELATIONS:
        move, drop = _relation_rows(moved, keep.pk, ids)
        moves[moved.model] = (len(move), len(drop))
    return MergePlan(keep=keep, duplicates=duplicates, moves=moves)


def _move_relation(moved: Moved, keep: Paper, duplicate_ids: list[int]) -> None:
    model = apps.get_model(moved.model)
    move, drop = _relation_rows(moved, keep.pk, duplicate_ids)
    if moved.model == "meetings.AgendaItem":
        _keep_presenters(keep, drop)
    model.objects.filter(pk__in=drop).delete()
    changes = {moved.field: keep}
    if any(field.name == "modified_at" for field in model._meta.concrete_fields):
        changes["modified_at"] = timezone.now()  # moved comments reach apps syncing the kept thread
    model.objects.filter(pk__in=move).update(**changes)


def _keep_presenters(keep: Paper, dropped_item_ids: list[int]) -> None:
    """A meeting had both papers on its agenda: its item of the kept paper stays, and takes the
    duplicate's presenter when it has none."""
    from meetings.models import AgendaItem

    for item in AgendaItem.objects.filter(pk__in=dropped_item_ids, presenter__isnull=False):
        AgendaItem.objects.filter(meeting_id=item.meeting_id, paper=keep, presenter__isnull=True).update(
            presenter_id=item.presenter_id
        )


@transaction.atomic
def papers_merge(*, keep: Paper, duplicates) -> Paper:
    """Merge duplicates into `keep`: their votes (a member's two votes become one), tags, agenda
    items (one per meeting) and other MOVED_RELATIONS move to it, it takes the identifiers it lacks,
    and the duplicates are deleted (tombstones say into which paper). vote_count and the trending
    score are recounted from the vote rows, comment_count from the visible comments. ValidationError
    when nothing is left to merge.
    """
    duplicate_ids = sorted({paper.pk for paper in duplicates} - {keep.pk})
    if not duplicate_ids:
        raise ValidationError("Select at least two papers: the one to keep and its duplicates.")
    # Locked in id order, as the vote service locks a paper before its votes: votes in flight
    # finish first, later ones wait and then find the duplicate gone (a 404) or count on `keep`.
    locked = list(Paper.objects.select_for_update().filter(pk__in=[keep.pk, *duplicate_ids]).order_by("pk"))
    keep = next((paper for paper in locked if paper.pk == keep.pk), None)
    if keep is None or len(locked) != len(duplicate_ids) + 1:
        raise ValidationError("A selected paper was deleted meanwhile; nothing was merged.")
    for moved in MOVED_RELATIONS:
        _move_relation(moved, keep, duplicate_ids)
    donors = [paper for paper in locked if paper.pk != keep.pk]
    Paper.objects.filter(pk__in=duplicate_ids).delete()
    PaperTombstone.objects.filter(paper_id__in=duplicate_ids, reason=PaperTombstone.Reason.DELETED).update(
        reason=PaperTombstone.Reason.MERGED, merged_into_id=keep.pk
    )
    for group in MERGED_FIELDS:
        donor = next((paper for paper in donors if getattr(paper, group[0])), None)
        if donor is not None and not getattr(keep, group[0]):
            for field in group:
                setattr(keep, field, getattr(donor, field))
    keep.save()
    votes = Vote.objects.filter(paper=keep).count()
    comments = apps.get_model("discussions.Comment").objects.filter(paper=keep).visible().count()
    Paper.objects.filter(pk=keep.pk).update(
        vote_count=votes,
        trending_score=trending_score(vote_count=votes, created_at=keep.created_at),
        comment_count=comments,
    )
    keep.refresh_from_db()
    return keep


@transaction.atomic
def tag_promote_keyword(*, keyword: str) -> tuple[Tag, int]:
    """Make a keyword a topic: a topic tag linked to every paper whose keywords hold it.

    Returns the tag and how many papers it was linked to. Raises ValidationError when no
    paper has the keyword, or when its slug is taken by a tag of another kind (an arXiv
    category), so nothing changes.
    """
    keyword = " ".join(keyword.split()).lower()
    slug = tag_slug(keyword)
    paper_ids = _papers_with_keyword(keyword) if slug else []
    if not paper_ids:
        raise ValidationError(f'No paper has the keyword "{keyword}".')
    tag, _ = Tag.objects.get_or_create(slug=slug, defaults={"name": keyword[:100], "kind": Tag.Kind.TOPIC})
    if tag.kind != Tag.Kind.TOPIC:
        raise ValidationError(f'"{tag.name}" is already a tag of kind {tag.get_kind_display()}.')
    paper_add_tags(papers=Paper.objects.filter(pk__in=paper_ids), tags=[tag])
    return tag, len(paper_ids)


def _papers_with_keyword(keyword: str) -> list[int]:
    papers = Paper.objects.all()
    if keyword.isascii() and not {'"', "\\"} & set(keyword):
        # A cheap text match narrows the scan; the exact test is on the list below. (Quotes,
        # backslashes and non-ASCII letters are escaped in the JSON text, so those skip it.)
        papers = papers.filter(keywords__icontains=keyword)
    rows = papers.values_list("pk", "keywords").iterator(chunk_size=2000)
    return [pk for pk, words in rows if keyword in (str(w).lower() for w in words or [])]


# --- Pipeline: sources, suggestions, summaries (issue 3) ---------------------------

SUGGEST_FORMS = (
    "Enter an arXiv URL or id (2401.12345, arXiv:2401.12345v2, https://arxiv.org/abs/2401.12345), "
    "a Hugging Face paper URL (https://huggingface.co/papers/2401.12345) "
    "or a DOI (10.1234/abcd, doi:10.1234/abcd, https://doi.org/10.1234/abcd)."
)
BAD_DOI = (
    'This DOI cannot be looked up: a DOI has no "." or ".." segment, no spaces, only printable '
    "characters and at most 255 of them. Check it against the publisher's page."
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
    if normalise.looks_like_doi(reference):
        raise ValidationError({"reference": BAD_DOI})
    raise ValidationError({"reference": SUGGEST_FORMS})


def _existing(paper: Paper) -> Paper | None:
    if paper.arxiv_id:
        return Paper.objects.filter(arxiv_id=paper.arxiv_id).first()
    return Paper.objects.filter(doi=paper.doi).first()


# What a member is told when the paper they suggest is here already but out of their sight (a GET
# of it would be a 404): neither the API nor the page then shows its title or details.
SUGGESTED_HIDDEN = "This paper is on the site already, but the organisers hid it."
SUGGESTED_PENDING = "This paper was suggested already and waits for an organiser to list it."


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
    paper.submitted_by = user if user is not None and user.is_authenticated else None
    paper.status = Paper.Status.PENDING
    paper.metadata_pending = True
    try:
        with transaction.atomic():
            paper.save()
            enqueue("papers.tasks.fetch_paper_metadata", paper.pk)  # with the paper, or not at all
    except IntegrityError:
        # Someone added the same paper between our lookup and our insert.
        existing = _existing(paper)
        if existing is None:
            raise
        return existing, False
    return paper, True


# --- Suggestions whose details could not be fetched (issue 24) -------------------------------------


def paper_metadata_failed(*, paper_id: int, error: str) -> None:
    """Record why a paper's details could not be fetched, for its suggester and the organisers."""
    now = timezone.now()
    Paper.objects.filter(pk=paper_id, metadata_pending=True).update(
        metadata_error=error[:1000] or "The details could not be fetched.",
        metadata_failed_at=now,
        modified_at=now,
    )


def paper_metadata_refetch(*, papers) -> int:
    """Fetch the details again of the papers still waiting for them; returns how many were queued."""
    with transaction.atomic():
        paper_ids = list(papers.filter(metadata_pending=True).values_list("pk", flat=True))
        Paper.objects.filter(pk__in=paper_ids).update(
            metadata_error="", metadata_failed_at=None, modified_at=timezone.now()
        )
        enqueue_many("papers.tasks.fetch_paper_metadata", [((pk,), {}) for pk in paper_ids])
    return len(paper_ids)


def _my_waiting_suggestion(*, user, paper_id: int) -> Paper:
    """My suggestion still waiting for its details; PermissionDenied for anything else."""
    paper = None
    if user is not None and user.is_authenticated:
        paper = Paper.objects.filter(pk=paper_id, metadata_pending=True, submitted_by=user).first()
    if paper is None:
        raise PermissionDenied("Only the member who suggested a paper can, while its details are not in.")
    return paper


def paper_suggestion_retry(*, user, paper_id: int) -> Paper:
    """The suggester's "try again": fetch the details once more."""
    paper = _my_waiting_suggestion(user=user, paper_id=paper_id)
    paper_metadata_refetch(papers=Paper.objects.filter(pk=paper.pk))
    return paper


@transaction.atomic
def paper_suggestion_withdraw(*, user, paper_id: int) -> None:
    """The suggester's "remove my suggestion": the placeholder goes, unless an organiser put it on
    an agenda already (then it stays theirs, without the member's name)."""
    paper = _my_waiting_suggestion(user=user, paper_id=paper_id)
    if paper.agenda_items.exists():
        Paper.objects.filter(pk=paper.pk).update(submitted_by=None, modified_at=timezone.now())
    else:
        paper.delete()


def papers_queue_embeddings(*, paper_ids: list[int]) -> None:
    """Queue search embeddings when the transaction commits, BATCH papers per task (one model call)."""
    from papers.search.embeddings import BATCH

    batches = [paper_ids[start : start + BATCH] for start in range(0, len(paper_ids), BATCH)]
    enqueue_many("papers.tasks.embed_papers", [((batch,), {}) for batch in batches])


def papers_queue_search_index() -> None:
    """Queue an update of this host's text index, if it has one. The task indexes every paper
    changed since the last update, so one queued message covers every change until it starts
    (it clears the flag first); a flag left by a rolled-back transaction expires, and beat's
    run every minute covers what it missed."""
    from papers.search import text_index

    if text_index.exists() and cache.add(text_index.QUEUED_KEY, True, timeout=60):
        enqueue("papers.tasks.update_search_index")


def papers_queue_derived_data(*, paper_ids: list[int]) -> None:
    """Queue what the workers derive from new or changed papers, when the transaction commits:
    their summaries (SUMMARY_TASK_BATCH papers per task), their search embeddings and an update
    of the text index, which change on the same occasions (new paper, new abstract).

    One paper per task for a slow backend (an LLM), so a batch never nears the
    time limit; a few dozen per task for the offline one, where publishing a
    message costs more than the summary.
    """
    papers_queue_embeddings(paper_ids=paper_ids)
    papers_queue_search_index()
    size = settings.SUMMARY_TASK_BATCH
    if size <= 1:
        enqueue_many("papers.tasks.summarise_paper", [((paper_id,), {}) for paper_id in paper_ids])
        return
    batches = [paper_ids[start : start + size] for start in range(0, len(paper_ids), size)]
    enqueue_many("papers.tasks.summarise_papers", [((batch,), {}) for batch in batches])


@transaction.atomic
def paper_resummarise(*, paper_ids) -> int:
    """Queue a fresh summary for each paper; returns how many were queued."""
    ids = list(Paper.objects.filter(pk__in=list(paper_ids)).values_list("pk", flat=True))
    for paper_id in ids:
        enqueue("papers.tasks.summarise_paper", paper_id)
    return len(ids)


def paper_summarise(*, paper_id: int, backend=None) -> Summary | None:
    """Write a paper's TL;DR, keywords and which backend wrote them (keywords are not tags).

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
        papers_queue_search_index()  # the new TL;DR and keywords are searched
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
    ids = list(Source.objects.filter(pk__in=list(source_ids)).values_list("pk", flat=True))
    for source_id in ids:
        enqueue("papers.tasks.fetch_source", source_id, force=True)
    return len(ids)


def paper_embed(*, paper_ids: list[int]) -> int:
    """Store the embedding of each paper's title + abstract (papers.search) and assign the papers
    to the topics they are close to (papers.topics); how many embeddings were written.

    The vectors are computed outside the transaction; a paper whose abstract changes meanwhile
    is queued again by that change, so its next embedding replaces this one. They go into this
    host's nearest-neighbour index first (when it has one), so the papers' related papers,
    queued with the write, find each other.
    """
    from papers.search import embeddings, semantic, vector_index  # numpy and the model load only here
    from papers.topics import papers_assign_topics

    papers = list(
        Paper.objects.filter(pk__in=paper_ids).order_by("pk").values_list("pk", "title", "abstract")
    )
    if not papers:
        return 0
    vectors = embeddings.embed([embeddings.paper_text(title, abstract) for _, title, abstract in papers])
    ids = [pk for pk, _, _ in papers]
    delta_size = vector_index.add(ids, vectors)
    with transaction.atomic():
        for pk, vector in zip(ids, vectors, strict=True):
            Paper.objects.filter(pk=pk).update(embedding=embeddings.to_bytes(vector))
        enqueue("papers.tasks.relate_papers", ids)
        if delta_size >= vector_index.FOLD_AT:  # fold in the background, not in this batch's time
            enqueue("papers.tasks.fold_vector_index")
    semantic.bump_version()  # after the commit: every process reloads on its next search
    # In the same task: the vectors are at hand, and a second message would only reload them.
    papers_assign_topics(paper_ids=[pk for pk, _, _ in papers], vectors=vectors)
    return len(papers)
