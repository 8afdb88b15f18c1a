"""Nearest papers to a text or a vector: through the nearest-neighbour index when this host
has one (papers.search.vector_index), else by exact brute-force cosine similarity in numpy.

Brute force keeps the matrix of all embeddings in each process and reloads it when the version
in the shared cache moved (paper_embed bumps it), so every web host and worker sees new
embeddings on its next search without a message of its own. It reads the whole matrix
(n x 256 float32: 100 MB at 100k papers), which is fine for a small site; a large one builds
the index (docs/search.md).
"""

import logging
import threading
from collections.abc import Iterable

import numpy as np
from django.core.cache import cache

from papers.search import embeddings, vector_index

logger = logging.getLogger(__name__)
VERSION_KEY = "papers:search:embeddings-version"
_lock = threading.Lock()
_loaded: dict[str, object] = {"version": None, "ids": np.zeros(0, dtype=np.int64), "matrix": None}


def bump_version() -> None:
    """Call after embeddings changed. A cache that is away only delays the reload: the
    embeddings are written already, and the next bump (or a restart) reloads them."""
    try:
        try:
            cache.incr(VERSION_KEY)
        except ValueError:  # not there yet (or evicted)
            cache.add(VERSION_KEY, 1, timeout=None)
    except Exception:  # any cache backend's connection error
        logger.warning("Could not bump the search embeddings' version in the cache", exc_info=True)


def forget() -> None:
    """Drop this process's matrix (tests: the database went back, the version did not)."""
    with _lock:
        _loaded["version"] = None


def _current(using: str) -> tuple[np.ndarray, np.ndarray | None]:
    from papers.models import Paper

    version = cache.get(VERSION_KEY, 0)
    with _lock:
        if _loaded["version"] != (using, version):
            rows = Paper.objects.using(using).filter(embedding__isnull=False).values_list("pk", "embedding")
            ids, matrix = embeddings.decode_rows(rows.iterator(chunk_size=2000))
            _loaded["ids"] = ids
            _loaded["matrix"] = matrix if len(ids) else None
            _loaded["version"] = (using, version)
        return _loaded["ids"], _loaded["matrix"]


def nearest(text: str, *, using: str, limit: int, min_similarity: float) -> list[int]:
    """Ids of the papers most similar to `text`, best first, at least `min_similarity`."""
    if not text.strip():
        return []
    found = nearest_to_vector(embeddings.embed([text])[0], using=using, limit=limit)
    return [pk for pk, similarity in found if similarity >= min_similarity]


def nearest_to_vector(
    vector: np.ndarray, *, using: str, limit: int, exclude_ids: Iterable[int] = ()
) -> list[tuple[int, float]]:
    """The `limit` papers nearest to a unit vector as (id, cosine similarity), best first, of any
    status: callers keep the ones they may show (and ask for more to have enough left)."""
    rows = np.asarray(vector)[None, :]
    return nearest_to_vectors(rows, using=using, limit=limit, exclude_ids=exclude_ids)[0]


def nearest_to_vectors(
    vectors: np.ndarray, *, using: str, limit: int, exclude_ids: Iterable[int] = ()
) -> list[list[tuple[int, float]]]:
    """nearest_to_vector for each row of `vectors`, in one index search or one matrix product."""
    exclude = set(exclude_ids)
    count = limit + len(exclude)
    found = vector_index.search(vectors, count)
    if found is None:
        found = _brute_force(vectors, using=using, count=count)
    return [[(pk, score) for pk, score in row if pk not in exclude][:limit] for row in found]


def _brute_force(vectors: np.ndarray, *, using: str, count: int) -> list[list[tuple[int, float]]]:
    ids, matrix = _current(using)
    if matrix is None or count <= 0:
        return [[] for _ in range(len(vectors))]
    count = min(count, len(ids))
    similarity = np.asarray(vectors, dtype=np.float32) @ matrix.T
    rows = []
    for scores in similarity:
        top = np.argpartition(-scores, count - 1)[:count]
        top = top[np.argsort(-scores[top], kind="stable")]
        rows.append([(int(ids[i]), float(scores[i])) for i in top])
    return rows
