"""Ranked lexical retrieval in the database: the best `limit` papers for a parsed query.

Ranking is BM25-style on both databases: a paper scores the sum, over the query words it
contains, of the word's inverse document frequency times how strongly the paper uses it
(field weights title 5 : keywords and TL;DR 2 : abstract 1, saturated and normalised by the
paper's length). No word is required, so a description with a few words that no paper uses
still finds the papers that share the others; phrases are required, exclusions excluded.

- SQLite: FTS5's own `bm25()` over the `papers_paper_fts` table (migration 0004), kept
  current by triggers.
- PostgreSQL: BM25 written out in SQL over the GIN-indexed `search_vector`, with document
  frequencies from papers.search.term_stats and the candidates pruned to the papers with the
  query's rarest words (papers.search.lexical_postgres).
- Either database, when the host has a text index (papers.search.text_index, a directory built
  by `manage.py build_search_index`): tantivy's BM25 over the same fields and weights, with
  block-max WAND; the database ranks only when there is none.
"""

from django.db import connections

from papers.search import lexical_postgres, text_index
from papers.search.query import ParsedQuery

# Function words the PostgreSQL 'english' configuration drops; SQLite drops the same ones so
# both rank on the same words (and an OR of "the" does not visit every paper).
STOPWORDS = frozenset(
    """a an and are as at be but by for from has have if in into is it its no not of on or such that
    the their then there these they this to was were will with we our""".split()  # noqa: SIM905
)

_SQLITE_SQL = """
SELECT rowid, bm25(papers_paper_fts, 5.0, 2.0, 2.0, 1.0) AS score
FROM papers_paper_fts WHERE papers_paper_fts MATCH %s
ORDER BY score, rowid DESC LIMIT %s
"""


def search(query: ParsedQuery, *, using: str, limit: int) -> list[tuple[int, float]]:
    """(paper id, score) of the best matches, best first; [] when nothing can match."""
    if not query.can_match:
        return []
    found = text_index.search(query, limit)
    if found is not None:
        return found
    connection = connections[using]
    if connection.vendor == "postgresql":
        return lexical_postgres.search(query, connection, limit)
    return _sqlite(query, connection, limit)


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def fts5_expression(query: ParsedQuery) -> str:
    """The FTS5 MATCH expression: (any of the words) AND each phrase, NOT each exclusion."""
    words = [w for w in query.words if w not in STOPWORDS]
    parts = []
    if words:
        parts.append("(" + " OR ".join(_quoted(w) for w in words) + ")")
    parts += [_quoted(p) for p in query.phrases]
    if not parts:
        return ""
    expression = "(" + " AND ".join(parts) + ")"
    for excluded in query.excluded:
        expression = f"({expression} NOT {_quoted(excluded)})"
    return expression


def _sqlite(query: ParsedQuery, connection, limit: int) -> list[tuple[int, float]]:
    expression = fts5_expression(query)
    if not expression:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_SQLITE_SQL, [expression, limit])
        # bm25() is lower-is-better; negate so every ranking here is higher-is-better.
        return [(pk, -float(score)) for pk, score in cursor.fetchall()]
