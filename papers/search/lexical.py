"""Ranked lexical retrieval in the database: the best `limit` papers for a parsed query.

Ranking is BM25-style on both databases: a paper scores the sum, over the query words it
contains, of the word's inverse document frequency times how strongly the paper uses it
(field weights title 5 : keywords and TL;DR 2 : abstract 1, saturated and normalised by the
paper's length). No word is required, so a description with a few words that no paper uses
still finds the papers that share the others; phrases are required, exclusions excluded.

- SQLite: FTS5's own `bm25()` over the `papers_paper_fts` table (migration 0004), kept
  current by triggers.
- PostgreSQL: its rank functions have no IDF, so each word's document frequency is counted
  from the GIN index in the same statement (one index probe a word) and weighs the word's
  `ts_rank_cd` with BM25's IDF, ln(1 + (N - df + 0.5) / (df + 0.5)). For one word,
  `ts_rank_cd` adds up every occurrence's field weight, and normalisation 32 (x / (x + 1))
  saturates it, as BM25 saturates term frequency; `ts_rank` counts mostly the best occurrence
  (dev recall@10 93% against 96%, bench.search_quality).
"""

from django.db import connections

from papers.search.query import ParsedQuery

# Function words the PostgreSQL 'english' configuration drops; SQLite drops the same ones so
# both rank on the same words (and an OR of "the" does not visit every paper).
STOPWORDS = frozenset(
    """a an and are as at be but by for from has have if in into is it its no not of on or such that
    the their then there these they this to was were will with we our""".split()  # noqa: SIM905
)

_PG_SQL = """
WITH terms AS MATERIALIZED (
  SELECT DISTINCT q FROM (
    SELECT plainto_tsquery('english', t) AS q FROM unnest(%(words)s::text[]) AS t
    UNION ALL
    SELECT phraseto_tsquery('english', t) FROM unnest(%(phrases)s::text[]) AS t
  ) s WHERE numnode(q) > 0
),
total AS (SELECT greatest(count(*), 1)::float8 AS n FROM papers_paper),
stats AS MATERIALIZED (
  SELECT q, ln(1 + (total.n - df + 0.5) / (df + 0.5)) AS idf
  FROM (SELECT q, (SELECT count(*) FROM papers_paper WHERE search_vector @@ terms.q) AS df FROM terms) c,
       total
)
SELECT p.id, sum(stats.idf * ts_rank_cd(p.search_vector, stats.q, 32)) AS score
FROM stats JOIN papers_paper p ON p.search_vector @@ stats.q
WHERE {required}
GROUP BY p.id
ORDER BY score DESC, p.id DESC
LIMIT %(limit)s
"""

_SQLITE_SQL = """
SELECT rowid, bm25(papers_paper_fts, 5.0, 2.0, 2.0, 1.0) AS score
FROM papers_paper_fts WHERE papers_paper_fts MATCH %s
ORDER BY score, rowid DESC LIMIT %s
"""


def search(query: ParsedQuery, *, using: str, limit: int) -> list[tuple[int, float]]:
    """(paper id, score) of the best matches, best first; [] when nothing can match."""
    if not query.can_match:
        return []
    connection = connections[using]
    if connection.vendor == "postgresql":
        return _postgres(query, connection, limit)
    return _sqlite(query, connection, limit)


def _postgres(query: ParsedQuery, connection, limit: int) -> list[tuple[int, float]]:
    required = ["TRUE"]
    params: dict = {"words": list(query.words), "phrases": list(query.phrases), "limit": limit}
    for n, phrase in enumerate(query.phrases):
        required.append(f"p.search_vector @@ phraseto_tsquery('english', %(phrase{n})s)")
        params[f"phrase{n}"] = phrase
    for n, excluded in enumerate(query.excluded):
        # An excluded stopword is an empty query, which matches nothing: nothing is excluded.
        required.append(f"NOT p.search_vector @@ phraseto_tsquery('english', %(excluded{n})s)")
        params[f"excluded{n}"] = excluded
    with connection.cursor() as cursor:
        cursor.execute(_PG_SQL.format(required=" AND ".join(required)), params)
        return [(pk, float(score)) for pk, score in cursor.fetchall()]


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
