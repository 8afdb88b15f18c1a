"""One ranking for every surface: the lexical matches, PostgreSQL's typo-tolerant title
matches, papers by authors or with tags named in a short query (papers.search.names) and the
semantic neighbours of the query's embedding, fused by reciprocal rank
(papers.search.fusion) into one list of (paper id, score), best first.

Phrases and exclusions are exact requests: such queries rank lexically only."""

from django.conf import settings
from django.db import connections

from papers.search import fusion, lexical, names, term_stats, text_index
from papers.search.query import ParsedQuery

# A typo is looked for in short queries only: a long description is found by its other
# words, and trigram similarity against a long text is both slow and meaningless.
TYPO_MAX_WORDS = 4


# Tuned on the SciTLDR dev split only (bench.search_quality); see docs/search.md.
DEFAULT_WEIGHTS = {"lexical": 1.0, "title_typo": 0.5, "names": 0.5, "semantic": 0.3}
# Below this cosine similarity a neighbour is noise (a query of unknown words still has some).
MIN_SIMILARITY = 0.2


def _weights() -> dict[str, float]:
    return {**DEFAULT_WEIGHTS, **getattr(settings, "SEARCH_FUSION_WEIGHTS", {})}


def _semantic(query: ParsedQuery, *, using: str, limit: int) -> list[int]:
    if query.has_operators or not query.words:
        return []
    from papers.search import semantic  # numpy and the model load on the first search

    return semantic.nearest(" ".join(query.words), using=using, limit=limit, min_similarity=MIN_SIMILARITY)


def _title_typos(query: ParsedQuery, *, using: str, limit: int) -> list[int]:
    """Titles with words close to the query's unknown words (pg_trgm word similarity),
    PostgreSQL only."""
    connection = connections[using]
    words = [w for w in query.words if w not in lexical.STOPWORDS]
    if connection.vendor != "postgresql" or query.has_operators or not 0 < len(words) <= TYPO_MAX_WORDS:
        return []
    words = _unknown(words, connection)
    if not words:
        return []
    text = " ".join(words)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM papers_paper WHERE %s <%% title "
            "ORDER BY word_similarity(%s, title) DESC, id DESC LIMIT %s",
            [text, text, limit],
        )
        return [pk for (pk,) in cursor.fetchall()]


def _unknown(words: list[str], connection) -> list[str]:
    """The words no paper uses: from the text index when the host has one (a dictionary lookup
    each), else from the word statistics and the GIN index (whose bitmap of a common word costs
    tens of ms at 1M papers when the statistics do not know it)."""
    counts = text_index.document_frequencies(words)
    if counts is None:
        return term_stats.unknown_words(words, connection=connection)
    return [word for word, count in zip(words, counts, strict=True) if count == 0]


def rank(query: ParsedQuery, *, using: str, limit: int) -> list[tuple[int, float]]:
    weights = _weights()
    lexical_ids = [pk for pk, _ in lexical.search(query, using=using, limit=limit)]
    rankings = [(weights["lexical"], lexical_ids)]
    rankings.append((weights["title_typo"], _title_typos(query, using=using, limit=limit)))
    rankings.append((weights["names"], names.by_name(query, using=using, limit=limit)))
    if weights["semantic"] > 0:
        rankings.append((weights["semantic"], _semantic(query, using=using, limit=limit)))
    return fusion.fuse(rankings, limit=limit)
