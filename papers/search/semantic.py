"""Nearest papers to a query's embedding, by brute-force cosine similarity in numpy.

Each process keeps the matrix of all embeddings in memory and reloads it when the version in
the shared cache moved (paper_embed bumps it), so every web host and worker sees new
embeddings on its next search without a message of its own. Brute force reads the whole
matrix (n x 256 float32: 100 MB at 100k papers) and is exact; measured in docs/search.md.
"""

import logging
import threading
from collections.abc import Collection

import numpy as np
from django.core.cache import cache

from papers.search import embeddings

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
            ids, vectors = [], []
            for pk, raw in rows.iterator(chunk_size=2000):
                vector = embeddings.from_bytes(raw)
                if vector.shape == (embeddings.EMBEDDING_DIMENSIONS,):
                    ids.append(pk)
                    vectors.append(vector)
            _loaded["ids"] = np.asarray(ids, dtype=np.int64)
            _loaded["matrix"] = np.vstack(vectors) if vectors else None
            _loaded["version"] = (using, version)
        return _loaded["ids"], _loaded["matrix"]


def nearest(text: str, *, using: str, limit: int, min_similarity: float) -> list[int]:
    """Ids of the papers most similar to `text`, best first, at least `min_similarity`."""
    ids, matrix = _current(using)
    if matrix is None or not text.strip():
        return []
    similarity = matrix @ embeddings.embed([text])[0]
    count = min(limit, len(ids))
    top = np.argpartition(-similarity, count - 1)[:count]
    top = top[np.argsort(-similarity[top], kind="stable")]
    return [int(ids[i]) for i in top if similarity[i] >= min_similarity]


def nearest_to_vector(
    vector: np.ndarray, *, using: str, limit: int, exclude_ids: Collection[int] = ()
) -> list[tuple[int, float]]:
    """The `limit` papers nearest to a unit vector as (id, cosine similarity), best first, leaving
    out `exclude_ids`, of any status: callers keep the ones they may show. Exact, over the whole
    matrix (see the module's note on its cost); an approximate index can answer the same."""
    ids, matrix = _current(using)
    if matrix is None or limit <= 0:
        return []
    similarity = matrix @ np.asarray(vector, dtype=np.float32)
    if exclude_ids:
        similarity[np.isin(ids, np.fromiter(exclude_ids, dtype=np.int64))] = -np.inf
    count = min(limit, len(ids))
    top = np.argpartition(-similarity, count - 1)[:count]
    top = top[np.argsort(-similarity[top], kind="stable")]
    return [(int(ids[i]), float(similarity[i])) for i in top if np.isfinite(similarity[i])]
