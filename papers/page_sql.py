"""The API's plainest paper reads as one SQL statement that builds their JSON (PostgreSQL).

A member's list without filters, in one of the orders (the apps' main screen, polled
all day), and a paper's detail are by far the API's commonest requests. Through
django-filter, the ORM and the serializers a list page cost ~9 ms of CPU, two thirds of it
in Python building and compiling the query and turning rows into objects and back into
JSON (profile in README "Performance"). Here the same answers are statements written once,
whose JSON PostgreSQL builds: equal, field for field, to what PaperSerializer and
PaperDetailSerializer write (papers/tests/test_page_sql.py compares them over every order,
both cursor directions, page sizes, viewers and the papers one may or may not open).

Only what the serializers would write the same way takes this path (`applies`): members
and anonymous readers (organisers see more fields), the JSON format, and datetimes in
UTC (DRF writes them in the site's time zone; the SQL below writes UTC). Anything else
goes the general way, which stays the reference for both.
"""

import json
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from psycopg.types.numeric import Int8

from papers.models import Paper
from papers.selectors import AUTHORS_JSON_POSTGRESQL, ORDERINGS, TAGS_JSON_POSTGRESQL
from readinggroup.postgresql import prepared_cursor

# The query parameters this path understands; any other one (a filter, `format`) goes the general way.
PLAIN_LIST_PARAMETERS = frozenset({"ordering", "cursor", "page_size"})


def _iso(column: str) -> str:
    """A timestamp as DRF writes it in UTC: isoformat(), microseconds only when non-zero, 'Z'.

    One to_char and a replace: the same text built with CASE, two to_char and extract made
    PostgreSQL parse and plan so much more that a paper's statement cost a sixth more."""
    text = f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
    return f"replace({text}, '.000000Z', 'Z')"


# One paper as PaperSerializer writes it for a member, key for key in the same order;
# {detail} adds PaperDetailSerializer's fields.
_PAPER_JSON = f"""json_build_object(
  'id', p.id, 'title', p.title,
  'authors', {AUTHORS_JSON_POSTGRESQL.replace("%(outer)s", "p.id")},
  'tags', {TAGS_JSON_POSTGRESQL.replace("%(outer)s", "p.id")},
  'summary', p.summary, 'keywords', p.keywords, 'published_at', {_iso("p.published_at")},
  'url', p.url, 'pdf_url', p.pdf_url, 'code_url', p.code_url, 'arxiv_id', p.arxiv_id, 'doi', p.doi,
  'vote_count', p.vote_count,
  'comment_count', p.comment_count,
  'has_voted', EXISTS (SELECT 1 FROM papers_vote v WHERE v.paper_id = p.id AND v.user_id = %(user)s),
  'external_votes', p.external_votes,
  'discussed', p.discussed_at IS NOT NULL, 'discussed_at', {_iso("p.discussed_at")},
  'source', CASE WHEN s.id IS NULL THEN NULL ELSE json_build_object('id', s.id, 'name', s.name) END
  {{detail}})::text"""

_DETAIL_JSON = f""",
  'abstract', p.abstract, 'categories', p.categories, 'arxiv_version', p.arxiv_version,
  'updated_at', {_iso("p.updated_at")}, 'summary_backend', p.summary_backend,
  'meetings', (SELECT coalesce(json_agg(json_build_object('id', m.id, 'title', m.title,
                                   'starts_at', {_iso("m.starts_at")}, 'status', m.status)
                                 ORDER BY m.starts_at, m.id), '[]')
               FROM meetings_agendaitem ai JOIN meetings_meeting m ON m.id = ai.meeting_id
               WHERE ai.paper_id = p.id AND m.status <> 'cancelled')"""

# A paper one may open (papers.selectors.paper_visible, for members and anonymous readers):
# listed, or pending and suggested by this member.
_DETAIL_SQL = f"""
SELECT {_PAPER_JSON.format(detail=_DETAIL_JSON)}
FROM papers_paper p LEFT JOIN papers_source s ON s.id = p.source_id
WHERE p.id = %(paper)s
  AND (p.status = 'listed' OR (p.status = 'pending' AND p.submitted_by_id = %(user)s))"""

# The ordering columns come first: the paginator builds its cursors from them.
_COLUMNS = ("id", "vote_count", "trending_score", "published_at")


class PageRow(NamedTuple):
    """A page's row: the ordering columns (None for those the order does not use) and the JSON."""

    id: int
    vote_count: int | None
    trending_score: float | None
    published_at: object
    json: str


def applies(request, *, organiser: bool, detail: bool = False) -> bool:
    """Whether this list (or detail) request is one this module answers exactly as the
    general path would."""
    params = request.query_params
    plain = not params if detail else params.keys() <= PLAIN_LIST_PARAMETERS
    return (
        connection.vendor == "postgresql"
        and settings.TIME_ZONE == "UTC"
        and not organiser
        and request.accepted_renderer.format == "json"
        and plain
        and (detail or (params.get("ordering") or "trending") in ORDERINGS)
    )


def _user_id(user) -> int | None:
    return user.pk if user is not None and user.is_authenticated else None


def _page_sql(order: str, *, after: bool, reverse: bool) -> str:
    names = [field.lstrip("-") for field in ORDERINGS[order]]  # every order here is all descending
    columns = [Paper._meta.get_field(name).column for name in names]
    direction, compare = ("ASC", ">") if reverse else ("DESC", "<")
    conditions = ["status = 'listed'"]
    if order == "queue":
        conditions.append("discussed_at IS NULL")  # as PaperFilter does for this order
    if after:
        placeholders = ", ".join(f"%(after{i})s" for i in range(len(columns)))
        conditions.append(f"({', '.join(columns)}) {compare} ({placeholders})")
    by = ", ".join(f"{column} {direction}" for column in columns)
    # Only the order's own columns are read back (the paginator's cursors need them); the
    # others stay NULL: turning 21 timestamps into datetimes is a tenth of the Python time.
    selected = [f"p.{c}" if c in columns else "NULL" for c in _COLUMNS]
    # The keyset picks the page's ids through the order's index; only those rows get their JSON.
    return f"""
SELECT {", ".join(selected)}, {_PAPER_JSON.format(detail="")}
FROM (SELECT id FROM papers_paper WHERE {" AND ".join(conditions)} ORDER BY {by} LIMIT %(limit)s) AS page
JOIN papers_paper p ON p.id = page.id LEFT JOIN papers_source s ON s.id = p.source_id
ORDER BY {", ".join(f"p.{column} {direction}" for column in columns)}"""


_STATEMENTS: dict[tuple[str, bool, bool], str] = {}


def listed_page(order: str, *, user, after: list | None, reverse: bool, limit: int) -> list[PageRow]:
    """At most `limit` listed papers of this order after the position `after` (before it when
    reverse, nearest first), each with the JSON the member sees."""
    key = (order, after is not None, reverse)
    if key not in _STATEMENTS:
        _STATEMENTS[key] = _page_sql(order, after=after is not None, reverse=reverse)
    params = {"user": _user_id(user), "limit": limit}
    params.update({f"after{i}": value for i, value in enumerate(after or [])})
    with connection.cursor() as cursor:
        cursor.execute(_STATEMENTS[key], params)
        return [PageRow(*row) for row in cursor.fetchall()]


def page_body(links: list[str | None], rows: list[PageRow]) -> str:
    """The response: the paginator's links and the papers' JSON, as the general path writes it."""
    following, previous = (json.dumps(link) for link in links)
    return f'{{"next":{following},"previous":{previous},"results":[{",".join(r.json for r in rows)}]}}'


def paper_json(paper_id: int, *, user) -> str | None:
    """The paper's detail as the member sees it, or None when they may not open it."""
    user_id = _user_id(user)
    params = {"paper": Int8(paper_id), "user": None if user_id is None else Int8(user_id)}
    # Prepared (readinggroup.postgresql): parsing and planning this statement cost PostgreSQL
    # three times what running it does. The ids go as bigint whatever their size, so that a
    # connection keeps one prepared statement for members and one for anonymous readers.
    with prepared_cursor(connection) as cursor:
        cursor.execute(_DETAIL_SQL, params)
        row = cursor.fetchone()
    return row[0] if row else None
