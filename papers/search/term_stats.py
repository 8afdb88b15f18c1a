"""PostgreSQL: how many papers use each query word, for BM25's inverse document frequency.

PostgreSQL's rank functions have no IDF, and counting a common word's papers from the GIN
index reads a posting list as long as the collection. `refresh` counts every lexeme once
(`ts_stat`) into `papers_searchterm` (migration 0015); a periodic worker task and
`manage.py refresh_search_terms` run it. A word the table does not know (new since the last
refresh, or a phrase) is counted from the index at query time: such words are rare, so the
count is cheap. With an empty table (a new site, tests) every count is live and exact.
"""

from dataclasses import dataclass

from django.db import connections, transaction

_REFRESH = [
    # One transaction: searches keep reading the old counts (MVCC) until it commits.
    "DELETE FROM papers_searchterm",
    "INSERT INTO papers_searchterm (lexeme, documents) "
    "SELECT word, ndoc FROM ts_stat('SELECT search_vector FROM papers_paper')",
    "DELETE FROM papers_searchcorpus",
    # length(tsvector) is a paper's number of distinct words, the length BM25 normalises by.
    "INSERT INTO papers_searchcorpus (papers, lexemes, refreshed_at) "
    "SELECT count(*), coalesce(sum(length(search_vector)), 0), now() FROM papers_paper",
]

# A query's words and phrases, each as a tsquery with its document frequency, and the
# collection's size and average length: from the tables when refreshed, else counted live;
# and the newest paper's id (from the primary key), where the newest papers begin.
_LOOKUP = """
WITH terms AS (
  SELECT n, q, phrase FROM (
    SELECT n, plainto_tsquery('english', t) AS q, false AS phrase
    FROM unnest(%(words)s::text[]) WITH ORDINALITY AS u(t, n)
    UNION ALL
    SELECT 1000 + n, phraseto_tsquery('english', t), true
    FROM unnest(%(phrases)s::text[]) WITH ORDINALITY AS u(t, n)
  ) s WHERE numnode(q) > 0
),
corpus AS (SELECT papers, lexemes FROM papers_searchcorpus LIMIT 1)
SELECT q::text, phrase, coalesce(
    CASE WHEN numnode(q) = 1 THEN (
      SELECT documents FROM papers_searchterm WHERE lexeme = (tsvector_to_array(q::text::tsvector))[1]
    ) END,
    (SELECT count(*) FROM papers_paper WHERE search_vector @@ q)
  ),
  coalesce((SELECT papers FROM corpus), (SELECT count(*) FROM papers_paper)),
  coalesce((SELECT lexemes FROM corpus), (SELECT sum(length(search_vector)) FROM papers_paper)),
  (SELECT max(id) FROM papers_paper)
FROM terms ORDER BY n
"""


@dataclass(frozen=True)
class Term:
    tsquery: str  # PostgreSQL's text form, e.g. 'attent' or 'mixtur' <-> 'expert'
    documents: int
    phrase: bool


@dataclass(frozen=True)
class Statistics:
    terms: tuple[Term, ...]
    papers: int
    average_length: float
    newest_id: int = 0


def refresh(*, using: str = "default") -> None:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return  # SQLite's FTS5 keeps its own statistics
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for statement in _REFRESH:
            cursor.execute(statement)


def lookup(words: list[str], phrases: list[str], *, connection) -> Statistics:
    """The query's distinct terms (stopwords dropped by PostgreSQL's 'english' configuration)."""
    with connection.cursor() as cursor:
        cursor.execute(_LOOKUP, {"words": words, "phrases": phrases})
        rows = cursor.fetchall()
    if not rows:
        return Statistics((), 0, 1.0)
    papers, lexemes, newest_id = int(rows[0][3] or 0), float(rows[0][4] or 0), int(rows[0][5] or 0)
    seen: dict[tuple[str, bool], Term] = {}
    for tsquery, phrase, documents, *_ in rows:
        seen.setdefault((tsquery, phrase), Term(tsquery, int(documents), phrase))
    return Statistics(tuple(seen.values()), papers, lexemes / papers if papers else 1.0, newest_id)


# Words that no paper uses (neither the statistics nor, for words new since, the index know
# them): only those are worth a trigram search for typos, which over 1M titles takes from
# 0.2 to 3 s for common words (docs/search.md) and finds nothing new for a known word.
_UNKNOWN = """
SELECT t FROM unnest(%s::text[]) AS t
WHERE numnode(plainto_tsquery('english', t)) > 0
  AND NOT EXISTS (
    SELECT 1 FROM papers_searchterm
    WHERE lexeme = ANY(tsvector_to_array(to_tsvector('english', t)))
  )
  AND NOT EXISTS (SELECT 1 FROM papers_paper WHERE search_vector @@ plainto_tsquery('english', t))
"""


def unknown_words(words: list[str], *, connection) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(_UNKNOWN, [words])
        return [word for (word,) in cursor.fetchall()]
