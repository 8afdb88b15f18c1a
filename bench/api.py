"""REST API benchmark: time per request and queries per request for the main reads and a vote.

    python -m bench.api --papers 5000 --requests 200
    DATABASE_URL=postgres://... python -m bench.api --papers 5000

Runs in a scratch database (test_<name>, created and dropped here; SQLite in memory),
through Django's whole stack in-process (middleware, token authentication, DRF), so the
figures leave out only the network and the WSGI server. Prints the median and 95th
percentile in milliseconds and the queries each request ran. The "cold" cases empty the cache
before each request, so every paper of the page is serialized (papers.api_cache).

Papers, authors, tags and votes are generated here from a word list (seeded).
"""

import argparse
import os
import random
import statistics
import time

import django

WORDS = [
    *("sparse", "dense", "graph", "kernel", "diffusion", "latent"),
    *("policy", "reward", "memory", "attention", "router", "token"),
]


def _seed(papers: int, members: int) -> dict:
    from django.db import connection
    from django.utils import timezone

    from members.models import User
    from papers import normalise
    from papers.models import Author, Paper, PaperAuthor, Tag, Vote
    from papers.trending import trending_score

    rng = random.Random(7)
    users = User.objects.bulk_create(
        [User(username=f"bench{n}", calendar_token=f"t{n}") for n in range(members)]
    )
    tags = Tag.objects.bulk_create([Tag(name=w, slug=w) for w in WORDS])
    authors = Author.objects.bulk_create([Author(name=f"Author {n}") for n in range(200)])
    now = timezone.now()
    rows = []
    for n in range(papers):
        title = " ".join(rng.choices(WORDS, k=6)) + f" {n}"
        created = now - timezone.timedelta(hours=n)
        votes = rng.randrange(0, 4)
        rows.append(
            Paper(
                title=title,
                title_key=normalise.title_key(title),
                abstract=" ".join(rng.choices(WORDS, k=80)),
                summary=" ".join(rng.choices(WORDS, k=20)),
                status="listed",
                created_at=created,
                published_at=created,
                vote_count=votes,
                trending_score=trending_score(vote_count=votes, created_at=created),
            )
        )
    made = Paper.objects.bulk_create(rows, batch_size=500)
    PaperAuthor.objects.bulk_create(
        [
            PaperAuthor(paper=p, author=a, position=i)
            for p in made
            for i, a in enumerate(rng.sample(authors, 3))
        ],
        batch_size=1000,
    )
    Paper.tags.through.objects.bulk_create(
        [Paper.tags.through(paper=p, tag=t) for p in made for t in rng.sample(tags, 2)], batch_size=1000
    )
    voters = users[1:]
    Vote.objects.bulk_create(
        [Vote(user=u, paper=p) for p in made for u in voters[: p.vote_count]], batch_size=1000
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh planner statistics after the bulk load
    return {"member": users[0], "paper": made[len(made) // 2]}


def _time(client, method: str, path: str, runs: int, cold: bool, **extra) -> tuple[float, float, int, int]:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings = []
    for _ in range(runs):
        if cold:  # no paper's JSON cached (papers.api_cache): each is serialized again
            cache.clear()
        connection.queries_log.clear()  # full (9000), it would count no query at all
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = getattr(client, method)(path, **extra)
            timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    data_queries = [
        q for q in queries.captured_queries if not q["sql"].startswith(("BEGIN", "COMMIT", "SAVE", "RELEASE"))
    ]
    return (
        statistics.median(timings),
        timings[int(len(timings) * 0.95) - 1],
        len(data_queries),
        response.status_code,
    )


def lift_api_throttles() -> None:
    """Rates no bench reaches: it times requests, not the throttle's 429s."""
    from django.conf import settings
    from rest_framework.settings import api_settings

    settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = dict.fromkeys(
        ("anon", "user", "login"), "1000000/minute"
    )
    # DRF read its settings when the apps loaded: without this the 300/minute of members held, and
    # the searches and votes timed were 429s.
    api_settings.reload()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "readinggroup.settings_test")
    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment
    from knox.models import AuthToken
    from rest_framework.test import APIClient

    setup_test_environment()
    lift_api_throttles()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        seeded = _seed(args.papers, members=5)
        _, token = AuthToken.objects.create(user=seeded["member"])
        client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
        paper = seeded["paper"].pk
        etag = client.get("/api/v1/papers/")["ETag"]
        cold = "cold (cache emptied)"
        cases = [
            ("list, 20 per page", "get", "/api/v1/papers/", {}),
            (f"list, 20 per page, {cold}", "get", "/api/v1/papers/", {}),
            ("list, 100 per page", "get", "/api/v1/papers/?page_size=100", {}),
            ("list, by votes, 100 per page", "get", "/api/v1/papers/?ordering=votes&page_size=100", {}),
            ("list, search 'graph kernel'", "get", "/api/v1/papers/?q=graph%20kernel", {}),
            (f"list, search, {cold}", "get", "/api/v1/papers/?q=graph%20kernel", {}),
            ("list, 304 (If-None-Match)", "get", "/api/v1/papers/", {"HTTP_IF_NONE_MATCH": etag}),
            ("detail", "get", f"/api/v1/papers/{paper}/", {}),
            ("vote (PUT, idempotent)", "put", f"/api/v1/papers/{paper}/vote/", {}),
        ]
        print(f"{connection.vendor}, {args.papers} papers, {args.requests} requests each")
        print(f"{'request':44} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'status':>7}")
        for label, method, path, extra in cases:
            median, p95, queries, code = _time(client, method, path, args.requests, cold in label, **extra)
            print(f"{label:44} {median:10.2f} {p95:8.2f} {queries:8d} {code:7d}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
