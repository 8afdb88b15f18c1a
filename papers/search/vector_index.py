"""Approximate nearest neighbours over the paper embeddings: a usearch HNSW index on local disk.

`python manage.py build_vector_index` writes the main file (VECTOR_INDEX_PATH) from the
database's embeddings. After that the workers add each batch they embed (paper_embed) to a
small delta file beside it (`papers.usearch.delta`), so a batch costs in proportion to the
delta, not to the collection; once the delta holds FOLD_AT vectors a background task
(papers.tasks.fold_vector_index) folds it into the main file, and every build folds it too.
Every process that searches memory-maps both files, searches both and merges by similarity
(a paper in the delta was embedded again or newly: its delta vector wins over the main's), and
maps a file again when it was replaced (a stat() of each per search, no database read).
Without the main file nothing here is used and papers.search.semantic searches exactly by
brute force: small sites and tests need no index.

Files are replaced whole (written beside, then renamed), so a reader never sees half a file
and a mapping of the old one stays valid until it is dropped. Writers on one host take turns
through a lock file next to the index. Keys are paper ids; a paper hidden or deleted later
stays in the index until the next build, and callers keep the papers they may show.
"""

import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings

from papers.search import file_view
from papers.search.embeddings import EMBEDDING_DIMENSIONS
from papers.search.file_view import FileView
from papers.search.host_lock import host_lock

logger = logging.getLogger(__name__)

# Half-precision vectors: 512 bytes a paper, and the recall measured by bench.neighbours stays
# at the float32 figure (docs/search.md); the HNSW graph's parameters were chosen there too.
DTYPE = "f16"
CONNECTIVITY = 16
EXPANSION_ADD = 128
EXPANSION_SEARCH = 128
BUILD_CHUNK = 20_000  # rows per add() call: a progress bar step
# Delta size at which the workers queue a fold. A batch's add reads and writes the whole delta
# (about 10 ms per 1,000 vectors in it, docs/search.md), a fold reads and writes the main file.
FOLD_AT = 20_000


def index_path() -> Path:
    return Path(settings.VECTOR_INDEX_PATH)


def delta_path(path: Path | None = None) -> Path:
    path = path or index_path()
    return path.with_name(f"{path.name}.delta")


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
    with host_lock(path.with_name(f"{path.name}.lock")):
        yield path


def add(ids: list[int], vectors: np.ndarray) -> int:
    """Put these papers' vectors into the delta (replacing their old ones) if there is a main
    file; the delta's size after it, 0 when nothing was added.

    Reads the delta, adds and writes it back: bounded by FOLD_AT vectors whatever the size of
    the collection (measured in bench.neighbours); a batch is at most embeddings.BATCH papers.
    """
    if not ids:
        return 0
    with writing() as path:
        delta = delta_path(path)
        if not path.exists():  # no index on this host (or removed): a delta would only go stale
            delta.unlink(missing_ok=True)
            return 0
        index = _restore_delta(delta) or new_index()
        keys = _keys(ids)
        index.remove(keys)  # a re-embedded paper (new abstract) replaces its vector
        index.add(keys, np.asarray(vectors, dtype=np.float32))
        save(index, delta)
        return len(index)


@dataclass(frozen=True)
class Folded:
    """The delta's vectors as they were when a fold took them."""

    keys: np.ndarray
    vectors: np.ndarray  # as stored (half precision), to recognise them unchanged later

    def __len__(self) -> int:
        return len(self.keys)


def take_delta() -> Folded:
    """A copy of the delta's keys and vectors (empty without one)."""
    with writing() as path:
        index = _restore_delta(delta_path(path))
    if index is None or len(index) == 0:
        return Folded(_keys([]), np.zeros((0, EMBEDDING_DIMENSIONS), dtype=np.float16))
    keys = np.asarray(index.keys, dtype=np.uint64)
    return Folded(keys, _stored(index, keys))


def absorb(index, folded: Folded) -> None:
    """Put the folded vectors into `index` (an index being built or folded into), replacing."""
    if len(folded):
        index.remove(folded.keys)
        index.add(folded.keys, folded.vectors.astype(np.float32))


def replace_main(
    index,
    folded: Folded,
    *,
    main_stamp=None,
    before_save: Callable | None = None,
    written: Path | None = None,
) -> bool:
    """Save `index` (which absorbed `folded`) as the main file, or rename `written` (the index
    saved beforehand, outside the lock) into place, and drop from the delta what it folded;
    the vectors workers added or changed meanwhile stay in the delta. With `main_stamp`, gives
    up (False) when the main file was replaced since (by a build, which folded the delta)."""
    with writing() as path:
        if main_stamp is not None and file_view.stamp(path) != main_stamp:
            return False
        if written is not None:
            os.replace(written, path)
        else:
            if before_save is not None:
                before_save(index)
            save(index, path)
        _keep_unfolded(delta_path(path), folded)
    return True


def fold(*, at_least: int | None = None) -> int:
    """Fold the delta into the main file when it holds `at_least` (FOLD_AT) vectors; how many
    were folded.

    The heavy part (reading the main file, adding, writing the new one beside it) runs outside
    the write lock so that workers keep adding to the delta meanwhile; under the lock it is only
    renamed into place and the delta written again. One fold at a time per host (another one
    already running makes this one return 0 at once).
    """
    from usearch.index import Index

    path = index_path()
    if not path.exists():
        return 0
    with host_lock(path.with_name(f"{path.name}.fold.lock"), wait=False) as mine:
        if not mine:
            return 0
        folded = take_delta()
        main_stamp = file_view.stamp(path)
        if (
            len(folded) == 0
            or len(folded) < (FOLD_AT if at_least is None else at_least)
            or main_stamp is None
        ):
            return 0
        index = Index.restore(str(path))
        absorb(index, folded)
        written = path.with_name(f".{path.name}.{os.getpid()}.fold")
        try:
            index.save(str(written))  # also outside the lock: the file is large
            if not replace_main(index, folded, main_stamp=main_stamp, written=written):
                return 0
        finally:
            written.unlink(missing_ok=True)
    logger.info("Folded %d vector(s) of the delta into %s", len(folded), path)
    return len(folded)


def _keep_unfolded(delta: Path, folded: Folded) -> None:
    """Write the delta again without the folded vectors (those a worker did not change since)."""
    current = _restore_delta(delta)
    if current is None:
        delta.unlink(missing_ok=True)  # unreadable: the new main file has what it could give
        return
    keys = np.asarray(current.keys, dtype=np.uint64)
    was = dict(zip(folded.keys.tolist(), folded.vectors, strict=True))
    vectors = _stored(current, keys) if len(keys) else np.zeros((0, EMBEDDING_DIMENSIONS), np.float16)
    keep = [
        row
        for row, key in enumerate(keys.tolist())
        if key not in was or not np.array_equal(was[key], vectors[row])
    ]
    if not keep:
        delta.unlink(missing_ok=True)
        return
    rest = new_index()
    rest.add(keys[keep], vectors[keep].astype(np.float32))
    save(rest, delta)


def _restore(path: Path):
    """The index in this file, read into memory to be changed; None without the file."""
    from usearch.index import Index

    if not path.exists():
        return None
    return Index.restore(str(path))


def _restore_delta(path: Path):
    """The delta read into memory; None without it, or when it cannot be read: its papers are
    then searched by their older vectors (or not at all) until the next build, and the workers
    keep embedding rather than fail on every batch."""
    try:
        return _restore(path)
    except Exception:
        logger.warning("Cannot read the vector index delta %s; starting a new one", path, exc_info=True)
        return None


def _stored(index, keys: np.ndarray) -> np.ndarray:
    return np.vstack(index.get(keys, dtype=DTYPE)).astype(np.float16)


def _map(path: Path, previous):
    """A read-only mapping of the file, searched with the build's expansion."""
    from usearch.index import Index

    index = Index.restore(str(path), view=True)
    if index is not None:
        index.expansion_search = EXPANSION_SEARCH
    return index


_main_view = FileView(_map, what="vector index")
_delta_view = FileView(_map, what="vector index delta")


def _loaded():
    """(main, delta) mappings of this process; main None without a usable main file."""
    path = index_path()
    main = _main_view.get(path)
    if main is None:
        return None, None
    return main, _delta_view.get(delta_path(path))


def available() -> bool:
    return _loaded()[0] is not None


def search(vectors: np.ndarray, count: int) -> list[list[tuple[int, float]]] | None:
    """The `count` nearest papers to each row of `vectors` as (id, cosine similarity), best
    first; None when there is no main index file (the caller searches exactly)."""
    main, delta = _loaded()
    if main is None:
        return None
    vectors = np.asarray(vectors, dtype=np.float32)
    if count <= 0:
        return [[] for _ in range(len(vectors))]
    found = _search_one(main, vectors, count)
    if delta is None or len(delta) == 0:
        return found
    newer = _search_one(delta, vectors, count)
    rows = []
    for row, (old, new) in enumerate(zip(found, newer, strict=True)):
        superseded = _superseded(delta, old)
        if superseded and len(old) == count:
            # The main file's vectors of papers in the delta are out of date: ask it for more
            # so that the ones dropped here leave no gap (rare: only papers embedded again).
            old = _search_one(main, vectors[row : row + 1], count + len(superseded) + count)[0]
            superseded = _superseded(delta, old)
        merged = [hit for hit in old if hit[0] not in superseded] + new
        rows.append(sorted(merged, key=lambda hit: -hit[1])[:count])
    return rows


def _superseded(delta, hits: list[tuple[int, float]]) -> set[int]:
    if not hits:
        return set()
    keys = _keys([pk for pk, _ in hits])
    return {
        pk for pk, inside in zip(keys.tolist(), np.atleast_1d(delta.contains(keys)), strict=True) if inside
    }


def _search_one(index, vectors: np.ndarray, count: int) -> list[list[tuple[int, float]]]:
    if len(index) == 0:
        return [[] for _ in range(len(vectors))]
    matches = index.search(vectors, min(count, len(index)))
    keys = np.atleast_2d(matches.keys)
    distances = np.atleast_2d(matches.distances)
    # One query answers a Matches (every key found), several a BatchMatches with counts.
    found = np.atleast_1d(getattr(matches, "counts", keys.shape[1]))
    return [
        [(int(k), float(1.0 - d)) for k, d in zip(keys[row, :n], distances[row, :n], strict=True)]
        for row, n in enumerate(found)
    ]


def forget() -> None:
    """Drop this process's mappings (tests: a new file at the same path within one mtime tick)."""
    _main_view.forget()
    _delta_view.forget()


def _keys(ids) -> np.ndarray:
    return np.asarray(ids, dtype=np.uint64)
