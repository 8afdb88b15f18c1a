"""Approximate nearest neighbours over the paper embeddings: a usearch HNSW index on local disk.

`python manage.py build_vector_index` writes the file (VECTOR_INDEX_PATH) from the database's
embeddings; after that the workers add each batch they embed (paper_embed), and every process
that searches memory-maps the file and maps it again when it was replaced (a stat() per search,
no database read). Without the file nothing here is used and papers.search.semantic searches
exactly by brute force: small sites and tests need no index.

The file is replaced whole (written beside it, then renamed), so a reader never sees half a
file and a mapping of the old one stays valid until it is dropped. Writers on one host take
turns through a lock file next to the index. Keys are paper ids; a paper hidden or deleted
later stays in the index until the next build, and callers keep the papers they may show.
"""

import contextlib
import fcntl
import logging
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from django.conf import settings

from papers.search.embeddings import EMBEDDING_DIMENSIONS

logger = logging.getLogger(__name__)

# Half-precision vectors: 512 bytes a paper, and the recall measured by bench.neighbours stays
# at the float32 figure (docs/search.md); the HNSW graph's parameters were chosen there too.
DTYPE = "f16"
CONNECTIVITY = 16
EXPANSION_ADD = 128
EXPANSION_SEARCH = 128
BUILD_CHUNK = 20_000  # rows per add() call: a progress bar step

_lock = threading.Lock()
_view: dict[str, object] = {"stamp": None, "index": None}


def index_path() -> Path:
    return Path(settings.VECTOR_INDEX_PATH)


def new_index():
    from usearch.index import Index

    return Index(
        ndim=EMBEDDING_DIMENSIONS,
        metric="cos",
        dtype=DTYPE,
        connectivity=CONNECTIVITY,
        expansion_add=EXPANSION_ADD,
        expansion_search=EXPANSION_SEARCH,
    )


def build(ids: np.ndarray, vectors: np.ndarray, *, progress: Callable[[int], None] | None = None):
    """A new index of these (id, vector) rows; `progress(n)` after each chunk of n rows."""
    index = new_index()
    for start in range(0, len(ids), BUILD_CHUNK):
        chunk = slice(start, start + BUILD_CHUNK)
        index.add(_keys(ids[chunk]), np.asarray(vectors[chunk], dtype=np.float32))
        if progress is not None:
            progress(len(ids[chunk]))
    return index


def save(index, path: Path | None = None) -> None:
    """Write the index beside its place and rename it there: readers never see half a file."""
    path = path or index_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        index.save(str(partial))
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


@contextlib.contextmanager
def writing(path: Path | None = None) -> Iterator[Path]:
    """Hold the host's write lock of the index (an flock, released if the process dies)."""
    path = path or index_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f"{path.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield path
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def add(ids: list[int], vectors: np.ndarray) -> bool:
    """Put these papers' vectors into the index file (replacing their old ones), if there is one.

    Reads the whole file, adds and writes it back: measured in bench.neighbours (a batch at 1M
    papers costs about a second of worker time); the batch is at most embeddings.BATCH papers.
    """
    from usearch.index import Index

    if not ids or not index_path().exists():
        return False
    with writing() as path:
        if not path.exists():  # removed while we waited
            return False
        index = Index.restore(str(path))
        keys = _keys(ids)
        index.remove(keys)  # a re-embedded paper (new abstract) replaces its vector
        index.add(keys, np.asarray(vectors, dtype=np.float32))
        save(index, path)
    return True


def _loaded():
    """This process's read-only mapping of the index file, mapped again when the file changed."""
    from usearch.index import Index

    path = index_path()
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    stamp = (str(path), status.st_ino, status.st_mtime_ns, status.st_size)
    with _lock:
        if _view["stamp"] != stamp:
            try:
                index = Index.restore(str(path), view=True)
            except Exception:  # a damaged file: search exactly until it is built again
                logger.warning("Cannot read the vector index %s; searching without it", path, exc_info=True)
                index = None
            _view.update(stamp=stamp, index=index)
            if index is not None:
                index.expansion_search = EXPANSION_SEARCH
        return _view["index"]


def available() -> bool:
    return _loaded() is not None


def search(vectors: np.ndarray, count: int) -> list[list[tuple[int, float]]] | None:
    """The `count` nearest papers to each row of `vectors` as (id, cosine similarity), best
    first; None when there is no index file (the caller searches exactly)."""
    index = _loaded()
    if index is None:
        return None
    if len(index) == 0 or count <= 0:
        return [[] for _ in range(len(vectors))]
    matches = index.search(np.asarray(vectors, dtype=np.float32), min(count, len(index)))
    keys = np.atleast_2d(matches.keys)
    distances = np.atleast_2d(matches.distances)
    # One query answers a Matches (every key found), several a BatchMatches with counts.
    found = np.atleast_1d(getattr(matches, "counts", keys.shape[1]))
    return [
        [(int(k), float(1.0 - d)) for k, d in zip(keys[row, :n], distances[row, :n], strict=True)]
        for row, n in enumerate(found)
    ]


def forget() -> None:
    """Drop this process's mapping (tests: a new file at the same path within one mtime tick)."""
    with _lock:
        _view.update(stamp=None, index=None)


def _keys(ids) -> np.ndarray:
    return np.asarray(ids, dtype=np.uint64)
