"""BM25 on PostgreSQL, computed in SQL over a pruned candidate set.

PostgreSQL's rank functions have no IDF and no length normalisation, so the score is
written out as BM25 (the same formula SQLite's FTS5 `bm25()` computes):

    score = sum over the query's terms t in the paper of
            idf(t) * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average length))

- idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5)), df from papers.search.term_stats;
- tf = the term's occurrences weighted by field, title 5 : keywords and TL;DR 2 :
  abstract 1 (as SQLite's column weights): `ts_rank_cd` of a one-word query adds up the
  weights of that word's positions, so it is the weighted count, scaled back here;
- length = the paper's number of distinct words (`length(tsvector)`).

Ranking every paper that has any query word is linear in the collection: a common word is
in most papers. Only papers that contain one of the query's rarest terms are ranked, adding
terms rarest first while their papers together stay within CANDIDATE_DOCUMENTS (MaxScore's
idea: a paper with only common words rarely makes the top). Below that size nothing is
pruned. A query of only common words ranks the newest COMMON_CANDIDATES papers that
contain all of them (the same ones each time: an unordered LIMIT took whichever a scan met
first, and a seq scan joins others where they are, so a search answered differently each time).
"""

import math
from dataclasses import dataclass

from papers.search import term_stats
from papers.search.query import ParsedQuery

K1, B = 1.2, 0.75  # BM25's usual constants, as FTS5 uses
# ts_rank_cd's weights for D, C (abstract), B (keywords, TL;DR), A (title); at most 1 each,
# so the weighted count is divided by the abstract's weight to count an abstract word as 1.
FIELD_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"
ABSTRACT_WEIGHT = 0.2
# Papers ranked at most when a query has a rare enough word (measured in docs/search.md).
CANDIDATE_DOCUMENTS = 1_000
COMMON_CANDIDATES = 1_000
# The newest papers are looked for among the newest ids where about this many papers are
# expected to have the query's rarest word: PostgreSQL then ANDs that id range's bitmap with
# the word's instead of reading every paper with the word to sort them (at 1M papers, a word
# in 2% of them: 23 ms instead of 190).
NEWEST_EXPECTED = 2 * COMMON_CANDIDATES

_RANK_SQL = """
WITH terms AS MATERIALIZED (
  SELECT q, idf FROM unnest(%(queries)s::tsquery[], %(idfs)s::float8[]) AS t(q, idf)
),
candidates AS MATERIALIZED (
  -- `|| ''` stores each vector decompressed once: the stored one is compressed, and every
  -- term's match and rank would decompress it again (most of the time, measured).
  SELECT p.id, p.search_vector || ''::tsvector AS v, length(p.search_vector)::float8 AS len
  FROM papers_paper p
  WHERE p.search_vector @@ %(candidates)s::tsquery AND {required} {newest}
),
frequencies AS (
  SELECT c.id, c.len, t.idf,
    ts_rank_cd('{weights}'::float4[], c.v, t.q, 0) / {abstract_weight} AS tf
  FROM candidates c JOIN terms t ON c.v @@ t.q
)
SELECT id, sum(
  idf * tf * %(k1_plus_1)s::float8
  / (tf + %(k1)s::float8 * (1 - %(b)s::float8 + %(b)s::float8 * len / %(average_length)s::float8))
) AS score
FROM frequencies
GROUP BY id
ORDER BY score DESC, id DESC
LIMIT %(limit)s
"""


def _idf(documents: int, papers: int) -> float:
    return math.log(1 + (papers - documents + 0.5) / (documents + 0.5))


def _any(terms) -> str:
    return " | ".join(f"({t.tsquery})" for t in terms)


def _all(terms) -> str:
    return " & ".join(f"({t.tsquery})" for t in terms)


@dataclass(frozen=True)
class Candidates:
    """The papers ranked: those matching `tsquery`; with `cap`, only the newest `cap` of them,
    looked for among ids above `above_id` when given."""

    tsquery: str
    cap: int | None = None
    above_id: int | None = None

    def sql(self) -> str:
        if self.cap is None:
            return ""
        window = "" if self.above_id is None else "AND p.id > %(above_id)s"
        return f"{window} ORDER BY p.id DESC LIMIT {int(self.cap)}"


def candidate_filters(stats: term_stats.Statistics) -> list[Candidates]:
    """The papers to rank, tried in order until one finds papers: phrases, which are required
    anyway; else the rarest words; else, when even the rarest word is common, the newest papers
    with all the words, then the newest with the rarest (also without the id window, in case
    ids are sparse)."""
    phrases = [t for t in stats.terms if t.phrase]
    if phrases:
        return [Candidates(_all(phrases))]
    words = sorted(stats.terms, key=lambda t: t.documents)
    chosen, total = [], 0
    for term in words:
        if chosen and total + term.documents > CANDIDATE_DOCUMENTS:
            break
        chosen.append(term)
        total += term.documents
    if total <= CANDIDATE_DOCUMENTS:
        return [Candidates(_any(chosen))]
    span = math.ceil(NEWEST_EXPECTED * stats.papers / max(words[0].documents, 1))
    above_id = stats.newest_id - span
    return [
        Candidates(_all(words), COMMON_CANDIDATES, above_id),
        Candidates(_any(words[:1]), COMMON_CANDIDATES, above_id),
        Candidates(_any(words[:1]), COMMON_CANDIDATES),
    ]


def _required(query: ParsedQuery, params: dict) -> str:
    required = ["TRUE"]
    for n, excluded in enumerate(query.excluded):
        # An excluded stopword is an empty query, which matches nothing: nothing is excluded.
        required.append(f"NOT p.search_vector @@ phraseto_tsquery('english', %(excluded{n})s)")
        params[f"excluded{n}"] = excluded
    return " AND ".join(required)


def search(query: ParsedQuery, connection, limit: int) -> list[tuple[int, float]]:
    stats = term_stats.lookup(list(query.words), list(query.phrases), connection=connection)
    if not stats.terms:
        return []
    params: dict = {
        "queries": [t.tsquery for t in stats.terms],
        "idfs": [_idf(t.documents, stats.papers) for t in stats.terms],
        "k1": K1,
        "k1_plus_1": K1 + 1,
        "b": B,
        "average_length": max(stats.average_length, 1.0),
        "limit": limit,
    }
    required = _required(query, params)
    for candidates in candidate_filters(stats):
        sql = _RANK_SQL.format(
            required=required,
            newest=candidates.sql(),
            weights=FIELD_WEIGHTS,
            abstract_weight=ABSTRACT_WEIGHT,
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, {**params, "candidates": candidates.tsquery, "above_id": candidates.above_id})
            found = [(pk, float(score)) for pk, score in cursor.fetchall()]
        if found:
            return found
    return []
