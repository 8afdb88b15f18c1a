"""Topics that organise themselves: topic vectors, assigning papers, organisers' decisions, follows.

A topic is a Tag of kind "topic" with a description (and optional seed papers). Its vector is
computed when it is saved (papers.admin); the workers assign each newly embedded paper to the
topics whose similarity reaches TOPIC_THRESHOLD (paper_embed calls papers_assign_topics in the
same task, with the vectors at hand). An assignment is a TopicAssignment row plus the paper's
tag link: organisers confirm it, or remove it, which takes the tag off and keeps the row so the
workers never make it again. Tuning and figures: bench/topics_quality.py.
"""

from collections.abc import Callable, Iterable
from datetime import datetime

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from outbox import enqueue
from papers.models import Paper, Tag, TopicAssignment, TopicFollow
from papers.search import embeddings
from papers.topic_match import collection_centre, matches, topic_vector

# The collection's centre is the mean of this many of the most recently embedded papers: the
# mean moves little after a few thousand, and a topic's save stays quick.
CENTRE_SAMPLE = 5000
ASSIGN_BATCH = 1000  # papers scored per step of papers_assign_topics_all
State = TopicAssignment.State


# --- Topic vectors --------------------------------------------------------------------------------


def _stored_vectors(papers: QuerySet) -> np.ndarray:
    rows = [embeddings.from_bytes(raw) for raw in papers.values_list("embedding", flat=True)]
    return np.stack(rows) if rows else np.zeros((0, embeddings.EMBEDDING_DIMENSIONS), dtype=np.float32)


def current_centre() -> tuple[np.ndarray, int]:
    """The collection's centre and how many papers it is the mean of."""
    recent = _stored_vectors(Paper.objects.filter(embedding__isnull=False).order_by("-pk")[:CENTRE_SAMPLE])
    return collection_centre(recent), len(recent)


def topic_refresh(*, tag: Tag, centre: tuple[np.ndarray, int] | None = None) -> bool:
    """Compute and store a topic's vector from its description and seed papers; False (and no
    vector: nothing is assigned to it) for a category or a topic without a description."""
    if tag.kind != Tag.Kind.TOPIC or not tag.description.strip():
        Tag.objects.filter(pk=tag.pk).update(vector=None, centre=None, centre_size=0)
        return False
    centre, size = current_centre() if centre is None else centre
    seeds = _stored_vectors(Paper.objects.filter(seeded_topics=tag, embedding__isnull=False))
    description = embeddings.embed([tag.description])[0]
    vector = topic_vector(description, centre, seeds)
    stored = {
        "vector": embeddings.to_bytes(vector),
        "centre": embeddings.to_bytes(centre),
        "centre_size": size,
    }
    Tag.objects.filter(pk=tag.pk).update(**stored)
    seed_ids = list(tag.seed_papers.values_list("pk", flat=True))
    if seed_ids:  # an organiser's seed belongs to the topic by definition
        assignments_set_state(pairs=[(pk, tag.pk) for pk in seed_ids], state=State.CONFIRMED)
    return True


def topics_refresh_all() -> int:
    """Every topic's vector again, around today's centre (the command before reassigning)."""
    centre = current_centre()
    return sum(topic_refresh(tag=tag, centre=centre) for tag in Tag.objects.filter(kind=Tag.Kind.TOPIC))


def _topic_rows() -> list[tuple]:
    topics = Tag.objects.filter(kind=Tag.Kind.TOPIC, vector__isnull=False).order_by("pk")
    return list(topics.values_list("pk", "vector", "centre", "centre_size"))


def _collection_outgrew(rows: list[tuple]) -> bool:
    """Whether the embedded papers are now twice as many as the smallest centre was made of.

    A topic saved on a young site has a centre of few papers (none at all on a new one, where
    plain cosines would put every paper in every topic): the centre is made again as the
    collection doubles, until it rests on CENTRE_SAMPLE papers. The count stops at the limit,
    so on a large collection this costs nothing."""
    smallest = min((size for *_, size in rows), default=CENTRE_SAMPLE)
    if smallest >= CENTRE_SAMPLE:
        return False
    wanted = 2 * smallest + 1
    return Paper.objects.filter(embedding__isnull=False)[:wanted].count() >= wanted


def _topic_matrix() -> tuple[list[int], np.ndarray, np.ndarray]:
    rows = _topic_rows()
    if _collection_outgrew(rows):
        topics_refresh_all()
        rows = _topic_rows()
    if not rows:
        empty = np.zeros((0, embeddings.EMBEDDING_DIMENSIONS), dtype=np.float32)
        return [], empty, empty
    ids = [pk for pk, *_ in rows]
    vectors = np.stack([embeddings.from_bytes(vector) for _, vector, _, _ in rows])
    centres = np.stack([embeddings.from_bytes(centre) for _, _, centre, _ in rows])
    return ids, vectors, centres


# --- Assigning papers -----------------------------------------------------------------------------


def papers_assign_topics(*, paper_ids: list[int], vectors: np.ndarray | None = None) -> int:
    """Assign these papers to the topics they are close to; returns how many assignments were new.

    A pair assigned before, in whatever state (a removed one above all), is left as it is.
    `vectors` are the papers' embeddings in paper_ids' order, when the caller has them.
    """
    topic_ids, topics, centres = _topic_matrix()
    if not topic_ids or not paper_ids:
        return 0
    if vectors is None:
        papers = Paper.objects.filter(pk__in=paper_ids, embedding__isnull=False)
        embedded = dict(papers.values_list("pk", "embedding"))
        paper_ids = [pk for pk in paper_ids if pk in embedded]
        vectors = np.stack([embeddings.from_bytes(embedded[pk]) for pk in paper_ids]) if paper_ids else None
    if vectors is None:
        return 0
    found = matches(vectors, topics, centres, settings.TOPIC_THRESHOLD)
    return _store_assignments([(paper_ids[row], topic_ids[column], score) for row, column, score in found])


@transaction.atomic
def _store_assignments(pairs: list[tuple[int, int, float]]) -> int:
    if not pairs:
        return 0
    paper_ids = {paper_id for paper_id, _, _ in pairs}
    known = set(TopicAssignment.objects.filter(paper_id__in=paper_ids).values_list("paper_id", "topic_id"))
    new = [(p, t, score) for p, t, score in pairs if (p, t) not in known]
    TopicAssignment.objects.bulk_create(
        [TopicAssignment(paper_id=p, topic_id=t, score=score) for p, t, score in new], ignore_conflicts=True
    )
    # Link only what is still suggested, rows locked: an organiser removing one of these at this
    # moment waits for this commit and then takes the link off, or went first and is seen.
    live = set(
        TopicAssignment.objects.select_for_update()
        .filter(paper_id__in={p for p, _, _ in new}, state=State.SUGGESTED)
        .values_list("paper_id", "topic_id")
    )
    new = [(p, t, score) for p, t, score in new if (p, t) in live]
    through = Paper.tags.through
    through.objects.bulk_create([through(paper_id=p, tag_id=t) for p, t, _ in new], ignore_conflicts=True)
    # A new tag shows on the paper: apps syncing with ?updated_since= must see it changed.
    Paper.objects.filter(pk__in={p for p, _, _ in new}).update(modified_at=timezone.now())
    return len(new)


def papers_assign_topics_all(*, progress: Callable[[int], None] | None = None) -> int:
    """Every embedded paper against every topic, ASSIGN_BATCH papers at a time; new assignments."""
    made, last = 0, 0
    while (step := papers_assign_topics_after(after=last)) is not None:
        count, assigned, last = step
        made += assigned
        if progress is not None:
            progress(count)
    return made


def papers_assign_topics_after(*, after: int) -> tuple[int, int, int] | None:
    """One step: the next ASSIGN_BATCH embedded papers with ids above `after`; (papers scored,
    new assignments, last id), or None when no paper is left."""
    embedded = Paper.objects.filter(embedding__isnull=False, pk__gt=after).order_by("pk")
    batch = list(embedded.values_list("pk", "embedding")[:ASSIGN_BATCH])
    if not batch:
        return None
    ids = [pk for pk, _ in batch]
    vectors = np.stack([embeddings.from_bytes(raw) for _, raw in batch])
    return len(batch), papers_assign_topics(paper_ids=ids, vectors=vectors), ids[-1]


def topics_queue_reassignment() -> None:
    """Queue the assignment of every embedded paper (a topic was saved), when the transaction
    commits: the workers go through them a step at a time (papers.tasks.assign_topics)."""
    enqueue("papers.tasks.assign_topics", 0)


# --- Organisers' decisions ------------------------------------------------------------------------


@transaction.atomic
def assignments_set_state(*, pairs: Iterable[tuple[int, int]], state: str, user=None) -> int:
    """Confirm (tag on) or remove (tag off, never assigned again) these (paper id, tag id) pairs;
    a pair without an assignment gets one, so a topic an organiser took off by hand is
    remembered too. Categories are left alone: only topics are assigned. Returns how many
    pairs changed state."""
    pairs = set(pairs)
    topics = set(
        Tag.objects.filter(pk__in={t for _, t in pairs}, kind=Tag.Kind.TOPIC).values_list("pk", flat=True)
    )
    pairs = {(p, t) for p, t in pairs if t in topics}
    if not pairs:
        return 0
    now = timezone.now()
    papers = {p for p, _ in pairs}
    existing = {
        (a.paper_id, a.topic_id): a
        for a in TopicAssignment.objects.filter(paper_id__in=papers, topic_id__in=topics)
        if (a.paper_id, a.topic_id) in pairs
    }
    changing = [a.pk for a in existing.values() if a.state != state]
    TopicAssignment.objects.filter(pk__in=changing).update(state=state, decided_at=now, decided_by=user)
    missing = [pair for pair in pairs if pair not in existing]
    decided = {"state": state, "decided_at": now, "decided_by": user}
    TopicAssignment.objects.bulk_create(
        [TopicAssignment(paper_id=p, topic_id=t, **decided) for p, t in missing], ignore_conflicts=True
    )
    _link(pairs, linked=state != State.REMOVED)
    Paper.objects.filter(pk__in=papers).update(modified_at=now)
    return len(changing) + len(missing)


def _link(pairs: set[tuple[int, int]], *, linked: bool) -> None:
    through = Paper.tags.through
    if linked:
        through.objects.bulk_create([through(paper_id=p, tag_id=t) for p, t in pairs], ignore_conflicts=True)
        return
    by_tag: dict[int, list[int]] = {}
    for paper_id, tag_id in pairs:
        by_tag.setdefault(tag_id, []).append(paper_id)
    for tag_id, paper_ids in by_tag.items():  # one DELETE per topic
        through.objects.filter(tag_id=tag_id, paper_id__in=paper_ids).delete()


def assignments_decide(*, assignments: QuerySet, state: str, user=None) -> int:
    """The admin's confirm / remove actions on TopicAssignment rows."""
    pairs = assignments.values_list("paper_id", "topic_id")
    return assignments_set_state(pairs=pairs, state=state, user=user)


# --- Members following topics ---------------------------------------------------------------------


def topic_follow_set(*, member, tag: Tag, followed: bool) -> bool:
    """Follow or stop following a tag (idempotent); returns whether the member follows it now."""
    if followed:
        TopicFollow.objects.get_or_create(member=member, tag=tag)
    else:
        TopicFollow.objects.filter(member=member, tag=tag).delete()
    return followed


def followed_topic_ids(member) -> set[int]:
    """The ids of the tags a member follows (none for visitors): for "for you" and the digest."""
    if member is None or not member.is_authenticated:
        return set()
    return set(TopicFollow.objects.filter(member=member).values_list("tag_id", flat=True))


def new_papers_by_followed_topic(*, since: datetime, until: datetime, limit: int) -> dict[int, dict]:
    """Every followed tag with new listed papers in (since, until]: {tag id: {"name", "papers"}},
    most votes first, at most `limit` papers each; three queries whatever the number of members."""
    names = dict(Tag.objects.filter(follows__isnull=False).distinct().values_list("pk", "name"))
    papers = (
        Paper.objects.listed()
        .filter(created_at__gt=since, created_at__lte=until, tags__in=list(names))
        .order_by("-vote_count", "-trending_score", "-id")
        .distinct()
        .prefetch_related("tags")
    )
    grouped: dict[int, dict] = {}
    for paper in papers:
        for tag in paper.tags.all():
            if tag.pk not in names:
                continue
            section = grouped.setdefault(tag.pk, {"name": names[tag.pk], "papers": []})
            if len(section["papers"]) < limit:
                section["papers"].append(paper)
    return grouped
