"""Search results with the matching words marked, for the web search page.

The words are the ones the ranking used, parsed by papers.search.query on both
databases (phrases' words marked, excluded words not). On PostgreSQL the
database marks them (ts_headline with the ranking's own tsqueries, so stemmed
matches such as "transformers" for "transformer" are marked too); elsewhere a
small Python fallback marks the literal query words. Either way the text is HTML-escaped
first and only our own <mark> elements are added, so titles and abstracts
can never inject markup.
"""

import re

from django.contrib.postgres.search import SearchHeadline, SearchQuery
from django.db import connection
from django.db.models import QuerySet, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from papers.search import query as search_query

# Control characters no title or abstract contains: ts_headline wraps matches in
# them, and they become <mark> only after the text has been escaped.
MARK_START, MARK_STOP = "\x02", "\x03"
SNIPPET_CHARS = 240
MAX_TERMS = 8


def uses_postgres() -> bool:
    return connection.vendor == "postgresql"


def query_terms(query: str) -> list[str]:
    """The words the search ranked by (papers.search.query, as the ranking parses them): the
    words and the phrases' words, not the excluded ones, at most MAX_TERMS."""
    parsed = search_query.parse(query)
    words = [*parsed.words, *(w for phrase in parsed.phrases for w in phrase.split())]
    return list(dict.fromkeys(words))[:MAX_TERMS]


def _search_query(query: str) -> SearchQuery | None:
    """The ranking's own terms as one tsquery: any word (plainto, as papers.search.term_stats
    builds each) or phrase (phraseto); the first MAX_TERMS, as in the SQLite fallback."""
    parsed = search_query.parse(query)
    parts = [SearchQuery(w, config="english", search_type="plain") for w in parsed.words[:MAX_TERMS]]
    parts += [SearchQuery(p, config="english", search_type="phrase") for p in parsed.phrases]
    if not parts:
        return None
    combined = parts[0]
    for part in parts[1:]:
        combined |= part
    return combined


def with_headlines(papers: QuerySet, query: str) -> QuerySet:
    """On PostgreSQL, annotate the marked title and abstract snippet within the page query."""
    search = _search_query(query) if uses_postgres() else None
    if search is None:
        return papers
    marks = {"config": "english", "start_sel": MARK_START, "stop_sel": MARK_STOP}
    body = Coalesce(NullIf("abstract", Value("")), "summary")
    return papers.annotate(
        title_marked=SearchHeadline("title", search, highlight_all=True, **marks),
        snippet_marked=SearchHeadline(
            body, search, max_words=40, min_words=15, max_fragments=2, fragment_delimiter=" … ", **marks
        ),
    )


def marks_to_html(text: str) -> SafeString:
    escaped = escape(text)
    return mark_safe(escaped.replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>"))


def mark_terms(text: str, terms: list[str]) -> str:
    """Wrap every case-insensitive occurrence of the terms in the sentinel marks."""
    if not terms:
        return text
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.I)
    return pattern.sub(lambda m: f"{MARK_START}{m.group(0)}{MARK_STOP}", text)


def _snippet(text: str, terms: list[str]) -> str:
    """About SNIPPET_CHARS of text around the first match (or from the start), cut at spaces."""
    lower = text.lower()
    hits = [lower.find(t.lower()) for t in terms if t.lower() in lower]
    start = max(0, min(hits) - SNIPPET_CHARS // 3) if hits else 0
    end = start + SNIPPET_CHARS
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < (min(hits) if hits else end) else start
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    return ("… " if start else "") + text[start:end] + (" …" if end < len(text) else "")


def attach_highlights(papers: list, query: str) -> None:
    """Give each paper of a result page title_html and snippet_html for the paper card."""
    terms = query_terms(query)
    for paper in papers:
        title = getattr(paper, "title_marked", None) or mark_terms(paper.title, terms)
        snippet = getattr(paper, "snippet_marked", None)
        if snippet is None:
            snippet = mark_terms(_snippet(paper.abstract or paper.summary, terms), terms)
        paper.title_html = marks_to_html(title)
        paper.snippet_html = marks_to_html(snippet)
