"""A worker's time to find new papers' neighbours, as the relate_papers task does it.

    DATABASE_URL=postgres://… python -m bench.relate_worker [--papers 100000] [--batches 10]

In a throwaway test database (dropped afterwards): `--papers` papers (95% listed) with the
synthetic embeddings of bench.neighbours, and this host's nearest-neighbour index built over
them in a temporary directory. Then, `--batches` times, 64 new listed papers (one embedding
batch) are written, added to the index's delta as paper_embed does, and
papers.related.papers_relate is timed on them: the index asked for 30 + 1 neighbours of each,
the listed ones kept (one query), the rows written, and the new papers offered to their
neighbours' lists. The same for batches of a single paper. Prints the time per paper (median
and 95th percentile over the batches), split into the index search, SQL and the rest.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from bench.neighbours import synthetic_vectors

SEED = 7


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered) * 1000:7.2f} ms, p95 {p95 * 1000:7.2f} ms"


def _paper(i: int, vector: np.ndarray, *, listed: bool):
    from django.utils import timezone

    from papers.models import Paper
    from papers.search import embeddings

    return Paper(
        title=f"Paper {i}",
        title_key=f"paper {i}",
        summary="A short summary.",
        status=Paper.Status.LISTED if listed else Paper.Status.HIDDEN,
        published_at=timezone.now(),
        embedding=embeddings.to_bytes(vector),
    )


def load(vectors: np.ndarray) -> np.ndarray:
    """The papers, bulk inserted; their ids in the order of `vectors`."""
    from papers.models import Paper

    rng = np.random.default_rng(SEED)
    listed = rng.random(len(vectors)) < 0.95
    for start in range(0, len(vectors), 5000):
        Paper.objects.bulk_create(
            _paper(i, vectors[i], listed=bool(listed[i]))
            for i in range(start, min(start + 5000, len(vectors)))
        )
        print(f"  {min(start + 5000, len(vectors))} papers", file=sys.stderr, end="\r")
    return np.asarray(Paper.objects.order_by("pk").values_list("pk", flat=True))


@contextmanager
def timed_parts(parts: dict[str, float]):
    """Adds the time in SQL statements and in the index search to `parts`."""
    from django.db import connection

    from papers.search import semantic

    real = semantic.nearest_to_vectors

    def search(*args, **kwargs):
        started = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            parts["index"] += time.perf_counter() - started

    def sql(execute, statement, params, many, context):
        started = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            parts["sql"] += time.perf_counter() - started

    semantic.nearest_to_vectors = search
    try:
        with connection.execute_wrapper(sql):
            yield
    finally:
        semantic.nearest_to_vectors = real


def measure(vectors: np.ndarray, batches: int, size: int, counter: list[int]) -> dict[str, list[float]]:
    """Per paper: seconds of papers_relate over `batches` new batches of `size` papers."""
    from papers.models import Paper
    from papers.related import papers_relate
    from papers.search import vector_index

    rng = np.random.default_rng(SEED + size)
    figures: dict[str, list[float]] = {"total": [], "index": [], "sql": [], "python": []}
    for _ in range(batches):
        near = vectors[rng.choice(len(vectors), size)]
        fresh = near + rng.standard_normal(near.shape, dtype=np.float32) * 0.05
        fresh /= np.linalg.norm(fresh, axis=1, keepdims=True)
        new = Paper.objects.bulk_create(_paper(counter[0] + i, fresh[i], listed=True) for i in range(size))
        counter[0] += size
        ids = [paper.pk for paper in new]
        vector_index.add(ids, fresh)
        parts = {"index": 0.0, "sql": 0.0}
        started = time.perf_counter()
        with timed_parts(parts):
            related = papers_relate(paper_ids=ids)
        total = time.perf_counter() - started
        assert related == size
        figures["total"].append(total / size)
        figures["index"].append(parts["index"] / size)
        figures["sql"].append(parts["sql"] / size)
        figures["python"].append((total - parts["index"] - parts["sql"]) / size)
    return figures


def run(papers: int, batches: int) -> None:
    from django.db import connection
    from django.test import override_settings

    from papers.search import vector_index
    from papers.search.embeddings import BATCH

    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        vectors = synthetic_vectors(papers, seed=SEED)
        started = time.perf_counter()
        ids = load(vectors)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(f"{papers} papers loaded in {time.perf_counter() - started:.0f} s ({connection.vendor})")
        with (
            tempfile.TemporaryDirectory() as directory,
            override_settings(VECTOR_INDEX_PATH=str(Path(directory) / "papers.usearch")),
        ):
            started = time.perf_counter()
            vector_index.save(vector_index.build(ids, vectors))
            vector_index.forget()
            print(f"index built in {time.perf_counter() - started:.0f} s")
            counter = [papers]
            measure(vectors, 1, BATCH, counter)  # the first maps the files and warms the caches
            for size in (BATCH, 1):
                print(f"papers_relate, batches of {size} ({batches} batches), per paper:")
                for part, values in measure(vectors, batches, size, counter).items():
                    print(f"  {part:7} {_ms(values)}")
            vector_index.forget()
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=100_000, help="papers in the database (default 100000)")
    parser.add_argument("--batches", type=int, default=10, help="batches timed per batch size")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "readinggroup.settings")
    import django

    django.setup()
    run(args.papers, args.batches)
    return 0


if __name__ == "__main__":
    sys.exit(main())
