"""The reference endpoints each benchmark figure is divided by (served by bench.urls only).

- L0 (`/bench/l0/<name>/`): a plain Django view answering pre-serialised bytes (the
  real endpoint's own body, captured by bench.run before the measurement) through the
  same middleware: the floor of the framework and the WSGI server, with no database.
- L1 (`/bench/l1/...`): one raw SQL statement that builds the same JSON in PostgreSQL
  (json_agg / json_build_object), through the same middleware and the same database
  connection handling, with no authentication, throttling, ORM or serialiser: the
  floor of "ask PostgreSQL for this page". The vote is one INSERT ... ON CONFLICT (or
  DELETE) with the count update in the same statement.

Views are CSRF-exempt (like DRF's API views) and take the member's id as `user`
instead of a token, so L1 shows the member's own votes the way the API does.
"""

import json
import os
from functools import cache

from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt
from psycopg.types.numeric import Int8

from papers.trending import SCORE_AFTER_UNVOTE_SQL, SCORE_AFTER_VOTE_SQL

JSON = "application/json"


@cache
def _l0_bodies() -> dict:
    """{name: (content type, body)} from the file bench.run wrote (BENCH_L0_FILE), read once per worker."""
    with open(os.environ["BENCH_L0_FILE"], encoding="utf-8") as file:
        data = json.load(file)
    return {name: (item["content_type"], item["body"].encode()) for name, item in data.items()}


def l0_bytes(request: HttpRequest, name: str) -> HttpResponse:
    try:
        content_type, body = _l0_bodies()[name]
    except KeyError:
        raise Http404("No such L0 body.") from None
    return HttpResponse(body, content_type=content_type)


# --- L1: the same JSON, built by PostgreSQL --------------------------------------------------------

# One paper as the API's PaperSerializer writes it (for a member: no organiser fields).
_PAPER_JSON = """json_build_object(
  'id', p.id, 'title', p.title,
  'authors', (SELECT coalesce(json_agg(json_build_object('name', a.name, 'affiliation', pa.affiliation)
                                       ORDER BY pa.position), '[]'::json)
              FROM papers_paperauthor pa JOIN papers_author a ON a.id = pa.author_id
              WHERE pa.paper_id = p.id),
  'tags', (SELECT coalesce(json_agg(json_build_object('slug', t.slug, 'name', t.name, 'kind', t.kind)
                                    ORDER BY t.name, t.id), '[]'::json)
           FROM papers_paper_tags pt JOIN papers_tag t ON t.id = pt.tag_id WHERE pt.paper_id = p.id),
  'summary', p.summary, 'keywords', p.keywords, 'published_at', p.published_at,
  'url', p.url, 'pdf_url', p.pdf_url, 'code_url', p.code_url, 'arxiv_id', p.arxiv_id, 'doi', p.doi,
  'vote_count', p.vote_count,
  'has_voted', EXISTS (SELECT 1 FROM papers_vote v WHERE v.user_id = %(user)s AND v.paper_id = p.id),
  'external_votes', p.external_votes,
  'discussed', p.discussed_at IS NOT NULL, 'discussed_at', p.discussed_at,
  'source', CASE WHEN s.id IS NULL THEN NULL ELSE json_build_object('id', s.id, 'name', s.name) END
  {extra})"""

_DETAIL_EXTRA = """,
  'abstract', p.abstract, 'categories', p.categories, 'arxiv_version', p.arxiv_version,
  'updated_at', p.updated_at, 'summary_backend', p.summary_backend,
  'meetings', (SELECT coalesce(json_agg(json_build_object('id', m.id, 'title', m.title,
                                                          'starts_at', m.starts_at, 'status', m.status)
                                        ORDER BY m.starts_at, m.id), '[]'::json)
               FROM meetings_agendaitem ai JOIN meetings_meeting m ON m.id = ai.meeting_id
               WHERE ai.paper_id = p.id AND m.status <> 'cancelled')"""

# The vote queue (PaperFilter with ordering=queue): listed, undiscussed, by votes, then
# trending, then id; a page of `size` rows after the (votes, score, id) position, plus
# one more row to know whether a next page exists.
L1_LIST_SQL = f"""
WITH page AS (
  SELECT id, vote_count, trending_score,
         row_number() OVER (ORDER BY vote_count DESC, trending_score DESC, id DESC) AS n
  FROM (SELECT id, vote_count, trending_score FROM papers_paper
        WHERE status = 'listed' AND discussed_at IS NULL
          AND (vote_count, trending_score, id) < (%(votes)s, %(score)s, %(id)s)
        ORDER BY vote_count DESC, trending_score DESC, id DESC
        LIMIT %(size)s + 1) AS keyset
)
SELECT
  (SELECT coalesce(json_agg({_PAPER_JSON.format(extra="")} ORDER BY page.n), '[]'::json)
   FROM page JOIN papers_paper p ON p.id = page.id LEFT JOIN papers_source s ON s.id = p.source_id
   WHERE page.n <= %(size)s)::text,
  (SELECT count(*) FROM page) > %(size)s,
  (SELECT json_build_array(vote_count, trending_score, id) FROM page WHERE n = 1)::text,
  (SELECT json_build_array(vote_count, trending_score, id) FROM page WHERE n = %(size)s)::text
"""

L1_DETAIL_SQL = f"""
SELECT {_PAPER_JSON.format(extra=_DETAIL_EXTRA)}::text
FROM papers_paper p LEFT JOIN papers_source s ON s.id = p.source_id
WHERE p.id = %(paper)s AND p.status = 'listed'
"""

# PUT: insert the vote when the paper is listed and the member has not voted; move the
# count only when a row went in. DELETE: the same the other way. One statement each.
L1_VOTE_SQL = {
    "PUT": f"""
WITH changed AS (
  INSERT INTO papers_vote (user_id, paper_id, created_at)
  SELECT %(user)s, id, now() FROM papers_paper WHERE id = %(paper)s AND status = 'listed'
  ON CONFLICT (user_id, paper_id) DO NOTHING RETURNING paper_id
), counted AS (
  UPDATE papers_paper SET trending_score = {SCORE_AFTER_VOTE_SQL}, vote_count = vote_count + 1
  WHERE id IN (SELECT paper_id FROM changed) RETURNING vote_count
)
SELECT json_build_object('paper_id', id, 'vote_count',
                         coalesce((SELECT vote_count FROM counted), vote_count), 'voted', true)::text
FROM papers_paper WHERE id = %(paper)s AND status = 'listed'
""",
    "DELETE": f"""
WITH changed AS (
  DELETE FROM papers_vote WHERE user_id = %(user)s AND paper_id = %(paper)s RETURNING paper_id
), counted AS (
  UPDATE papers_paper SET trending_score = {SCORE_AFTER_UNVOTE_SQL}, vote_count = vote_count - 1
  WHERE id IN (SELECT paper_id FROM changed) RETURNING vote_count
)
SELECT json_build_object('paper_id', id, 'vote_count',
                         coalesce((SELECT vote_count FROM counted), vote_count), 'voted', false)::text
FROM papers_paper WHERE id = %(paper)s
""",
}

_START = [2**31, float("inf"), 2**62]  # before the first row of the queue


def _link(request: HttpRequest, values: str | None, direction: str) -> str | None:
    if values is None:
        return None
    position = ",".join(str(v) for v in json.loads(values))
    return request.build_absolute_uri(f"{request.path}?user={request.GET['user']}&{direction}={position}")


def _position(raw: str | None) -> list:
    if not raw:
        return _START
    votes, score, paper_id = raw.split(",")
    return [int(votes), float(score), int(paper_id)]


def l1_list(request: HttpRequest) -> HttpResponse:
    """The first page of the vote queue, or the page after `after=votes,score,id`."""
    votes, score, paper_id = _position(request.GET.get("after"))
    params = {"user": int(request.GET["user"]), "size": 20, "votes": votes, "score": score, "id": paper_id}
    with connection.cursor() as cursor:
        cursor.execute(L1_LIST_SQL, params)
        results, more, first, last = cursor.fetchone()
    previous = _link(request, first, "before") if "after" in request.GET else None
    following = _link(request, last, "after") if more else None
    body = f'{{"next":{json.dumps(following)},"previous":{json.dumps(previous)},"results":{results}}}'
    return HttpResponse(body, content_type=JSON)


def l1_detail(request: HttpRequest, pk: int) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute(L1_DETAIL_SQL, {"user": Int8(int(request.GET["user"])), "paper": Int8(pk)})
        row = cursor.fetchone()
    if row is None:
        raise Http404("No listed paper with this id.")
    return HttpResponse(row[0], content_type=JSON)


@csrf_exempt
def l1_vote(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method not in L1_VOTE_SQL:
        return HttpResponseNotAllowed(list(L1_VOTE_SQL))
    with connection.cursor() as cursor:
        cursor.execute(L1_VOTE_SQL[request.method], {"user": int(request.GET["user"]), "paper": pk})
        row = cursor.fetchone()
    if row is None:
        raise Http404("No listed paper with this id.")
    return HttpResponse(row[0], content_type=JSON)
