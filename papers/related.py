"""Related papers: each paper's nearest listed papers by embedding, stored in papers.RelatedPaper.

The workers compute a paper's neighbours after embedding it (papers.tasks.relate_papers, queued
by paper_embed through the outbox); `manage.py relate_papers` recomputes every paper's. Pages
and the API read the stored rows in one query (papers.selectors.paper_related) and leave out
neighbours that stopped being listed since.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable

import numpy as np
from django.db import IntegrityError, transaction

from papers.models import Paper, RelatedPaper

RELATED_COUNT = 10
# Neighbours asked of the index per paper: hidden, pending and deleted papers are in it too,
# so ask for more than are kept; a paper among many unlisted ones asks again for more.
CANDIDATES = 3 * RELATED_COUNT
MAX_CANDIDATES = 50 * RELATED_COUNT


def _vectors(paper_ids: Iterable[int]) -> tuple[list[int], np.ndarray]:
    from papers.search import embeddings

    papers = Paper.objects.filter(pk__in=list(paper_ids), embedding__isnull=False)
    ids, matrix = embeddings.decode_rows(papers.order_by("pk").values_list("pk", "embedding"))
    return ids.tolist(), matrix


def listed_among(candidate_ids: set[int]) -> set[int]:
    """The candidates that are listed (one query)."""
    return set(Paper.objects.listed().filter(pk__in=list(candidate_ids)).values_list("pk", flat=True))


def neighbours(
    ids: list[int], vectors: np.ndarray, *, listed: Callable[[set[int]], set[int]] = listed_among
) -> dict[int, list[tuple[int, float]]]:
    """Each paper's RELATED_COUNT nearest listed papers (itself excluded) as (id, similarity)."""
    from papers.search import semantic

    result: dict[int, list[tuple[int, float]]] = {}
    pending, count = list(range(len(ids))), CANDIDATES
    while pending:
        found = semantic.nearest_to_vectors(vectors[pending], using="default", limit=count + 1)
        keep = listed({pk for row in found for pk, _ in row})
        short = []
        for row_index, row in zip(pending, found, strict=True):
            near = [(pk, s) for pk, s in row if pk in keep and pk != ids[row_index]][:RELATED_COUNT]
            result[ids[row_index]] = near
            if len(near) < RELATED_COUNT and len(row) == count + 1 and count < MAX_CANDIDATES:
                short.append(row_index)
        pending, count = short, count * 4
    return result


@transaction.atomic
def store(found: dict[int, list[tuple[int, float]]]) -> int:
    """Replace these papers' stored neighbours; how many rows were written."""
    RelatedPaper.objects.filter(paper_id__in=list(found)).delete()
    rows = [
        RelatedPaper(paper_id=pk, related_id=other, score=score, rank=rank)
        for pk, near in found.items()
        for rank, (other, score) in enumerate(near, start=1)
    ]
    RelatedPaper.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def papers_relate(*, paper_ids: list[int]) -> int:
    """Compute and store the neighbours of these papers (those with an embedding); how many."""
    ids, vectors = _vectors(paper_ids)
    if not ids:
        return 0
    found = neighbours(ids, vectors)
    # A paper deleted meanwhile would fail its foreign key: keep the ones still there.
    still_there = set(Paper.objects.filter(pk__in=ids).values_list("pk", flat=True))
    found = {pk: near for pk, near in found.items() if pk in still_there}
    try:
        store(found)
        store(offered_to_neighbours(found))
    except IntegrityError:  # a paper was deleted meanwhile: once more, without it
        found = {pk: near for pk, near in neighbours(ids, vectors).items() if pk in still_there}
        store(found)
    return len(still_there)


def offered_to_neighbours(found: dict[int, list[tuple[int, float]]]) -> dict[int, list[tuple[int, float]]]:
    """The new lists of older papers that a newly related listed paper enters: similarity is
    symmetric, so a new paper near an older one may belong among the older one's ten too. Only
    papers with a stored list are offered (the others get theirs when computed)."""
    offers: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for pk in listed_among(set(found)):
        for other, score in found[pk]:
            if other not in found:
                offers[other].append((pk, score))
    current: dict[int, dict[int, float]] = defaultdict(dict)
    rows = RelatedPaper.objects.filter(paper_id__in=list(offers)).values_list(
        "paper_id", "related_id", "score"
    )
    for paper_id, related_id, score in rows:
        current[paper_id][related_id] = score
    changed = {}
    for other, stored in current.items():
        merged = {**stored, **dict(offers[other])}
        best = sorted(merged.items(), key=lambda item: -item[1])[:RELATED_COUNT]
        if {pk for pk, _ in best} != set(stored):
            changed[other] = best
    return changed
