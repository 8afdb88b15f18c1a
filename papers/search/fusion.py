"""Reciprocal rank fusion: lists ranked on scales that do not compare (BM25, trigram
similarity, cosine similarity) are merged by rank alone, each list with a weight."""

from collections.abc import Iterable

# Cormack et al.'s constant: it damps the difference between the very first ranks.
K = 60


def fuse(rankings: Iterable[tuple[float, list[int]]], *, limit: int) -> list[tuple[int, float]]:
    """(id, fused score) best first, from (weight, ids best first) pairs; ties: newest id first."""
    scores: dict[int, float] = {}
    for weight, ids in rankings:
        for position, pk in enumerate(ids, start=1):
            scores[pk] = scores.get(pk, 0.0) + weight / (K + position)
    return sorted(scores.items(), key=lambda item: (-item[1], -item[0]))[:limit]
