"""Discussions benchmark: a paper's thread of 200 comments, posting, and the live-update poll.

    python -m bench.discussions [--comments 200] [--requests 100] [--json out.json]
    DATABASE_URL=postgres://... python -m bench.discussions

Runs in a scratch database (test_<name>, created and dropped here; SQLite in memory),
through Django's whole stack in-process (middleware, sessions or token authentication, DRF,
templates), so the figures leave out only the network and the WSGI server; `make bench`
measures the two reads again under gunicorn with wrk (bench.fixtures, thread_api and
thread_page). Prints, per request: median and 95th percentile in milliseconds, requests a
second at the median (one process), queries and response bytes.

- thread API page: GET /api/v1/papers/{id}/comments/ (first page: 20 comments), and 100;
- thread HTML page: GET /papers/{id}/ with the whole thread (the rendered bodies cached, as
  after the first visit; the first, cold visit is printed once);
- post: POST /api/v1/papers/{id}/comments/ (each request a new comment);
- poll, nothing new / one new: what an open page asks every DISCUSSION_POLL_SECONDS.
"""

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import django

COMMENTS = 200
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def _seed(comments: int) -> dict:
    """A listed paper, members, and its thread of `comments` comments (a third of them roots,
    some with math, some mentioning a member), written through the service as members would."""
    from discussions import services
    from members.models import User
    from papers.models import Paper

    users = User.objects.bulk_create([User(username=f"bench{n}", calendar_token=f"t{n}") for n in range(12)])
    paper = Paper.objects.create(title="A long discussion", title_key="a long discussion", status="listed")
    root = None
    for n in range(comments):
        body = f"Point {n}: the bound in section {n % 9} holds when the step size is small."
        if n % 7 == 0:
            body += " Is $\\sum_i x_i^2$ bounded?"
        if n % 10 == 5:
            body = f"@bench{n % 12} {body}"
        parent = None if n % 3 == 0 else root
        comment = services.comment_create(author=users[n % 10 + 1], target=paper, body=body, parent_id=parent)
        root = comment.pk if parent is None else root
    return {"reader": users[0], "poster": users[11], "author": users[1], "paper": paper}


def _data_queries(captured) -> int:
    return sum(1 for q in captured if not q["sql"].startswith(TRANSACTION_CONTROL))


def _time(call, runs: int, prepare=lambda: ()) -> dict:
    """call(*prepare()) `runs` times; only the call is timed and its queries counted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings, queries, size, status = [], 0, 0, 0
    for _ in range(runs):
        args = prepare()
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = call(*args)
            timings.append((time.perf_counter() - start) * 1000)
        queries, size, status = _data_queries(captured), len(response.content), response.status_code
    timings.sort()
    median = statistics.median(timings)
    return {
        "median_ms": round(median, 2),
        "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 2),
        "rps": round(1000 / median, 1) if median else None,
        "queries": queries,
        "bytes": size,
        "status": status,
    }


def measure(comments: int, runs: int) -> dict:
    from django.conf import settings
    from django.core.cache import cache
    from django.test import Client
    from knox.models import AuthToken
    from rest_framework.test import APIClient

    from discussions import services
    from discussions.models import Comment

    seeded = _seed(comments)
    paper = seeded["paper"]
    _, token = AuthToken.objects.create(user=seeded["poster"])
    api = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    web = Client()
    web.force_login(seeded["reader"])
    thread_api = f"/api/v1/papers/{paper.pk}/comments/"
    page = paper.get_absolute_url()
    poll_url = f"/discussions/papers/{paper.pk}/comments/new/"
    results = {"vendor": django.db.connection.vendor, "comments": comments, "requests": runs}

    cache.clear()
    results["thread_page_cold"] = _time(lambda: web.get(page), 1)
    cases = [
        ("thread_api", "thread API page (20 comments)", lambda: api.get(thread_api)),
        ("thread_api_100", "thread API page (100 comments)", lambda: api.get(thread_api, {"page_size": 100})),
        ("thread_page", "thread HTML page (all, warm cache)", lambda: web.get(page)),
    ]
    for name, label, call in cases:
        results[name] = {"label": label, **_time(call, runs)}

    def latest() -> int:
        return Comment.objects.filter(paper=paper).latest("pk").pk

    def poll(after: int):
        return web.get(f"{poll_url}?after={after}")

    def one_new() -> tuple[int]:
        after = latest()
        services.comment_create(author=seeded["author"], target=paper, body="Something new.")
        return (after,)

    results["poll_nothing_new"] = {
        "label": "poll, nothing new",
        **_time(poll, runs, lambda: (latest(),)),
    }
    results["poll_one_new"] = {"label": "poll, one new comment", **_time(poll, min(runs, 50), one_new)}
    body = {"body": "A new point about $O(n \\log n)$, @bench3."}
    results["post"] = {
        "label": "post a comment (API)",
        **_time(lambda: api.post(thread_api, body, format="json"), min(runs, 50)),
    }
    poll_seconds = settings.DISCUSSION_POLL_SECONDS
    idle = results["poll_nothing_new"]
    results["open_page_per_minute"] = {
        "polls": 60 / poll_seconds,
        "queries": round(60 / poll_seconds * idle["queries"], 1),
        "bytes": round(60 / poll_seconds * idle["bytes"]),
        "server_ms": round(60 / poll_seconds * idle["median_ms"], 1),
    }
    return results


def render(results: dict) -> str:
    lines = [
        f"{results['vendor']}, a thread of {results['comments']} comments, "
        f"{results['requests']} requests each (posting and one-new polls: at most 50)",
        f"{'request':38} {'median ms':>10} {'p95 ms':>8} {'req/s':>7} {'queries':>8} {'bytes':>8}",
    ]
    for value in results.values():
        if isinstance(value, dict) and "label" in value:
            lines.append(
                f"{value['label']:38} {value['median_ms']:10.2f} {value['p95_ms']:8.2f} "
                f"{value['rps']:7.0f} {value['queries']:8d} {value['bytes']:8d}"
            )
    cold, minute = results["thread_page_cold"], results["open_page_per_minute"]
    lines.append(f"thread HTML page, first visit (bodies rendered): {cold['median_ms']:.1f} ms")
    lines.append(
        f"an open page, nothing new: {minute['polls']:g} polls a minute = {minute['queries']:g} queries, "
        f"{minute['bytes']:,} bytes and {minute['server_ms']:g} ms of server time a minute"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=COMMENTS)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.comments < 1 or args.requests < 1:
        parser.error("--comments and --requests: at least 1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "readinggroup.settings_test")
    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.DISCUSSION_RATE = "1000000/minute"  # posting as fast as the bench asks
    settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = dict.fromkeys(
        ("anon", "user", "login"), "1000000/minute"
    )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        results = measure(args.comments, args.requests)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(render(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
