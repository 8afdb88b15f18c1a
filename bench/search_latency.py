"""Search latency on a loaded benchmark database: our search beside the raw index lookup.

Queries are cut from the loaded papers' own abstracts (seeded): 20 consecutive words (a
member describing a paper), 3 consecutive words (mostly common words: the hard case for
ranking), and the 3 rarest words of an abstract (a member remembering rare words). Each is
timed, one at a time in this process, as:

- raw: the index lookup search is built on, the GIN match of all the query's words
  (`websearch_to_tsquery`, the first 10 ids; no ranking);
- lexical: papers.search.lexical.search, the BM25 ranking alone (500 candidates);
- paper_search: the selector every surface uses (all lists fused), its first page of 20;
- api: a whole GET /api/v1/papers/?q=... request through Django (no HTTP server).

With `--text-index with` or `both` (SEARCH_INDEX_PATH must hold an index built by
`manage.py build_search_index`) each kind is timed again with lexical search going through the
tantivy index (papers.search.text_index); on those rows raw is the index's own top-10 lookup of
the query. `both` alternates the two per kind, so both rows see the same load. `--read-only`
runs everything in one transaction that is rolled back: the bench member's API token and
session are not left in a database that is not yours.

    DATABASE_URL=postgres://.../rgbench_search_1000000 python -m bench.search_latency

The database must hold bench.data's papers (`python -m bench.data --papers N`, or
`make bench`, which names it BENCH_DATABASE_URL plus _<size>). Run
`manage.py refresh_search_terms` after loading (the workers' hourly task does it on a site).
"""

import argparse
import os
import random
import re
import sys
import time
from collections.abc import Callable
from urllib.parse import quote

WORD = re.compile(r"[a-z]+")
SEED = 11


def _percentiles(values: list[float]) -> tuple[float, float]:
    values = sorted(values)
    return values[len(values) // 2], values[min(len(values) - 1, int(len(values) * 0.95))]


def build_queries(count: int) -> dict[str, list[str]]:
    from django.db import connection

    rng = random.Random(SEED)
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM papers_paper")
        top = cursor.fetchone()[0]
        ids = [rng.randint(1, top) for _ in range(count)]
        cursor.execute("SELECT abstract FROM papers_paper WHERE id = ANY(%s)", [ids])
        abstracts = [row[0] for row in cursor.fetchall()]
        documents = _document_frequencies(cursor, abstracts)
    queries: dict[str, list[str]] = {"20 words": [], "3 words": [], "3 rare words": []}
    for abstract in abstracts:
        words = WORD.findall(abstract.lower())
        start = rng.randint(0, max(0, len(words) - 20))
        queries["20 words"].append(" ".join(words[start : start + 20]))
        start = rng.randint(0, max(0, len(words) - 3))
        queries["3 words"].append(" ".join(words[start : start + 3]))
        rare = sorted(sorted(set(words)), key=lambda w: documents.get(w, 0))[:3]  # ties: alphabetical
        queries["3 rare words"].append(" ".join(rare))
    return queries


def _document_frequencies(cursor, abstracts: list[str]) -> dict[str, int]:
    """Papers per word, from the word statistics (bench words are not stemmed by 'english');
    from the text index when the statistics were never refreshed (a database that is not
    yours) and there is one."""
    from papers.search import text_index

    words = sorted({w for a in abstracts for w in WORD.findall(a.lower())})
    cursor.execute(
        "SELECT w, coalesce(s.documents, 0) FROM unnest(%s::text[]) AS w "
        "LEFT JOIN papers_searchterm s ON s.lexeme = (tsvector_to_array(to_tsvector('english', w)))[1]",
        [words],
    )
    counts = dict(cursor.fetchall())
    if not any(counts.values()) and text_index.exists():
        print("no word statistics: rare words chosen by the text index's counts", file=sys.stderr)
        counts = {w: text_index.document_frequency(w) or 0 for w in words}
    return counts


def _raw(text: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM papers_paper WHERE search_vector @@ websearch_to_tsquery('english', %s) LIMIT 10",
            [text],
        )
        cursor.fetchall()


def _index_raw(text: str) -> None:
    from papers.search import text_index
    from papers.search.query import parse

    if text_index.search(parse(text), 10) is None:
        raise RuntimeError(f"no text index at {text_index.root()}")


def _lexical(text: str) -> None:
    from papers.search import lexical
    from papers.search.query import parse

    lexical.search(parse(text), using="default", limit=500)


def _paper_search(text: str) -> None:
    from papers.models import Paper
    from papers.selectors import paper_search

    list(paper_search(Paper.objects.listed(), text)[:20])


def _api(client) -> Callable[[str], None]:
    def get(text: str) -> None:
        response = client.get(f"/api/v1/papers/?q={quote(text)}")
        if response.status_code != 200:
            raise RuntimeError(f"search for {text!r} answered {response.status_code}")

    return get


def measure(queries: list[str], run: Callable[[str], None]) -> tuple[float, float]:
    run(queries[0])  # warm: the model and the embeddings load on the first search
    timings = []
    for text in queries:
        started = time.perf_counter()
        run(text)
        timings.append(1000 * (time.perf_counter() - started))
    return _percentiles(timings)


def _modes(text_index: str) -> list[tuple[str, dict]]:
    """(row suffix, settings) of each way lexical search is timed."""
    from django.conf import settings

    modes = []
    if text_index in ("without", "both"):
        modes.append(("", {"SEARCH_INDEX_PATH": settings.SEARCH_INDEX_PATH / "absent-for-the-bench"}))
    if text_index in ("with", "both"):
        modes.append((", text index", {"SEARCH_INDEX_PATH": settings.SEARCH_INDEX_PATH}))
    return modes


def _time_all(args, steps: dict[str, Callable[[str], None]]) -> None:
    from django.test import override_settings

    from papers.models import Paper
    from papers.search import text_index

    skipped = set(args.skip.split(","))
    print(f"{Paper.objects.count():,} papers, {args.queries} queries of each kind; p50 / p95 ms\n")
    print("| query | " + " | ".join(name for name in steps if name not in skipped) + " |")
    print("|---|" + "---|" * len([n for n in steps if n not in skipped]))
    for kind, texts in build_queries(args.queries).items():
        for suffix, mode in _modes(args.text_index):
            with override_settings(**mode):
                text_index.forget()
                cells = []
                for name, run in steps.items():
                    if name in skipped:
                        continue
                    if suffix and name == "raw":
                        run = _index_raw
                    p50, p95 = measure(texts, run)
                    cells.append(f"{p50:.1f} / {p95:.1f}")
                    print(f"  {kind}{suffix} {name}: {p50:.1f} / {p95:.1f}", file=sys.stderr, flush=True)
                print(f"| {kind}{suffix} | " + " | ".join(cells) + " |", flush=True)
            text_index.forget()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=100, help="queries of each kind (default 100)")
    parser.add_argument("--skip", default="", help="steps to leave out: raw,lexical,paper_search,api")
    parser.add_argument(
        "--text-index",
        choices=("without", "with", "both"),
        default="without",
        help="time lexical search in the database, through SEARCH_INDEX_PATH's index, or both",
    )
    parser.add_argument("--read-only", action="store_true", help="roll back everything the bench writes")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "readinggroup.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import transaction
    from django.test import Client

    from bench.api import lift_api_throttles
    from bench.fixtures import members
    from bench.server import PROXY_HEADERS

    if not settings.IS_POSTGRES:
        print("bench.search_latency needs PostgreSQL: set DATABASE_URL=postgres://...", file=sys.stderr)
        return 2
    lift_api_throttles()  # a second run within the minute would meet the member's rate
    with transaction.atomic():
        client = Client(headers={**PROXY_HEADERS, **members(1)[0].api, "Host": "127.0.0.1"})
        steps = {"raw": _raw, "lexical": _lexical, "paper_search": _paper_search, "api": _api(client)}
        _time_all(args, steps)
        transaction.set_rollback(args.read_only)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
