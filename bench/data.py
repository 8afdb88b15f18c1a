"""Synthetic benchmark data: N papers with authors, tags, Zipf-distributed votes.

Loaded with PostgreSQL COPY (hundreds of thousands of rows a second), then
VACUUM ANALYZE so the planner sees the real distribution. Texts are drawn
from a generated vocabulary with a Zipf distribution, so searches meet both
very common and rare terms, as in real abstracts.

    python -m bench.data --papers 100000      # needs DATABASE_URL=postgres://...
"""

import argparse
import itertools
import json
import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import django

SEED = 7
MEMBERS = 5000
TAGS = 300
DISCUSSED_SHARE = 0.02  # a group discusses a few papers a week out of thousands
VOCABULARY = 20000
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "qua", "bri", "dex", "fon", "gal", "hyp"]


def _words(rng: random.Random) -> list[str]:
    words = set()
    while len(words) < VOCABULARY:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


class TextMaker:
    """Sentences whose words follow a Zipf law (word k has weight 1/k)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.words = _words(rng)
        self.cumulative = list(itertools.accumulate(1 / (k + 1) for k in range(VOCABULARY)))

    def sentence(self, length: int) -> str:
        picks = self.rng.choices(self.words, cum_weights=self.cumulative, k=length)
        return " ".join(picks).capitalize() + "."

    def common_and_rare_terms(self) -> tuple[list[str], list[str]]:
        return self.words[:20], self.words[5000:5020]


def _zipf_votes(rng: random.Random) -> int:
    # Most papers get no vote; a few get many (P(v) ~ v^-2).
    u = rng.random()
    return 0 if u < 0.6 else min(MEMBERS, int(1 / (1 - u) ** 0.9) - 1)


def _copy(cursor, table: str, columns: list[str], rows: Iterator[tuple]) -> int:
    count = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _progress(label: str, started: float, count: int) -> None:
    print(f"  {label}: {count:,} rows in {time.perf_counter() - started:.1f}s", file=sys.stderr, flush=True)


def _reset(cursor) -> None:
    cursor.execute(
        "TRUNCATE papers_vote, papers_paper_tags, papers_paperauthor, papers_paper, papers_author,"
        " papers_tag, meetings_agendaitem, meetings_rsvp, meetings_meeting, members_user"
        " RESTART IDENTITY CASCADE"
    )


def _load_members(cursor, password_hash: str) -> None:
    now = datetime.now(UTC)
    rows = (
        (
            i + 1,
            f"member{i}",
            password_hash,
            False,
            False,
            True,
            "",
            "",
            "",
            now,
            "member",
            "",
            False,
            f"cal-{i}-{random.Random(i).getrandbits(64):x}",
        )
        for i in range(MEMBERS)
    )
    cols = [
        "id",
        "username",
        "password",
        "is_superuser",
        "is_staff",
        "is_active",
        "first_name",
        "last_name",
        "email",
        "date_joined",
        "role",
        "display_name",
        "digest_enabled",
        "calendar_token",
    ]
    _copy(cursor, "members_user", cols, rows)


def _paper_rows(n: int, rng: random.Random, text: TextMaker, votes: list[int]) -> Iterator[tuple]:
    from papers.normalise import title_key
    from papers.trending import trending_score

    start = datetime(2023, 1, 1, tzinfo=UTC)
    span = (datetime(2026, 11, 1, tzinfo=UTC) - start).total_seconds()
    for i in range(n):
        created = start + timedelta(seconds=span * i / n)
        title = text.sentence(rng.randint(6, 12)).rstrip(".")
        abstract = " ".join(text.sentence(rng.randint(15, 30)) for _ in range(rng.randint(4, 7)))
        discussed = created + timedelta(days=14) if rng.random() < DISCUSSED_SHARE else None
        yield (
            i + 1,
            f"{23 + i // 10_000_000:02d}{i % 12 + 1:02d}.{i:07d}"[:16],
            1,
            "",
            title,
            title_key(title),
            abstract,
            abstract.split(".")[0][:300],
            "extractive",
            json.dumps(text.sentence(3).rstrip(".").lower().split()),
            json.dumps(["cs.LG"]),
            created,
            None,
            f"https://arxiv.org/abs/{i}",
            "",
            "",
            "listed",
            votes[i],
            trending_score(vote_count=votes[i], created_at=created),
            0,
            discussed,
            None,
            None,
            created,
            created,
        )


PAPER_COLUMNS = [
    "id",
    "arxiv_id",
    "arxiv_version",
    "doi",
    "title",
    "title_key",
    "abstract",
    "summary",
    "summary_backend",
    "keywords",
    "categories",
    "published_at",
    "updated_at",
    "url",
    "pdf_url",
    "code_url",
    "status",
    "vote_count",
    "trending_score",
    "external_votes",
    "discussed_at",
    "submitted_by_id",
    "source_id",
    "created_at",
    "modified_at",
]


def _vote_rows(votes: list[int], rng: random.Random) -> Iterator[tuple]:
    now = datetime.now(UTC)
    for paper_index, count in enumerate(votes):
        for user_id in rng.sample(range(1, MEMBERS + 1), count):
            yield (user_id, paper_index + 1, now)


def _authorship_rows(n: int, rng: random.Random) -> Iterator[tuple]:
    authors = max(10, n // 2)
    for paper_id in range(1, n + 1):
        for position, author_id in enumerate(rng.sample(range(1, authors + 1), rng.randint(3, 5))):
            yield (paper_id, author_id, position, "")


def _tag_rows(n: int, rng: random.Random) -> Iterator[tuple]:
    for paper_id in range(1, n + 1):
        for tag_id in rng.sample(range(1, TAGS + 1), rng.randint(2, 4)):
            yield (paper_id, tag_id)


def load(n: int) -> dict:
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    rng = random.Random(SEED)
    text = TextMaker(rng)
    votes = [_zipf_votes(rng) for _ in range(n)]
    timings = {}
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # the psycopg cursor, for COPY
        _reset(cursor)
        steps = [
            ("members", lambda: _load_members(cursor, make_password("bench-password"))),
            (
                "authors",
                lambda: _copy(
                    cursor,
                    "papers_author",
                    ["id", "name"],
                    ((i, f"Author {i}") for i in range(1, max(10, n // 2) + 1)),
                ),
            ),
            (
                "tags",
                lambda: _copy(
                    cursor,
                    "papers_tag",
                    ["id", "name", "slug", "kind"],
                    ((i, f"topic {i}", f"topic-{i}", "topic") for i in range(1, TAGS + 1)),
                ),
            ),
            (
                "papers",
                lambda: _copy(cursor, "papers_paper", PAPER_COLUMNS, _paper_rows(n, rng, text, votes)),
            ),
            (
                "authorships",
                lambda: _copy(
                    cursor,
                    "papers_paperauthor",
                    ["paper_id", "author_id", "position", "affiliation"],
                    _authorship_rows(n, rng),
                ),
            ),
            (
                "paper tags",
                lambda: _copy(cursor, "papers_paper_tags", ["paper_id", "tag_id"], _tag_rows(n, rng)),
            ),
            (
                "votes",
                lambda: _copy(
                    cursor, "papers_vote", ["user_id", "paper_id", "created_at"], _vote_rows(votes, rng)
                ),
            ),
        ]
        for label, step in steps:
            started = time.perf_counter()
            count = step()
            timings[label] = round(time.perf_counter() - started, 1)
            _progress(label, started, count or 0)
        _fix_sequences(cursor)
    _vacuum_analyze()
    common, rare = text.common_and_rare_terms()
    return {
        "papers": n,
        "votes": sum(votes),
        "load_seconds": timings,
        "common_terms": common,
        "rare_terms": rare,
    }


def _fix_sequences(cursor) -> None:
    for table in ["members_user", "papers_author", "papers_tag", "papers_paper"]:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        )


def _vacuum_analyze() -> None:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    _progress("vacuum analyze", started, 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load synthetic benchmark data into PostgreSQL.")
    parser.add_argument("--papers", type=int, required=True)
    args = parser.parse_args(argv)
    if args.papers < 10:
        parser.error("--papers must be at least 10")
    django.setup()
    from django.conf import settings

    if not settings.IS_POSTGRES:
        print("bench.data needs PostgreSQL: set DATABASE_URL=postgres://...", file=sys.stderr)
        return 2
    print(f"Loading {args.papers:,} papers (this replaces all papers, votes and members)…", file=sys.stderr)
    json.dump(load(args.papers), sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "readinggroup.settings")
    raise SystemExit(main())
