"""What a member's "for you" list costs when it is computed at request time.

    DATABASE_URL=postgres://… python -m bench.for_you [--papers 100000] [--matrix 1000000]

Two parts, because only one of them grows with the collection:

1. In the database (a throwaway test database, dropped afterwards): `--papers` listed papers on
   20 topics with their embeddings, and three members — a newcomer with no signals, a light one
   (20 votes) and a heavy one (500 votes, 50 comments, 20 dismissals). For each, the whole of
   papers.discovery.for_you.for_you plus the page a list shows (20 papers with their authors and
   tags), timed; the time in SQL and in the nearest-neighbour search are reported apart. Every
   query reads a bounded number of rows through an index (the member's signals, at most
   MAX_SIGNALS papers by id, the TRENDING_CANDIDATES first rows of the trending index, the
   neighbours by id), so these figures hold at any collection size; run it at two sizes to see.
2. In memory: the nearest-neighbour search over `--matrix` embeddings (1M by default), the only
   step that reads every paper. papers.search.semantic.nearest_to_vector on this branch is exact
   (a matrix-vector product); the ANN index of the related-papers work replaces it.

Prints one line per figure (milliseconds: median and 95th percentile over `--rounds`). For the
list computed: wall time in all (`total`), in SQL statements (`sql`: the database's time and the
round trips), in the neighbour search (`neighbours`), the rest in Python (`python`), and the CPU
time of this process (`cpu`: what a web worker spends, whatever else the machine runs); then the
next page read from the cached list (`cached`) and, for reference in the same run, the second
page of the trending list (`trending`: one list query and its two prefetches). Run it with
OPENBLAS_NUM_THREADS=1, as a web worker of its own per core would: on a busy machine numpy's
threads otherwise wait for each other.
"""

import argparse
import os
import statistics
import sys
import time
from contextlib import contextmanager
from datetime import timedelta

import numpy as np

TOPICS = 20
SEED = 2026


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered) * 1000:7.2f} ms, p95 {p95 * 1000:7.2f} ms"


def topic_vectors(count: int, rng: np.random.Generator, dimensions: int) -> np.ndarray:
    """Unit rows near one of TOPICS random centres (about 0.8 alike within a topic)."""
    centres = rng.normal(size=(TOPICS, dimensions)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    noise = rng.normal(0, 0.5 / np.sqrt(dimensions), size=(count, dimensions)).astype(np.float32)
    vectors = centres[np.arange(count) % TOPICS] + noise
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


# --- 1. In the database ------------------------------------------------------------------------------


def load(papers: int) -> dict:
    """The papers (bulk inserts, embeddings included) and the three members; returns the members."""
    from django.utils import timezone

    from discussions.models import Comment
    from members.models import User
    from papers.models import Dismissal, Paper, Vote
    from papers.search import embeddings
    from papers.trending import trending_score

    rng = np.random.default_rng(SEED)
    vectors = topic_vectors(papers, rng, embeddings.EMBEDDING_DIMENSIONS)
    now = timezone.now()
    batch = []
    for i in range(papers):
        created = now - timedelta(minutes=papers - i)
        votes = int(rng.zipf(2.0)) - 1 if i % 3 == 0 else 0
        batch.append(
            Paper(
                title=f"Paper {i} on topic {i % TOPICS}",
                title_key=f"paper {i}",
                summary="A short summary.",
                status=Paper.Status.LISTED,
                published_at=created,
                created_at=created,
                vote_count=min(votes, 1000),
                trending_score=trending_score(vote_count=min(votes, 1000), created_at=created),
                embedding=embeddings.to_bytes(vectors[i]),
            )
        )
        if len(batch) == 5000:
            Paper.objects.bulk_create(batch)
            batch = []
            print(f"  {i + 1} papers", file=sys.stderr, end="\r")
    Paper.objects.bulk_create(batch)
    ids = list(Paper.objects.order_by("pk").values_list("pk", flat=True))
    members = {name: User.objects.create(username=name) for name in ("newcomer", "light", "heavy")}
    topic_papers = [pk for n, pk in enumerate(ids) if n % TOPICS == 3]
    Vote.objects.bulk_create(Vote(user=members["light"], paper_id=pk) for pk in topic_papers[:20])
    Vote.objects.bulk_create(Vote(user=members["heavy"], paper_id=pk) for pk in ids[-5000::10][:500])
    # Rows only: the comment service would also notify and queue tasks, which is not measured here.
    Comment.objects.bulk_create(
        Comment(author=members["heavy"], paper_id=pk, body="Worth a look") for pk in ids[-100::2][:50]
    )
    Dismissal.objects.bulk_create(Dismissal(user=members["heavy"], paper_id=pk) for pk in ids[1:400:20])
    return members


@contextmanager
def sql_time(total: list[float]):
    from django.db import connection

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            total[0] += time.perf_counter() - started

    with connection.execute_wrapper(timed):
        yield


@contextmanager
def neighbour_time(total: list[float]):
    from papers.search import semantic

    real = semantic.nearest_to_vector

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            total[0] += time.perf_counter() - started

    semantic.nearest_to_vector = timed
    try:
        yield
    finally:
        semantic.nearest_to_vector = real


def measure_member(user, rounds: int) -> dict[str, list[float]]:
    from django.core.cache import cache

    from papers.discovery import for_you_cache_key
    from papers.models import Paper
    from papers.selectors import paper_for_you, paper_list, with_has_voted, with_list_relations

    figures: dict[str, list[float]] = {"total": [], "sql": [], "neighbours": [], "python": [], "cpu": []}
    figures["cached"], figures["trending"] = [], []
    for _ in range(rounds + 1):
        cache.delete(for_you_cache_key(user.pk))
        sql, neighbours = [0.0], [0.0]
        started, cpu = time.perf_counter(), time.process_time()
        with sql_time(sql), neighbour_time(neighbours):
            papers = with_list_relations(with_has_voted(Paper.objects.listed(), user))
            page = list(paper_for_you(papers, user=user)[:20])
        total, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert page, "an empty list measures nothing"
        for name, value in zip(
            ("total", "sql", "neighbours", "python", "cpu"),
            (total, sql[0], neighbours[0], total - sql[0] - neighbours[0], cpu),
            strict=True,
        ):
            figures[name].append(value)
        started = time.perf_counter()
        papers = with_list_relations(with_has_voted(Paper.objects.listed(), user))
        list(paper_for_you(papers, user=user)[20:40])  # the next page, from the cached list
        figures["cached"].append(time.perf_counter() - started)
        started = time.perf_counter()
        list(paper_list(user=user, order="trending")[20:40])  # the reference: a plain list page
        figures["trending"].append(time.perf_counter() - started)
    return {name: values[1:] for name, values in figures.items()}  # the first loads the matrix


def run_database(papers: int, rounds: int) -> None:
    from django.db import connection

    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        started = time.perf_counter()
        members = load(papers)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE")
        print(f"{papers} papers loaded in {time.perf_counter() - started:.0f} s ({connection.vendor})")
        for name, user in members.items():
            for figure, values in measure_member(user, rounds).items():
                print(f"{name:9} {figure:10} {_ms(values)}")
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


# --- 2. In memory ------------------------------------------------------------------------------------


def run_matrix(count: int, rounds: int) -> None:
    from papers.discovery import scoring
    from papers.search import embeddings, semantic

    rng = np.random.default_rng(SEED)
    matrix = topic_vectors(count, rng, embeddings.EMBEDDING_DIMENSIONS)
    ids = np.arange(1, count + 1, dtype=np.int64)
    profile = scoring.profile_vector(matrix[:500], np.ones(500))
    exclude = set(range(1, 501))
    real = semantic._current
    semantic._current = lambda using: (ids, matrix)  # the loaded matrix, without a database
    try:
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            semantic.nearest_to_vector(profile, using="default", limit=300, exclude_ids=exclude)
            samples.append(time.perf_counter() - started)
    finally:
        semantic._current = real
    print(f"nearest_to_vector, exact, {count} papers: {_ms(samples)}")
    candidates, trending = matrix[:400], rng.normal(size=400)
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        scoring.for_you_scores(scoring.profile_vector(matrix[:500], np.ones(500)), candidates, trending)
        samples.append(time.perf_counter() - started)
    print(f"profile_vector (500 signals) + for_you_scores (400 candidates): {_ms(samples)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=100_000, help="papers in the database (default 100000)")
    parser.add_argument("--matrix", type=int, default=1_000_000, help="embeddings searched in memory")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--skip-database", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "readinggroup.settings")
    import django

    django.setup()
    if not args.skip_database:
        run_database(args.papers, args.rounds)
    if args.matrix:
        run_matrix(args.matrix, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
