"""Authors' and tags' names: a short query that names a person or a topic ranks their papers.

Names are matched at query time rather than copied into each paper's search text: a paper's
authors and tags are rows of their own, and copying them would rewrite the paper (and its
full-text entry) on every link added. Papers matching more of the query's words come first.

With a text index on the host (papers.search.text_index) the names are looked up there instead,
as whole words: its documents carry their authors' and tags' names (a link added bumps the
paper's modified_at, so the workers index it again), and `icontains` over 500,000 authors was
the largest cost of a short query at 1M papers.
"""

from django.db.models import Count, Q

from papers.models import Paper, PaperAuthor
from papers.search import text_index
from papers.search.lexical import STOPWORDS
from papers.search.query import ParsedQuery

NAME_MAX_WORDS = 4  # names are short; a description is found by its words instead
MIN_WORD_LENGTH = 3  # "li" would match half the names


def _name_words(query: ParsedQuery) -> list[str]:
    if query.has_operators:
        return []
    words = [w for w in query.words if len(w) >= MIN_WORD_LENGTH and w not in STOPWORDS]
    return words if len(words) <= NAME_MAX_WORDS else []


def _hits(links, field: str, words: list[str]):
    match = Q()
    for word in words:
        match |= Q(**{f"{field}__icontains": word})
    hits = links.filter(match).order_by().values("paper_id").annotate(hits=Count("pk"))
    return hits.values_list("paper_id", "hits")


def by_name(query: ParsedQuery, *, using: str, limit: int) -> list[int]:
    """Papers by authors, or with tags, whose names contain the query's words; most matches
    first (one statement for both)."""
    words = _name_words(query)
    if not words:
        return []
    found = text_index.by_names(words, limit)
    if found is not None:
        return found
    authors = _hits(PaperAuthor.objects.using(using), "author__name", words)
    tags = _hits(Paper.tags.through.objects.using(using), "tag__name", words)
    rows = authors.union(tags, all=True).order_by("-hits", "-paper_id")[:limit]
    return list(dict.fromkeys(paper_id for paper_id, _ in rows))
