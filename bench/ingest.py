"""Ingest benchmark: parse and upsert N synthetic arXiv entries, next to a raw INSERT ... ON CONFLICT.

    python -m bench.ingest --n 10000            # the database DATABASE_URL points at
    DATABASE_URL=postgres://... python -m bench.ingest --n 10000

Runs in a scratch database (bench_<name>, created and dropped here; SQLite in
memory), never in the site's own. Prints papers per second for:

- parse: arXiv API Atom pages (100 entries each) to records;
- upsert (new): paper_upsert into empty tables - papers, authors with
  affiliations, category tags, summaries queued (to an in-memory broker);
- upsert (again): the same records a second time (all unchanged);
- raw: a hand-written INSERT ... ON CONFLICT (arxiv_id) DO UPDATE of the same
  paper rows into the same table, per batch, in its fastest form (unnest()
  arrays on PostgreSQL, VALUES lists on SQLite), with no authors or tags: the
  floor any upsert of these rows pays.

Rounds alternate the contenders on emptied tables; the best round of each is
reported (--repeat, default 3).

The entries are generated here from word lists (seeded), never copied text.
"""

import argparse
import json
import os
import random
import time
from xml.sax.saxutils import escape

import django

WORDS = [
    "sparse",
    "dense",
    "router",
    "expert",
    "token",
    "layer",
    "model",
    "graph",
    "kernel",
    "transport",
    "map",
    "prior",
    "posterior",
    "gradient",
    "descent",
    "adaptive",
    "robust",
    "causal",
    "contrastive",
    "diffusion",
    "latent",
    "variational",
    "policy",
    "reward",
    "agent",
    "memory",
    "attention",
    "retrieval",
    "compression",
    "quantised",
    "federated",
    "private",
    "fair",
    "calibrated",
    "uncertainty",
    "ensemble",
    "curriculum",
    "pretraining",
    "finetuning",
    "distillation",
    "pruning",
    "scaling",
    "benchmark",
]
NAMES = [
    "Ada",
    "Ben",
    "Chen",
    "Dalia",
    "Emil",
    "Farah",
    "Gustavo",
    "Hana",
    "Ines",
    "Jonas",
    "Kemi",
    "Lucia",
    "Mateo",
    "Nadia",
    "Omar",
    "Priya",
]
SURNAMES = [
    "Okafor",
    "Lindqvist",
    "Wei",
    "Haddad",
    "Novak",
    "Siddiqui",
    "Reyes",
    "Kobayashi",
    "Carvalho",
    "Berg",
    "Adeyemi",
    "Ångström",
]
CATEGORIES = ["cs.LG", "cs.CL", "cs.CV", "stat.ML", "cs.AI", "math.OC", "eess.SY", "q-bio.NC"]
PAGE = 100


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def _entry(rng: random.Random, index: int) -> str:
    arxiv_id = f"{24 + index // 1_000_000:02d}{1 + (index // 90_000) % 12:02d}.{index % 90_000 + 10_000:05d}"
    authors = "".join(
        f"<author><name>{rng.choice(NAMES)} {rng.choice(SURNAMES)}{k}</name>"
        + (f"<arxiv:affiliation>University of {rng.choice(SURNAMES)}</arxiv:affiliation>" if k % 2 else "")
        + "</author>"
        for k in range(rng.randint(1, 6))
    )
    categories = rng.sample(CATEGORIES, rng.randint(1, 3))
    abstract = " ".join(_sentence(rng, rng.randint(12, 25)) for _ in range(rng.randint(5, 9)))
    return (
        f"<entry><id>http://arxiv.org/abs/{arxiv_id}v{rng.randint(1, 3)}</id>"
        f"<updated>2024-03-04T17:30:00Z</updated><published>2024-03-01T09:15:00Z</published>"
        f"<title>{escape(_sentence(rng, rng.randint(5, 12)))}</title>"
        f"<summary>{escape(abstract)}</summary>{authors}"
        f'<arxiv:primary_category term="{categories[0]}"/>'
        + "".join(f'<category term="{c}"/>' for c in categories)
        + f'<link href="http://arxiv.org/abs/{arxiv_id}" rel="alternate" type="text/html"/></entry>'
    )


def synthetic_pages(n: int, seed: int = 2026) -> list[bytes]:
    rng = random.Random(seed)
    head = (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom">'
        f"<opensearch:totalResults>{n}</opensearch:totalResults>"
    )
    pages = []
    for start in range(0, n, PAGE):
        entries = "".join(_entry(rng, i) for i in range(start, min(n, start + PAGE)))
        pages.append((head + entries + "</feed>").encode())
    return pages


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def _clear_tables() -> None:
    from django.db import connection

    from papers.models import Author, Paper, PaperAuthor, Tag

    models = (Paper.tags.through, PaperAuthor, Paper, Author, Tag)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE " + ", ".join(m._meta.db_table for m in models) + " CASCADE")
    else:
        for model in models:
            model.objects.all().delete()


def raw_insert(records, *, batch_size: int) -> float:
    """Seconds for a hand-written INSERT ... ON CONFLICT (arxiv_id) DO UPDATE of the same paper rows.

    The fastest raw form on each database: on PostgreSQL one array per column
    through unnest(), on SQLite a multi-row VALUES list. Building the
    parameters from the records is timed too, as any real insert must.
    """
    from django.db import connection, transaction
    from django.utils import timezone

    from papers import normalise
    from papers.bulk import SQLITE_MAX_VARIABLES, _array_type
    from papers.ingest import _INSERT_FIELDS
    from papers.trending import trending_score

    names = [f.name for f in _INSERT_FIELDS]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in _INSERT_FIELDS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in ("title", "abstract", "arxiv_version", "modified_at"))
    conflict = f"ON CONFLICT (arxiv_id) WHERE NOT (arxiv_id = '') DO UPDATE SET {updates}"
    postgres = connection.vendor == "postgresql"
    json_fields = {"keywords", "categories"}
    if not postgres:
        batch_size = min(batch_size, SQLITE_MAX_VARIABLES // len(names))
    started = time.perf_counter()
    now = timezone.now()
    score = trending_score(vote_count=0, created_at=now)
    for start in range(0, len(records), batch_size):
        rows = []
        for r in records[start : start + batch_size]:
            values = {
                "arxiv_id": r.arxiv_id, "arxiv_version": r.arxiv_version, "doi": r.doi, "title": r.title,
                "title_key": normalise.title_key(r.title), "abstract": r.abstract, "summary": "",
                "summary_backend": "", "keywords": [], "categories": r.categories,
                "published_at": r.published_at or now, "updated_at": r.updated_at, "url": r.url,
                "pdf_url": r.pdf_url, "code_url": "", "status": "listed", "vote_count": 0,
                "comment_count": 0, "trending_score": score, "external_votes": 0, "discussed_at": None,
                "metadata_pending": False, "metadata_error": "", "metadata_failed_at": None,
                "submitted_by": None, "source": None, "embedding": None, "created_at": now,
                "modified_at": now,
            }  # fmt: skip
            rows.append([json.dumps(values[n]) if n in json_fields else values[n] for n in names])
        with transaction.atomic(), connection.cursor() as cursor:
            if postgres:
                arrays = ", ".join(
                    "%s::text[]::jsonb[]" if f.name in json_fields else f"%s::{_array_type(f)}"
                    for f in _INSERT_FIELDS
                )
                cursor.execute(
                    f"INSERT INTO papers_paper ({columns}) SELECT * FROM unnest({arrays}) {conflict}",
                    [list(column) for column in zip(*rows, strict=True)],
                )
            else:
                placeholders = ", ".join(["(" + ", ".join(["%s"] * len(names)) + ")"] * len(rows))
                cursor.execute(
                    f"INSERT INTO papers_paper ({columns}) VALUES {placeholders} {conflict}",
                    [v for row in rows for v in row],
                )
    return time.perf_counter() - started


def _timed(function) -> tuple[float, object]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def run(n: int, repeat: int) -> None:
    from celery import current_app
    from django.db import connection

    from papers.ingest import BATCH_SIZE, paper_upsert
    from papers.sources import arxiv
    from papers.tests.factories import SourceFactory

    # Summaries are queued as in production, to an in-memory broker nobody consumes.
    current_app.conf.task_always_eager = False
    current_app.conf.broker_url = "memory://"

    pages = synthetic_pages(n)
    source = SourceFactory(name="bench", kind="arxiv", url="https://export.arxiv.org/api/query")
    times: dict[str, list[float]] = {"parse": [], "new": [], "again": [], "raw": []}
    # Rounds alternate the contenders on freshly emptied tables; the best round of
    # each counts, so a busy machine hurts neither side more than the other.
    for _ in range(repeat):
        seconds, records = _timed(lambda: [r for page in pages for r in arxiv.parse(page).records])
        times["parse"].append(seconds)
        _clear_tables()
        seconds, first = _timed(lambda rs=records: paper_upsert(records=rs, source=source))
        times["new"].append(seconds)
        seconds, again = _timed(lambda rs=records: paper_upsert(records=rs, source=source))
        times["again"].append(seconds)
        _clear_tables()
        times["raw"].append(raw_insert(records, batch_size=BATCH_SIZE))
    best = {name: min(values) for name, values in times.items()}
    count = len(records)
    print(f"database: {connection.vendor}; batches of {BATCH_SIZE}; best of {repeat} round(s)")
    print(f"entries: {n} ({count} parsed; first upsert {first}; second {again})")
    print(f"parse                        {_rate(count, best['parse']):>9,.0f} papers/s")
    print(f"upsert, new papers           {_rate(count, best['new']):>9,.0f} papers/s")
    print(f"upsert, same papers again    {_rate(count, best['again']):>9,.0f} papers/s")
    print(f"raw INSERT ... ON CONFLICT   {_rate(count, best['raw']):>9,.0f} papers/s")
    print(f"upsert (new) / raw: {best['raw'] / best['new']:.0%}")
    print(f"upsert (again) / raw: {best['raw'] / best['again']:.0%}")


def _delete_papers(arxiv_ids: list[str], authors_before: int) -> None:
    """Remove what one round added to a loaded database: its papers (links cascade) and new authors."""
    from django.db import connection

    papers = "SELECT id FROM papers_paper WHERE arxiv_id = ANY(%s)"
    with connection.cursor() as cursor:
        # Django emulates ON DELETE CASCADE in Python: delete the links first.
        for table in ("papers_paperauthor", "papers_paper_tags"):
            cursor.execute(f"DELETE FROM {table} WHERE paper_id IN ({papers})", [arxiv_ids])
        cursor.execute("DELETE FROM papers_paper WHERE arxiv_id = ANY(%s)", [arxiv_ids])
        cursor.execute("DELETE FROM papers_author WHERE id > %s", [authors_before])


def measure_in_place(n: int, repeat: int, log=print) -> dict:
    """The same comparison inside an already loaded database (bench.run): new papers go into
    tables holding the benchmark's papers, so index and trigger costs are those of that size.

    Each round's rows are deleted again afterwards, and the tables vacuumed at the end.
    """
    from django.db import connection

    from papers.ingest import BATCH_SIZE, paper_upsert
    from papers.models import Author, Source
    from papers.sources import arxiv

    pages = synthetic_pages(n)
    source, _ = Source.objects.get_or_create(
        name="bench ingest", defaults={"kind": "arxiv", "url": "https://export.arxiv.org/api/query"}
    )
    times: dict[str, list[float]] = {"parse": [], "new": [], "again": [], "raw": []}
    authors_before = Author.objects.order_by("-id").values_list("id", flat=True).first() or 0
    records = []
    for round_ in range(repeat):
        log(f"  ingest: round {round_ + 1}/{repeat} ({n} papers)")
        seconds, records = _timed(lambda: [r for page in pages for r in arxiv.parse(page).records])
        times["parse"].append(seconds)
        ids = [r.arxiv_id for r in records]
        _delete_papers(ids, authors_before)
        times["new"].append(_timed(lambda rs=records: paper_upsert(records=rs, source=source))[0])
        times["again"].append(_timed(lambda rs=records: paper_upsert(records=rs, source=source))[0])
        _delete_papers(ids, authors_before)
        times["raw"].append(raw_insert(records, batch_size=BATCH_SIZE))
        _delete_papers(ids, authors_before)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE papers_paper, papers_paperauthor, papers_paper_tags, papers_author")
    best = {name: min(values) for name, values in times.items()}
    count = len(records)
    rates = {name: round(_rate(count, seconds), 1) for name, seconds in best.items()}
    return {
        "papers": count,
        "batch_size": BATCH_SIZE,
        "rounds": repeat,
        "papers_per_second": {
            "parse": rates["parse"],
            "upsert_new": rates["new"],
            "upsert_again": rates["again"],
            "raw_insert_on_conflict": rates["raw"],
        },
        "ratio_upsert_new_to_raw": round(rates["new"] / rates["raw"], 3),
        "ratio_upsert_again_to_raw": round(rates["again"] / rates["raw"], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=5000, help="How many synthetic entries (default 5000).")
    parser.add_argument("--repeat", type=int, default=3, help="Rounds; the best of each counts (default 3).")
    args = parser.parse_args()
    if args.n < 1 or args.repeat < 1:
        parser.error("--n and --repeat must be at least 1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "readinggroup.settings")
    django.setup()
    from django.conf import settings
    from django.db import connection

    settings.DATABASES["default"].setdefault("TEST", {})
    if connection.vendor == "postgresql":
        settings.DATABASES["default"]["TEST"]["NAME"] = f"bench_{settings.DATABASES['default']['NAME']}"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        run(args.n, args.repeat)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
