import sys

import numpy as np
from django.core.management.base import BaseCommand
from tqdm import tqdm

from papers.models import Paper
from papers.search import embeddings, vector_index


def embedded_papers(ids: list[int] | None = None):
    """(id, embedding bytes) of papers with an embedding, in id order, streamed."""
    papers = Paper.objects.filter(embedding__isnull=False)
    if ids is not None:
        papers = papers.filter(pk__in=ids)
    return papers.order_by("pk").values_list("pk", "embedding").iterator(chunk_size=2000)


def read_vectors(rows, total: int, progress=None) -> tuple[np.ndarray, np.ndarray]:
    """Ids and vectors of at most `total` (id, embedding bytes) rows; `progress(1)` after each."""
    ids = np.empty(total, dtype=np.int64)
    vectors = np.empty((total, embeddings.EMBEDDING_DIMENSIONS), dtype=np.float32)
    count = 0
    for pk, raw in rows:
        vector = embeddings.vector_or_none(raw)
        if count < total and vector is not None:
            ids[count], vectors[count] = pk, vector
            count += 1
        if progress is not None:
            progress(1)
    return ids[:count], vectors[:count]


class Command(BaseCommand):
    help = (
        "Build this host's nearest-neighbour index of the paper embeddings (VECTOR_INDEX_PATH) from "
        "the database, folding in the workers' delta file; the workers keep it current afterwards."
    )

    def handle(self, *args, **options) -> None:
        total = Paper.objects.filter(embedding__isnull=False).count()
        with tqdm(total=total, desc="Reading", unit="paper", file=sys.stderr, disable=None) as bar:
            ids, vectors = read_vectors(embedded_papers(), total, bar.update)
        with tqdm(total=len(ids), desc="Indexing", unit="paper", file=sys.stderr, disable=None) as bar:
            index = vector_index.build(ids, vectors, progress=bar.update)
        # The delta's vectors are at least as new as the rows just read (a worker adds a batch
        # to it before writing the embeddings), so they replace them; the workers' additions
        # from now on stay in the delta.
        folded = vector_index.take_delta()
        vector_index.absorb(index, folded)
        caught_up = 0

        def catch_up(new_index) -> None:  # under the write lock, so no worker adds meanwhile
            nonlocal caught_up
            caught_up = self._catch_up(new_index, set(ids.tolist()) | set(folded.keys.tolist()))

        vector_index.replace_main(index, folded, before_save=catch_up)
        self.stdout.write(
            self.style.SUCCESS(
                f"Indexed {len(index)} paper(s) in {vector_index.index_path()} "
                f"({caught_up} embedded meanwhile, {len(folded)} folded from the delta)."
            )
        )

    def _catch_up(self, index, indexed: set[int]) -> int:
        """Add papers embedded while the index was built (their worker found the old file, or none)."""
        embedded = Paper.objects.filter(embedding__isnull=False).values_list("pk", flat=True)
        missing = [pk for pk in embedded.iterator(chunk_size=10_000) if pk not in indexed]
        if not missing:
            return 0
        with tqdm(total=len(missing), desc="Catching up", file=sys.stderr, disable=None) as bar:
            ids, vectors = read_vectors(embedded_papers(missing), len(missing), bar.update)
        index.add(ids.astype(np.uint64), vectors)
        return len(ids)
