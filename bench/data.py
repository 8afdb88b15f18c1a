"""Synthetic benchmark data: N papers with authors, tags, Zipf-distributed votes and sessions.

Loaded with PostgreSQL COPY (papers in two parallel streams: the search-vector trigger
runs per row and dominates), then VACUUM ANALYZE so the planner sees the real
distribution. Texts are drawn from a generated vocabulary with a Zipf distribution,
so searches meet both very common and rare terms, as in real abstracts.

- papers: 98.5% listed, 1% pending (no votes), 0.5% hidden; 3-5 authors (from a pool
  of N/2), 2-4 topic tags (of 300); ~2% discussed, three per past session;
- votes: 5,000 members; 60% of papers have none, the rest P(v) ~ v^-2;
- four planned sessions with the top of the vote queue on their agenda;
- THREADS listed papers with a discussion of THREAD_COMMENTS comments each (a third of them
  thread roots, the rest replies; some with math, some mentioning a member).

    python -m bench.data --papers 100000      # needs DATABASE_URL=postgres://...

Everything in the tables it fills is replaced (members, papers, votes, sessions).
"""

import argparse
import itertools
import json
import random
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import django

SEED = 7
GENERATOR = 4  # bump when the data changes: a loaded database of another version is reloaded
MEMBERS = 5000
TAGS = 300
DISCUSSED_SHARE = 0.02  # a group discusses a few papers a week out of thousands
PENDING_SHARE, HIDDEN_SHARE = 0.01, 0.005
PAPERS_PER_SESSION = 3
THREADS, THREAD_COMMENTS = 10, 200
THREAD_AUTHORS = 50  # members 1-50 write them
VOCABULARY = 20000
CHUNK = 20_000  # papers per COPY stream chunk
STREAMS = 2
# Words are random letters at English frequencies, so two words share few trigrams, as real
# words do (words built from a handful of syllables made every title a trigram near-miss).
LETTERS = "etaoinshrdlcumwfgypbvkjxqz"
LETTER_WEIGHTS = [12.7, 9.1, 8.2, 7.5, 7.0, 6.7, 6.3, 6.1, 6.0, 4.3, 4.0, 2.8, 2.8, 2.4, 2.4, 2.2]
LETTER_WEIGHTS += [2.0, 2.0, 1.9, 1.5, 1.0, 0.8, 0.2, 0.2, 0.1, 0.1]
START = datetime(2023, 1, 1, tzinfo=UTC)
END = datetime(2026, 11, 1, tzinfo=UTC)


def _words(rng: random.Random) -> list[str]:
    """VOCABULARY distinct words in a seeded random order: the Zipf rank is the position."""
    words: dict[str, None] = {}
    while len(words) < VOCABULARY:
        words["".join(rng.choices(LETTERS, weights=LETTER_WEIGHTS, k=rng.randint(4, 10)))] = None
    return list(words)


class TextMaker:
    """Sentences whose words follow a Zipf law (word k has weight 1/k)."""

    def __init__(self) -> None:
        self.words = _words(random.Random(SEED))
        self.cumulative = list(itertools.accumulate(1 / (k + 1) for k in range(VOCABULARY)))

    def sentence(self, rng: random.Random, length: int) -> str:
        picks = rng.choices(self.words, cum_weights=self.cumulative, k=length)
        return " ".join(picks).capitalize() + "."

    def common_and_rare_terms(self) -> tuple[list[str], list[str]]:
        """The 20 most frequent words (in 40-100% of papers) and 20 of rank 10,000 (about one
        paper in 1,300)."""
        return self.words[:20], self.words[10000:10020]


def search_terms() -> dict:
    """Common terms (in a large share of papers) and rare ones (a handful each), as loaded."""
    common, rare = TextMaker().common_and_rare_terms()
    return {"common_terms": common, "rare_terms": rare}


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


TRUNCATED = [
    "discussions_mention",
    "discussions_comment",
    "papers_vote",
    "papers_paper_tags",
    "papers_paperauthor",
    "meetings_agendaitem",
    "meetings_rsvp",
    "meetings_meeting",
    "papers_paper",
    "papers_author",
    "papers_tag",
    "django_session",
    "members_user",
]


def _reset(cursor) -> None:
    cursor.execute(f"TRUNCATE {', '.join(TRUNCATED)} RESTART IDENTITY CASCADE")


MEMBER_COLUMNS = [
    *("id", "username", "password", "is_superuser", "is_staff", "is_active", "first_name"),
    *("last_name", "email", "date_joined", "role", "display_name", "digest_enabled", "calendar_token"),
]


def _member_rows(password_hash: str) -> Iterator[tuple]:
    now = datetime.now(UTC)
    for i in range(MEMBERS):
        token = f"cal-{i}-{random.Random(i).getrandbits(64):x}"
        yield (
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
            token,
        )


PAPER_COLUMNS = [
    *("id", "arxiv_id", "arxiv_version", "doi", "title", "title_key", "abstract", "summary"),
    *("summary_backend", "keywords", "categories", "published_at", "updated_at", "url", "pdf_url"),
    *("code_url", "status", "vote_count", "trending_score", "external_votes", "discussed_at"),
    *("submitted_by_id", "source_id", "created_at", "modified_at"),
    *("comment_count", "metadata_pending", "metadata_error"),
]


class Plan:
    """Per-paper facts decided up front (one seeded generator), so parallel streams agree."""

    def __init__(self, n: int) -> None:
        rng = random.Random(SEED)
        self.n = n
        self.status = []
        self.votes = []
        for _ in range(n):
            u = rng.random()
            status = (
                "pending" if u < PENDING_SHARE else "hidden" if u < PENDING_SHARE + HIDDEN_SHARE else "listed"
            )
            self.status.append(status)
            self.votes.append(0 if status == "pending" else _zipf_votes(rng))
        listed = [i for i in range(n) if self.status[i] == "listed"]
        discussed = sorted(i for i in listed if rng.random() < DISCUSSED_SHARE)
        # Past sessions: three consecutive discussed papers each, two weeks after the last was added.
        self.sessions = [
            discussed[i : i + PAPERS_PER_SESSION] for i in range(0, len(discussed), PAPERS_PER_SESSION)
        ]
        self.discussed_at = {}
        for papers in self.sessions:
            ends = self.created(papers[-1]) + timedelta(days=14, hours=2)
            for i in papers:
                self.discussed_at[i] = ends
        self.rng = rng

    def created(self, index: int) -> datetime:
        return START + timedelta(seconds=(END - START).total_seconds() * index / self.n)


def _paper_rows(plan: Plan, text: TextMaker, start: int, stop: int) -> Iterator[tuple]:
    from papers.normalise import title_key
    from papers.trending import trending_score

    rng = random.Random(SEED * 1_000_003 + start)
    for i in range(start, stop):
        created = plan.created(i)
        title = text.sentence(rng, rng.randint(6, 12)).rstrip(".")
        abstract = " ".join(text.sentence(rng, rng.randint(15, 30)) for _ in range(rng.randint(4, 7)))
        votes = plan.votes[i]
        yield (
            *(
                i + 1,
                f"{23 + i // 10_000_000:02d}{i % 12 + 1:02d}.{i:07d}"[:16],
                1,
                "",
                title,
                title_key(title),
            ),
            *(abstract, abstract.split(".")[0][:300], "extractive"),
            json.dumps(text.sentence(rng, 3).rstrip(".").lower().split()),
            *(json.dumps(["cs.LG"]), created, None, f"https://arxiv.org/abs/{i}", "", ""),
            *(plan.status[i], votes, trending_score(vote_count=votes, created_at=created), 0),
            *(plan.discussed_at.get(i), None, None, created, created),
            *(0, False, ""),
        )


def _copy_papers(dsn: str, plan: Plan, text: TextMaker, started: float) -> int:
    """COPY the papers in chunks over STREAMS connections at once (the trigger is per row)."""
    import psycopg

    done = [0]
    lock = threading.Lock()

    chunk = max(1000, min(CHUNK, -(-plan.n // (STREAMS * 4))))  # both streams busy even for small n

    def load_chunk(start: int) -> int:
        stop = min(plan.n, start + chunk)
        with psycopg.connect(dsn) as conn, conn.cursor() as cursor:
            count = _copy(cursor, "papers_paper", PAPER_COLUMNS, _paper_rows(plan, text, start, stop))
        with lock:
            done[0] += count
            _progress(f"papers {done[0] * 100 // plan.n}%", started, done[0])
        return count

    with ThreadPoolExecutor(max_workers=STREAMS) as pool:
        return sum(pool.map(load_chunk, range(0, plan.n, chunk)))


def _vote_rows(plan: Plan) -> Iterator[tuple]:
    now = datetime.now(UTC)
    for paper_index, count in enumerate(plan.votes):
        for user_id in plan.rng.sample(range(1, MEMBERS + 1), count):
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


MEETING_COLUMNS = [
    *("id", "title", "starts_at", "ends_at", "location", "video_url", "status", "notes"),
    *("slides_url", "recording_url", "capacity", "created_at", "sequence", "updated_at"),
    "comment_count",
]


def _sessions(plan: Plan, cursor) -> tuple[list[tuple], list[tuple]]:
    """Past sessions (done) for the discussed papers; four planned ones with the top of the queue."""
    meetings, items = [], []
    for number, papers in enumerate(plan.sessions, start=1):
        ends = plan.discussed_at[papers[0]]
        starts = ends - timedelta(hours=2)
        meetings.append((number, f"Session {number}", starts, ends, "Room 1", "", "done", "", "", "", None))
        items += [(number, i + 1, order) for order, i in enumerate(papers)]
    cursor.execute(
        "SELECT id FROM papers_paper WHERE status = 'listed' AND discussed_at IS NULL "
        "ORDER BY vote_count DESC, trending_score DESC, id DESC LIMIT 12"
    )
    top = [row[0] for row in cursor.fetchall()]
    now = datetime.now(UTC).replace(microsecond=0)
    for week in range(4):
        number = len(meetings) + 1
        starts = now + timedelta(days=7 * (week + 1))
        meetings.append(
            (
                number,
                f"Session {number}",
                starts,
                starts + timedelta(hours=2),
                "Room 1",
                "",
                "planned",
                "",
                "",
                "",
                30,
            )
        )
        items += [(number, paper_id, order) for order, paper_id in enumerate(top[week * 3 : week * 3 + 3])]
    rows = [(*m, m[2], 0, m[2]) for m in meetings]
    return rows, items


def load(n: int) -> dict:
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    text = TextMaker()
    plan = Plan(n)
    timings = {}
    dsn = _dsn()
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # the psycopg cursor, for COPY
        _reset(cursor)
        rng = random.Random(SEED + 1)
        steps = [
            (
                "members",
                lambda: _copy(cursor, "members_user", MEMBER_COLUMNS, _member_rows(make_password("bench"))),
            ),
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
            ("papers", lambda: _copy_papers(dsn, plan, text, time.perf_counter())),
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
                lambda: _copy(cursor, "papers_vote", ["user_id", "paper_id", "created_at"], _vote_rows(plan)),
            ),
            ("sessions", lambda: _load_sessions(plan, cursor)),
            ("comments", lambda: _load_threads(plan, text, cursor)),
        ]
        for label, step in steps:
            started = time.perf_counter()
            count = step()
            timings[label] = round(time.perf_counter() - started, 1)
            _progress(label, started, count)
        _fix_sequences(cursor)
        _mark(cursor, n)
    _vacuum_analyze()
    ensure_search_statistics()
    return {"papers": n, "votes": sum(plan.votes), "load_seconds": timings, **search_terms()}


def _mark(cursor, n: int) -> None:
    cursor.execute(
        "CREATE TABLE IF NOT EXISTS bench_dataset (papers integer, generator integer, loaded_at timestamptz)"
    )
    cursor.execute("TRUNCATE bench_dataset")
    cursor.execute("INSERT INTO bench_dataset VALUES (%s, %s, now())", [n, GENERATOR])


def loaded() -> dict | None:
    """What bench.data loaded into this database ({papers, loaded_at}), if it is this generator's."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_dataset') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return None
        cursor.execute("SELECT papers, loaded_at FROM bench_dataset WHERE generator = %s", [GENERATOR])
        row = cursor.fetchone()
    return {"papers": row[0], "loaded_at": row[1].isoformat()} if row else None


def _load_sessions(plan: Plan, cursor) -> int:
    meetings, items = _sessions(plan, cursor)
    _copy(cursor, "meetings_meeting", MEETING_COLUMNS, ((*meeting, 0) for meeting in meetings))
    _copy(cursor, "meetings_agendaitem", ["meeting_id", "paper_id", '"order"'], iter(items))
    return len(meetings)


COMMENT_COLUMNS = ["id", "author_id", "paper_id", "parent_id", "body", "created_at", "modified_at"]


def thread_papers(plan: Plan) -> list[int]:
    """Ids of the papers with a long discussion: listed, spread over the collection."""
    listed = [i for i in range(plan.n) if plan.status[i] == "listed"]
    step = max(1, len(listed) // THREADS)
    return [index + 1 for index in listed[step // 2 :: step][:THREADS]]


def _thread_rows(plan: Plan, text: TextMaker) -> tuple[list[tuple], list[tuple]]:
    """Comments (COMMENT_COLUMNS) and mentions (comment_id, user_id) of every long thread."""
    rng = random.Random(SEED + 3)
    comments, mentions = [], []
    for paper_id in thread_papers(plan):
        start = plan.created(paper_id - 1) + timedelta(days=1)
        root = None
        for n in range(THREAD_COMMENTS):
            pk = len(comments) + 1
            body = text.sentence(rng, rng.randint(8, 40))
            if n % 7 == 0:
                body += " Is $\\sum_i x_i^2$ bounded?"
            if n % 10 == 5:
                mentioned = rng.randint(1, THREAD_AUTHORS)
                body = f"@member{mentioned - 1} {body}"
                mentions.append((pk, mentioned))
            is_root = n % 3 == 0
            created = start + timedelta(minutes=n)
            comments.append(
                (pk, n % THREAD_AUTHORS + 1, paper_id, None if is_root else root, body, created, created)
            )
            root = pk if is_root else root
    return comments, mentions


def _load_threads(plan: Plan, text: TextMaker, cursor) -> int:
    comments, mentions = _thread_rows(plan, text)
    _copy(cursor, "discussions_comment", COMMENT_COLUMNS, iter(comments))
    _copy(cursor, "discussions_mention", ["comment_id", "user_id"], iter(mentions))
    cursor.execute(
        "UPDATE papers_paper SET comment_count = c.n FROM "
        "(SELECT paper_id, count(*) AS n FROM discussions_comment GROUP BY paper_id) c "
        "WHERE papers_paper.id = c.paper_id"
    )
    return len(comments)


def _dsn() -> str:
    from django.db import connection

    params = connection.get_connection_params()
    keys = {"host", "port", "dbname", "user", "password"}
    return " ".join(f"{k}={v}" for k, v in params.items() if k in keys and v not in (None, ""))


def _fix_sequences(cursor) -> None:
    tables = ["members_user", "papers_author", "papers_tag", "papers_paper", "meetings_meeting"]
    for table in [*tables, "discussions_comment"]:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"coalesce((SELECT max(id) FROM {table}), 1))"
        )


def ensure_search_statistics() -> None:
    """Count every search word's papers (papers.search.term_stats) when nobody has: a site's
    workers do it every hour, and without the counts each search counts the collection live
    (a bench of a site that never refreshed them)."""
    from django.db import connection

    from papers.search import term_stats

    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM papers_searchcorpus)")
        if cursor.fetchone()[0]:
            return
    started = time.perf_counter()
    print("Counting the search words' papers (manage.py refresh_search_terms)…", file=sys.stderr, flush=True)
    term_stats.refresh()
    _progress("search word statistics", started, 0)


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
    if args.papers < 100:
        parser.error("--papers must be at least 100")
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
