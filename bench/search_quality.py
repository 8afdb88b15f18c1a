"""Search quality on known-item queries: does the search find the paper a member describes?

Every paper of DATA (SciTLDR dev) is listed among the papers of DISTRACTORS (train). For
each DATA paper two queries are asked: (a) its first reference TL;DR (`target[0]`), and
(b) the three rarest words of that TL;DR, rarest by document frequency over the whole
corpus (titles and abstracts), stopwords left out. The project's search runs through
`papers.selectors.paper_search` on the configured database (SQLite by default, PostgreSQL
with DATABASE_URL), in a throwaway test database that is dropped afterwards; a plain BM25
ranking (`bm25s`) over the same texts runs in the same process as the baseline.

    python -m bench.search_quality --data DEV.jsonl --distractors TRAIN.jsonl

`--text-index both` (the default) asks every query twice in the same run: ranked in the
database, and through a tantivy index (papers.search.text_index) built for the throwaway
database in a temporary directory; `with` or `without` asks once.

Prints recall@1, recall@10, MRR (reciprocal rank within the top 10, else 0) and the share
of queries answered with no paper at all.
"""

import argparse
import io
import json
import os
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

TOP = 10
WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
# Function words and the words every abstract uses; kept short and fixed so the queries
# do not depend on the system under test.
STOPWORDS = frozenset(
    """a about above after again against all also an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers him his how i if in into is it its itself just me more most my no nor
    not now of off on once only or other our ours out over own same she should so some such than that
    the their theirs them then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your yours via using use used
    uses paper propose proposes proposed show shows new novel approach method methods based""".split()  # noqa: SIM905
)


@dataclass(frozen=True)
class Paper:
    key: str
    title: str
    abstract: str


@dataclass(frozen=True)
class Query:
    paper: str  # the key of the paper it should find
    text: str


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def read_papers(path: Path, prefix: str) -> tuple[list[Paper], list[str]]:
    """The papers of a SciTLDR file and the first reference TL;DR of each."""
    papers, tldrs = [], []
    with path.open() as lines:
        for number, line in enumerate(lines):
            row = json.loads(line)
            papers.append(Paper(f"{prefix}{number}", row.get("title", ""), " ".join(row["source"])))
            tldrs.append(row["target"][0] if row["target"] else "")
    return papers, tldrs


def rare_word_query(tldr: str, document_frequency: Counter) -> str:
    """The three words of the TL;DR that the fewest papers use (ties: first in the TL;DR)."""
    candidates = list(dict.fromkeys(w for w in words(tldr) if w not in STOPWORDS and len(w) > 1))
    candidates.sort(key=lambda w: document_frequency[w])  # stable: ties keep TL;DR order
    return " ".join(candidates[:3])


def build_queries(known: list[Paper], tldrs: list[str], corpus: list[Paper]) -> dict[str, list[Query]]:
    document_frequency: Counter = Counter()
    for paper in corpus:
        document_frequency.update(set(words(f"{paper.title} {paper.abstract}")))
    return {
        "tldr": [Query(p.key, t) for p, t in zip(known, tldrs, strict=True) if t.strip()],
        "rare3": [
            Query(p.key, q)
            for p, t in zip(known, tldrs, strict=True)
            if (q := rare_word_query(t, document_frequency))
        ],
    }


def score(queries: list[Query], search: Callable[[str], list[str]], label: str) -> dict[str, float]:
    from tqdm import tqdm

    hits1 = hits10 = empty = 0
    reciprocal = 0.0
    latencies = []
    for query in tqdm(queries, desc=label, unit="q", file=sys.stderr, leave=False):
        start = time.perf_counter()
        found = search(query.text)[:TOP]
        latencies.append(time.perf_counter() - start)
        empty += not found
        if query.paper in found:
            rank = found.index(query.paper) + 1
            hits1 += rank == 1
            hits10 += 1
            reciprocal += 1 / rank
    latencies.sort()
    n = len(queries)
    return {
        "recall@1": hits1 / n,
        "recall@10": hits10 / n,
        "MRR": reciprocal / n,
        "empty": empty / n,
        "p50 ms": 1000 * latencies[n // 2],
        "p95 ms": 1000 * latencies[min(n - 1, int(n * 0.95))],
    }


def bm25_baseline(corpus: list[Paper]) -> Callable[[str], list[str]]:
    """bm25s over title + abstract, English stopwords, no stemming: the plain reference."""
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize([f"{p.title} {p.abstract}" for p in corpus], stopwords="en", show_progress=False),
        show_progress=False,
    )
    keys = [p.key for p in corpus]

    def search(text: str) -> list[str]:
        tokens = bm25s.tokenize([text], stopwords="en", show_progress=False)
        if not tokens.vocab:
            return []
        documents, scores = retriever.retrieve(tokens, k=TOP, show_progress=False)
        return [keys[d] for d, s in zip(documents[0], scores[0], strict=True) if s > 0]

    return search


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "readinggroup.settings")
    import django

    django.setup()


def load_into_database(corpus: list[Paper]) -> dict[int, str]:
    """Writes the corpus as listed papers (through the ORM, so triggers and signals run as
    for any paper); returns the key of each paper id. Then runs every job the workers would
    run for new papers (the search index and embeddings), as the site would before searching."""
    from django.utils import timezone
    from tqdm import tqdm

    from papers.models import Paper as PaperRow

    ids = {}
    now = timezone.now()
    for paper in tqdm(corpus, desc="load papers", unit="paper", file=sys.stderr, leave=False):
        row = PaperRow.objects.create(
            title=paper.title, abstract=paper.abstract, status=PaperRow.Status.LISTED, published_at=now
        )
        ids[row.pk] = paper.key
    _run_workers_jobs()
    return ids


def _run_workers_jobs() -> None:
    try:
        from papers.search.maintenance import refresh_all
    except ImportError:  # before the search package existed: nothing to build
        return
    refresh_all(progress=True)


def our_search(ids: dict[int, str]) -> Callable[[str], list[str]]:
    from papers.models import Paper as PaperRow
    from papers.selectors import paper_search

    def search(text: str) -> list[str]:
        found = paper_search(PaperRow.objects.listed(), text).values_list("pk", flat=True)[:TOP]
        return [ids[pk] for pk in found]

    return search


def print_table(results: dict[tuple[str, str], dict[str, float]], vendor: str) -> None:
    columns = ["recall@1", "recall@10", "MRR", "empty", "p50 ms", "p95 ms"]
    print(f"| system | query | {' | '.join(columns)} |")
    print("|" + "---|" * (len(columns) + 2))
    for (system, kind), row in results.items():
        cells = [f"{row[c]:.1f}" if c.endswith("ms") else f"{100 * row[c]:.1f}%" for c in columns]
        name = system.replace("ours", f"ours ({vendor})", 1)
        print(f"| {name} | {kind} | {' | '.join(cells)} |")


def _text_index_settings(text_index: str, directory: Path) -> list[tuple[str, dict]]:
    """(label suffix, settings) per way of ranking asked for; the index is built on first use."""
    ways = []
    if text_index in ("without", "both"):
        ways.append(("", {"SEARCH_INDEX_PATH": directory / "absent"}))
    if text_index in ("with", "both"):
        ways.append((" + text index", {"SEARCH_INDEX_PATH": directory / "search-index"}))
    return ways


def _build_text_index() -> None:
    from django.core.management import call_command

    from papers.search import text_index

    text_index.forget()
    if not text_index.exists():
        started = time.perf_counter()
        call_command("build_search_index", stdout=io.StringIO())
        print(f"text index built in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def run(
    data: Path, distractors: Path, limit: int | None, semantic_weights: list[float], text_index: str = "both"
) -> None:
    known, tldrs = read_papers(data, "dev")
    others, _ = read_papers(distractors, "train")
    if limit:
        known, tldrs = known[:limit], tldrs[:limit]
    corpus = known + others
    queries = build_queries(known, tldrs, corpus)
    print(
        f"{len(known)} known papers among {len(corpus)}; queries: "
        + ", ".join(f"{k} {len(v)}" for k, v in queries.items()),
        file=sys.stderr,
    )

    _setup_django()
    from django.db import connection

    results: dict[tuple[str, str], dict[str, float]] = {}
    baseline = bm25_baseline(corpus)
    for kind, asked in queries.items():
        results[("bm25s", kind)] = score(asked, baseline, f"bm25s {kind}")

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        ids = load_into_database(corpus)
        from django.test import override_settings

        ours = our_search(ids)
        with tempfile.TemporaryDirectory(prefix="rg-quality-index-") as directory:
            for suffix, index_settings in _text_index_settings(text_index, Path(directory)):
                with override_settings(**index_settings):
                    if suffix:
                        _build_text_index()
                    for weight in semantic_weights:
                        system = "ours" if len(semantic_weights) == 1 else f"ours, semantic weight {weight}"
                        system += suffix
                        with override_settings(SEARCH_FUSION_WEIGHTS={"semantic": weight}):
                            for kind, asked in queries.items():
                                results[(system, kind)] = score(asked, ours, f"{system} {kind}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print_table(dict(sorted(results.items(), key=lambda item: (item[0][1], item[0][0]))), connection.vendor)


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="SciTLDR jsonl of the papers to find (dev)")
    parser.add_argument("--distractors", type=Path, required=True, help="SciTLDR jsonl listed beside them")
    parser.add_argument("--limit", type=int, default=None, help="ask about the first N papers only")
    parser.add_argument(
        "--semantic-weights",
        default="",
        help="comma-separated fusion weights of the semantic ranking to compare (tuning, dev only)",
    )
    parser.add_argument(
        "--text-index",
        choices=("both", "with", "without"),
        default="both",
        help="rank through a tantivy text index built for the run, in the database, or both (default)",
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    weights = [float(w) for w in args.semantic_weights.split(",") if w.strip()]
    run(args.data, args.distractors, args.limit, weights or [_default_semantic_weight()], args.text_index)


def _default_semantic_weight() -> float:
    _setup_django()
    from papers.search.ranking import _weights

    return _weights()["semantic"]


if __name__ == "__main__":
    main()
