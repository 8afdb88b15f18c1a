"""Related papers at scale: the usearch index (papers.search.vector_index) over n synthetic papers.

    python -m bench.neighbours [--n 1000000] [--queries 1000] [--rebuild-sample 20000] [--delta N] [--seed 7]

Builds the index over n seeded 256-d unit vectors with cluster structure (topics, and papers
within a topic spread along a few directions of their own, like real abstract embeddings),
saves it and maps it as the web and worker processes do, then prints: build time, file size
and resident memory, the query time of one new paper's 10 neighbours (p50/p95), recall@10
against exact brute force on a sample of papers, the cost of a worker adding one embedding
batch (to the delta file, empty and full, and as before the delta: rewriting the main file),
of folding a full delta, of a worker finding a new paper's neighbours as relate_papers does
(main file and delta), and the time to rebuild every paper's neighbours (measured on a sample
of papers, extrapolated to n: stated as such). Figures only; nothing is asserted.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DIMENSIONS = 256
NEIGHBOURS = 10
ADD_REPEATS = 3  # each add is timed this many times (median): one write is noisy on a busy disk


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def synthetic_vectors(n: int, *, seed: int, dimensions: int = DIMENSIONS) -> np.ndarray:
    """n unit vectors: ~n/1000 topics; a paper is its topic's centre plus a mix of the topic's
    8 own directions plus a little noise of every direction."""
    rng = np.random.default_rng(seed)
    topics = max(1, n // 1000)
    centres = rng.standard_normal((topics, dimensions), dtype=np.float32)
    directions = rng.standard_normal((topics, 8, dimensions), dtype=np.float32) * 0.5
    topic = rng.integers(0, topics, n)
    out = rng.standard_normal((n, dimensions), dtype=np.float32) * 0.35
    order = np.argsort(topic, kind="stable")
    bounds = np.searchsorted(topic[order], np.arange(topics + 1))
    for t in range(topics):
        rows = order[bounds[t] : bounds[t + 1]]
        mix = rng.standard_normal((len(rows), 8), dtype=np.float32)
        out[rows] += centres[t] + mix @ directions[t]
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def exact_neighbours(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Ids of the k most similar rows to each query, by brute force (the query itself included)."""
    best_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    best_ids = np.zeros((len(queries), k), dtype=np.int64)
    for start in range(0, len(vectors), 200_000):
        scores = queries @ vectors[start : start + 200_000].T
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        merged_scores = np.concatenate([best_scores, np.take_along_axis(scores, top, 1)], axis=1)
        merged_ids = np.concatenate([best_ids, top + start], axis=1)
        keep = np.argsort(-merged_scores, axis=1, kind="stable")[:, :k]
        best_scores = np.take_along_axis(merged_scores, keep, 1)
        best_ids = np.take_along_axis(merged_ids, keep, 1)
    return best_ids


def percentile(values: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(values), p))


def measure(args) -> dict:
    from usearch.index import Index

    from papers.search import vector_index

    log(f"Generating {args.n:,} vectors (seed {args.seed})…")
    vectors = synthetic_vectors(args.n, seed=args.seed)
    ids = np.arange(1, args.n + 1, dtype=np.int64)  # paper ids start at 1

    started = time.perf_counter()
    index = vector_index.build(ids, vectors)
    build_seconds = time.perf_counter() - started
    log(f"Built in {build_seconds:.1f} s")
    path = Path(args.dir) / "papers.usearch"
    vector_index.save(index, path)
    memory_mib = index.memory_usage / 2**20
    del index
    view = Index.restore(str(path), view=True)
    view.expansion_search = vector_index.EXPANSION_SEARCH

    rng = np.random.default_rng(args.seed + 1)
    sample = rng.choice(args.n, size=min(args.queries, args.n), replace=False)
    # One new paper's neighbours, as the worker asks: one query, 11 results (itself excluded).
    timings = []
    found = []
    for row in sample:
        started = time.perf_counter()
        matches = view.search(vectors[row], NEIGHBOURS + 1)
        timings.append((time.perf_counter() - started) * 1000)
        found.append([int(k) - 1 for k in matches.keys if int(k) - 1 != row][:NEIGHBOURS])
    exact = exact_neighbours(vectors, vectors[sample], NEIGHBOURS + 1)
    hits = [
        len(set(f) & set(int(e) for e in row_exact if e != row)) / NEIGHBOURS
        for f, row_exact, row in zip(found, exact, sample, strict=True)
    ]

    with tempfile.TemporaryDirectory(dir=args.dir) as scratch:
        adds = measure_adds(path, Path(scratch), vectors, args)

    rebuild = min(args.rebuild_sample, args.n)
    started = time.perf_counter()
    for start in range(0, rebuild, 1000):
        view.search(vectors[start : min(start + 1000, rebuild)], NEIGHBOURS + 1)
    rebuild_seconds = time.perf_counter() - started
    return {
        "n": args.n,
        "build_s": build_seconds,
        "index_memory_mib": memory_mib,
        "file_mib": path.stat().st_size / 2**20,
        "query_p50_ms": percentile(timings, 50),
        "query_p95_ms": percentile(timings, 95),
        "recall_at_10": float(np.mean(hits)),
        "recall_queries": len(sample),
        **adds,
        "rebuild_sample": rebuild,
        "rebuild_sample_s": rebuild_seconds,
        "rebuild_all_s_extrapolated": rebuild_seconds * args.n / rebuild,
        "threads": os.cpu_count(),
    }


def measure_adds(path: Path, scratch: Path, vectors: np.ndarray, args) -> dict:
    """On a copy of the file: a worker adding one embedding batch (64 papers) as paper_embed did
    before the delta file (read, add, write the whole main file) and as it does now (the delta,
    empty and nearly full); folding a full delta; and a worker finding one new paper's
    neighbours as relate_papers does, with a full delta beside the main file."""
    import shutil

    from django.test import override_settings

    from papers.related import CANDIDATES
    from papers.search import vector_index
    from papers.search.embeddings import BATCH

    copy = scratch / path.name
    shutil.copyfile(path, copy)
    rng = np.random.default_rng(0)
    batch = vectors[rng.choice(args.n, BATCH, replace=False)]
    batch_ids = list(range(args.n + 1, args.n + 1 + BATCH))
    figures = {}
    with override_settings(VECTOR_INDEX_PATH=str(copy)):
        vector_index.forget()
        figures.update(measure_relating(vectors, args, CANDIDATES, "relate_main"))
        figures.update(measure_for_you_profile(vectors, args))

        def whole_file():
            shutil.copyfile(path, copy)
            return lambda: whole_file_add(copy, batch_ids, batch)

        figures["add_batch_whole_file_s"] = timed_median(whole_file)
        shutil.copyfile(path, copy)

        def empty_delta():
            vector_index.delta_path().unlink(missing_ok=True)
            return lambda: vector_index.add(batch_ids, batch)

        figures["add_batch_s"] = timed_median(empty_delta)

        # A delta of FOLD_AT new papers (new ids; vectors near those of papers of the set).
        fill = args.delta - BATCH
        fresh = (
            vectors[rng.choice(args.n, fill)]
            + rng.standard_normal((fill, DIMENSIONS), dtype=np.float32) * 0.05
        )
        fresh /= np.linalg.norm(fresh, axis=1, keepdims=True)
        log(f"Filling a delta of {args.delta:,} vectors…")
        filled = vector_index.build(np.arange(args.n + BATCH + 1, args.n + BATCH + 1 + fill), fresh)

        def full_delta():
            vector_index.save(filled, vector_index.delta_path())
            return lambda: vector_index.add(batch_ids, batch)

        figures["add_batch_full_delta_s"] = timed_median(full_delta)
        figures["delta"] = fill + BATCH

        # The delta's papers are listed papers too (the worker would keep them).
        newest = args.n + BATCH + fill
        figures.update(measure_relating(vectors, args, CANDIDATES, "relate", newest_id=newest))

        log("Folding the delta into the main file…")
        started = time.perf_counter()
        folded = vector_index.fold(at_least=0)
        figures["fold_s"] = time.perf_counter() - started
        assert folded == fill + BATCH and not vector_index.delta_path().exists()
        vector_index.forget()
    return figures


def timed_median(prepare, repeats: int = ADD_REPEATS) -> float:
    """Median seconds of the call `prepare()` returns, each prepared afresh (not timed)."""
    timings = []
    for _ in range(repeats):
        call = prepare()
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return float(np.median(timings))


def measure_relating(vectors: np.ndarray, args, candidates: int, name: str, newest_id: int = 0) -> dict:
    """A new paper's neighbours as relate_papers asks the index (CANDIDATES + 1 through
    vector_index.search: the main file and the delta, merged), keeping the listed ones (here a
    set of 95% of the ids; the worker asks the database once per batch) and its 10 best."""
    from papers.search import vector_index

    rng = np.random.default_rng(args.seed + 2)
    every_id = np.arange(1, max(newest_id, args.n) + 1)
    listed = set(rng.choice(every_id, int(len(every_id) * 0.95), replace=False).tolist())
    sample = rng.choice(args.n, min(args.queries, args.n), replace=False)
    vector_index.search(vectors[sample[:1]], candidates + 1)  # map both files first
    timings, kept = [], 0
    for row in sample:
        started = time.perf_counter()
        found = vector_index.search(vectors[row][None, :], candidates + 1)[0]
        keep = listed & {pk for pk, _ in found}
        kept += len([(pk, score) for pk, score in found if pk in keep and pk != row + 1][:NEIGHBOURS])
        timings.append((time.perf_counter() - started) * 1000)
    assert kept == NEIGHBOURS * len(sample), "too few listed neighbours among the candidates"
    return {f"{name}_p50_ms": percentile(timings, 50), f"{name}_p95_ms": percentile(timings, 95)}


def measure_for_you_profile(vectors: np.ndarray, args) -> dict:
    """The one step of a member's For you list that reads the whole collection: the papers
    nearest the member's profile (the weighted mean of up to MAX_SIGNALS papers they acted on),
    NEIGHBOUR_CANDIDATES of them, the member's own papers left out, through
    papers.search.semantic as the list asks it (the index, main file only)."""
    from papers.discovery import for_you, scoring
    from papers.search import semantic

    rng = np.random.default_rng(args.seed + 3)
    timings = []
    for _ in range(min(args.queries, 100)):
        signals = rng.choice(args.n, min(for_you.MAX_SIGNALS, args.n), replace=False)
        profile = scoring.profile_vector(vectors[signals], np.ones(len(signals)))
        exclude = (signals + 1).tolist()
        started = time.perf_counter()
        found = semantic.nearest_to_vector(
            profile, using="default", limit=for_you.NEIGHBOUR_CANDIDATES, exclude_ids=exclude
        )
        timings.append((time.perf_counter() - started) * 1000)
        assert len(found) == for_you.NEIGHBOUR_CANDIDATES, "the index gave too few candidates"
    return {"for_you_p50_ms": percentile(timings, 50), "for_you_p95_ms": percentile(timings, 95)}


def whole_file_add(path: Path, ids: list[int], batch: np.ndarray) -> None:
    """paper_embed's add before the delta file (commit 8a93ac7), for the before/after figure."""
    from usearch.index import Index

    from papers.search import vector_index

    with vector_index.writing(path):
        index = Index.restore(str(path))
        keys = np.asarray(ids, dtype=np.uint64)
        index.remove(keys)
        index.add(keys, np.asarray(batch, dtype=np.float32))
        vector_index.save(index, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="papers (default 1,000,000)")
    parser.add_argument("--queries", type=int, default=1000, help="papers whose neighbours are timed")
    parser.add_argument("--rebuild-sample", type=int, default=20_000, help="papers searched to extrapolate")
    parser.add_argument("--delta", type=int, help="papers in the full delta timed (default FOLD_AT)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="where the index file is written")
    parser.add_argument("--out", type=Path, help="also write the figures here as JSON (bench.run)")
    args = parser.parse_args(argv)
    if args.n < NEIGHBOURS + 1:
        parser.error(f"--n must be at least {NEIGHBOURS + 1}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "readinggroup.settings")
    import django

    django.setup()
    from papers.search import vector_index

    args.delta = args.delta or vector_index.FOLD_AT
    with tempfile.TemporaryDirectory(dir=args.dir) as scratch:
        args.dir = scratch
        figures = measure(args)
    if args.out:
        args.out.write_text(json.dumps(figures, indent=1) + "\n")
    print(f"papers                         {figures['n']:>12,}")
    print(f"build                          {figures['build_s']:>10.1f} s  ({figures['threads']} threads)")
    memory, size = figures["index_memory_mib"], figures["file_mib"]
    print(f"index in memory / file         {memory:>8.0f} MiB / {size:.0f} MiB")
    print(
        f"one paper's 10 neighbours      p50 {figures['query_p50_ms']:.2f} ms, "
        f"p95 {figures['query_p95_ms']:.2f} ms ({figures['recall_queries']} papers)"
    )
    print(f"recall@10 vs exact             {figures['recall_at_10']:>10.3f}")
    print(
        f"a new paper's neighbours       p50 {figures['relate_main_p50_ms']:.2f} ms, "
        f"p95 {figures['relate_main_p95_ms']:.2f} ms (30 + 1, main file only, kept listed; no database)"
    )
    print(
        f"For you: papers near a profile p50 {figures['for_you_p50_ms']:.2f} ms, "
        f"p95 {figures['for_you_p95_ms']:.2f} ms (300 of the index, the member's papers left out)"
    )
    print(f"worker adds a batch of 64      {figures['add_batch_s']:>10.3f} s to an empty delta file")
    print(f"  … to a delta of {figures['delta']:>8,}    {figures['add_batch_full_delta_s']:>10.3f} s")
    print(
        f"  … before: whole-file rewrite {figures['add_batch_whole_file_s']:>10.3f} s "
        "(read, add, write the main file)"
    )
    print(
        f"  … with a full delta beside   p50 {figures['relate_p50_ms']:.2f} ms, "
        f"p95 {figures['relate_p95_ms']:.2f} ms "
        "(30 + 1 from main + full delta, kept listed; no database)"
    )
    print(f"fold the delta into the main   {figures['fold_s']:>10.1f} s (background task)")
    print(
        f"rebuild all neighbours         {figures['rebuild_all_s_extrapolated']:>10.0f} s, extrapolated from "
        f"{figures['rebuild_sample']:,} papers in {figures['rebuild_sample_s']:.1f} s (index searches only)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
