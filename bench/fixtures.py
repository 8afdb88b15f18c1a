"""What the benchmark requests: members with tokens and sessions, and each endpoint with its references.

Requests rotate over MEMBERS members (each with an API token and a logged-in session),
so per-member throttling stays at its production default and each member sees their own
votes, as on a real site; papers rotate over a fixed sample of listed ones.
"""

import random
from dataclasses import dataclass, field
from urllib.parse import quote

from django.db.models import Count

from bench.http import Endpoint
from bench.server import PROXY_HEADERS

MEMBERS = 1000
SAMPLE = 500  # papers the detail, vote and paper-page requests rotate over
DEEP_POSITIONS = (0.4, 0.45, 0.5, 0.55, 0.6)  # deep cursors: this far down the vote queue
SEARCH_TERMS = 5  # of each kind: common and rare
# Statements that read or write data are counted; transaction control is not.
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@dataclass
class Member:
    id: int
    token: str
    session: str

    @property
    def api(self) -> dict:
        return {"Authorization": f"Token {self.token}"}

    @property
    def web(self) -> dict:
        return {"Cookie": f"sessionid={self.session}"}


@dataclass
class Spec:
    """An endpoint, its references (name -> Endpoint) and whether latency is measured."""

    endpoint: Endpoint
    references: dict[str, Endpoint] = field(default_factory=dict)
    latency: bool = True
    compare_to: str | None = None  # for a 304: the 200 endpoint it replaces


def members(count: int = MEMBERS) -> list[Member]:
    """Tokens and logged-in sessions for the first `count` members (loaded by bench.data)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from knox.models import AuthToken

    from members.models import User

    users = list(User.objects.order_by("id")[:count])
    AuthToken.objects.filter(user__in=users).delete()
    made = []
    for user in users:
        _, token = AuthToken.objects.create(user=user)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        made.append(Member(user.pk, token, session.session_key))
    return made


def sample_papers(count: int = SAMPLE) -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            # Not the long threads (bench.data): their pages are measured on their own.
            "SELECT id FROM papers_paper WHERE status = 'listed' AND comment_count = 0 "
            "ORDER BY md5(id::text) LIMIT %s",
            [count],
        )
        return [row[0] for row in cursor.fetchall()]


def thread_papers() -> list[int]:
    """The papers bench.data gave a discussion of THREAD_COMMENTS comments."""
    from bench.data import THREAD_COMMENTS
    from discussions.models import Comment

    return sorted(
        Comment.objects.values("paper_id")
        .annotate(n=Count("id"))
        .filter(n__gte=THREAD_COMMENTS)
        .values_list("paper_id", flat=True)
    )


def deep_positions() -> list[tuple[int, float, int]]:
    """(votes, score, id) of rows this far down the vote queue: where deep cursors start."""
    from django.db import connection

    positions = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM papers_paper WHERE status = 'listed' AND discussed_at IS NULL")
        total = cursor.fetchone()[0]
        for share in DEEP_POSITIONS:
            cursor.execute(
                "SELECT vote_count, trending_score, id FROM papers_paper "
                "WHERE status = 'listed' AND discussed_at IS NULL "
                "ORDER BY vote_count DESC, trending_score DESC, id DESC OFFSET %s LIMIT 1",
                [int(total * share)],
            )
            positions.append(cursor.fetchone())
    return positions


def _cursor(position) -> str:
    from readinggroup.rest.pagination import encode_cursor

    return encode_cursor(["-vote_count", "-trending_score", "-id"], list(position), reverse=False)


def _spread(members_: list[Member], items: list, build) -> list[tuple]:
    """One request per member, each for the next item, so both rotate."""
    return [build(m, items[i % len(items)]) for i, m in enumerate(members_)]


def specs(
    members_: list[Member], papers: list[int], deep: list, terms: dict, threads: list[int] | None = None
) -> list[Spec]:
    queue = "/api/v1/papers/?ordering=queue"

    def api(name, label, build, items=(None,)):
        requests = _spread(members_, list(items), lambda m, item: (*build(m, item), m.api))
        return Endpoint(name, label, requests, dict(PROXY_HEADERS))

    def l1(name, build, items=(None,)):
        return Endpoint(name, "L1", _spread(members_, list(items), build), dict(PROXY_HEADERS))

    def l0(name):
        return Endpoint(f"l0_{name}", "L0", [("GET", f"/bench/l0/{name}/", {})], dict(PROXY_HEADERS))

    vote_pairs = [(m, papers[i % len(papers)]) for i, m in enumerate(members_)]
    vote_requests = [
        (method, f"/api/v1/papers/{p}/vote/", m.api) for m, p in vote_pairs for method in ("PUT", "DELETE")
    ]
    vote_l1 = [
        (method, f"/bench/l1/papers/{p}/vote/?user={m.id}", {})
        for m, p in vote_pairs
        for method in ("PUT", "DELETE")
    ]
    search_terms = [t for pair in zip(terms["common"], terms["rare"], strict=True) for t in pair]
    return [
        Spec(
            api("list_first", "paper list, vote queue, first page", lambda m, _: ("GET", queue)),
            {
                "L0": l0("list_first"),
                "L1": l1("l1_list_first", lambda m, _: ("GET", f"/bench/l1/papers/?user={m.id}", {})),
            },
        ),
        Spec(
            api(
                "list_deep",
                "paper list, vote queue, deep cursor (40-60% down)",
                lambda m, pos: ("GET", f"{queue}&cursor={_cursor(pos)}"),
                deep,
            ),
            {
                "L0": l0("list_deep"),
                "L1": l1(
                    "l1_list_deep",
                    lambda m, pos: (
                        "GET",
                        f"/bench/l1/papers/?user={m.id}&after={pos[0]},{pos[1]!r},{pos[2]}",
                        {},
                    ),
                    deep,
                ),
            },
        ),
        Spec(
            api("detail", "paper detail", lambda m, p: ("GET", f"/api/v1/papers/{p}/"), papers),
            {
                "L0": l0("detail"),
                "L1": l1("l1_detail", lambda m, p: ("GET", f"/bench/l1/papers/{p}/?user={m.id}", {}), papers),
            },
        ),
        Spec(
            api("list_304", "paper list, 304 (If-None-Match)", lambda m, _: ("GET", queue)),
            compare_to="list_first",
        ),
        Spec(
            api(
                "detail_304",
                "paper detail, 304 (If-None-Match)",
                lambda m, p: ("GET", f"/api/v1/papers/{p}/"),
                papers,
            ),
            compare_to="detail",
        ),
        Spec(
            api(
                "search",
                "search (common and rare terms in turn)",
                lambda m, t: ("GET", f"/api/v1/papers/?q={quote(t)}"),
                search_terms,
            ),
            {"L0": l0("search")},
        ),
        Spec(
            Endpoint(
                "home",
                "home page (HTML, logged in)",
                [("GET", "/", m.web) for m in members_],
                dict(PROXY_HEADERS),
            ),
            {"L0": l0("home")},
        ),
        Spec(
            Endpoint(
                "paper_page",
                "paper page (HTML, logged in)",
                _spread(members_, papers, lambda m, p: ("GET", f"/papers/{p}/", m.web)),
                dict(PROXY_HEADERS),
            ),
            {"L0": l0("paper_page")},
        ),
        Spec(
            Endpoint("vote", "vote toggle (PUT / DELETE in turn)", vote_requests, dict(PROXY_HEADERS)),
            {"L0": l0("vote"), "L1": Endpoint("l1_vote", "L1", vote_l1, dict(PROXY_HEADERS))},
        ),
        *_thread_specs(members_, threads or [], api),
    ]


def _thread_specs(members_: list[Member], threads: list[int], api) -> list[Spec]:
    """A paper's discussion of 200 comments: its first API page and its HTML page. (Posting is
    measured in-process by bench.discussions: wrk sends no request bodies.)"""
    if not threads:
        return []
    return [
        Spec(
            api(
                "thread_api",
                "thread of 200 comments, API first page",
                lambda m, p: ("GET", f"/api/v1/papers/{p}/comments/"),
                threads,
            ),
        ),
        Spec(
            Endpoint(
                "thread_page",
                "paper page with a thread of 200 comments (HTML, logged in)",
                _spread(members_, threads, lambda m, p: ("GET", f"/papers/{p}/", m.web)),
                dict(PROXY_HEADERS),
            ),
        ),
    ]


def with_etags(endpoint: Endpoint, fetch) -> Endpoint:
    """The same requests, each sending the ETag its 200 answer carries now (fetch(method, path, headers))."""
    requests = []
    for method, path, headers in endpoint.requests:
        etag = fetch(method, path, headers).headers["ETag"]
        requests.append((method, path, {**headers, "If-None-Match": etag}))
    return Endpoint(endpoint.name, endpoint.label, requests, endpoint.headers)


def count_queries(endpoint: Endpoint, samples: int = 5) -> dict:
    """Queries per request, in-process through the whole Django stack (never in the timed server):
    the most over a few of the endpoint's requests."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(headers={**endpoint.headers, "Host": "127.0.0.1"})
    counts, statuses = [], set()
    picks = random.Random(1).sample(endpoint.requests, min(samples, len(endpoint.requests)))
    for method, path, headers in picks:
        with CaptureQueriesContext(connection) as queries:
            response = client.generic(method, path, headers=headers)
        statuses.add(response.status_code)
        counts.append(
            sum(1 for q in queries.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL))
        )
    return {"queries": max(counts), "queries_min": min(counts), "statuses": sorted(statuses)}
