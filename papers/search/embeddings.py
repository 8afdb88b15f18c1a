"""Sentence embeddings of papers and queries with wordllama, offline.

wordllama's 256-dimension weights ship inside its wheel; it is loaded from the installed
package's own directory with downloads disabled, so nothing is fetched at run time. It
embeds several hundred abstracts a second on one CPU core and a query in about a
millisecond, so the web process embeds queries itself.
"""

from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_NAME = "wordllama-l2-supercat-256"
EMBEDDING_DIMENSIONS = 256
BATCH = 64  # papers embedded per task and per write


@lru_cache(maxsize=1)
def _model():
    import wordllama
    from wordllama import WordLlama

    return WordLlama.load(
        config="l2_supercat",
        dim=EMBEDDING_DIMENSIONS,
        cache_dir=Path(wordllama.__file__).parent,
        disable_download=True,
    )


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length float32 rows, one per text (so a dot product is the cosine similarity)."""
    vectors = np.asarray(_model().embed(texts), dtype=np.float32).reshape(len(texts), EMBEDDING_DIMENSIONS)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def paper_text(title: str, abstract: str) -> str:
    return f"{title}. {abstract}".strip()


def to_bytes(vector: np.ndarray) -> bytes:
    return vector.astype("<f4").tobytes()


def from_bytes(raw: bytes) -> np.ndarray:
    return np.frombuffer(bytes(raw), dtype="<f4")


def vector_or_none(raw: bytes | None) -> np.ndarray | None:
    """A stored embedding, or None when there is none or it has another model's dimensions."""
    if raw is None:
        return None
    vector = from_bytes(raw)
    return vector if vector.shape == (EMBEDDING_DIMENSIONS,) else None


def decode_rows(rows) -> tuple[np.ndarray, np.ndarray]:
    """(id, stored embedding) rows to an id array and a matrix of their vectors, one row each,
    leaving out embeddings that cannot be read (vector_or_none)."""
    ids, vectors = [], []
    for pk, raw in rows:
        vector = vector_or_none(raw)
        if vector is not None:
            ids.append(pk)
            vectors.append(vector)
    matrix = np.vstack(vectors) if vectors else np.zeros((0, EMBEDDING_DIMENSIONS), dtype=np.float32)
    return np.asarray(ids, dtype=np.int64), matrix
