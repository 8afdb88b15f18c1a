"""Search results with the matching words marked, for the web search page.

On PostgreSQL the database marks them (ts_headline, so stemmed matches such as
"transformers" for "transformer" are marked too); elsewhere a small Python
fallback marks the literal query words. Either way the text is HTML-escaped
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

# Control characters no title or abstract contains: ts_headline wraps matches in
# them, and they become <mark> only after the text has been escaped.
MARK_START, MARK_STOP = "\x02", "\x03"
SNIPPET_CHARS = 240
MAX_TERMS = 8


def uses_postgres() -> bool:
    return connection.vendor == "postgresql"


def query_terms(query: str) -> list[str]:
    """The words of a query, without quotes and operators, at most MAX_TERMS."""
    words = re.findall(r"\w[\w.+-]*", query)
    return [w for w in words if w.lower() not in {"or", "and", "not"}][:MAX_TERMS]


def _search_query(query: str) -> SearchQuery:
    return SearchQuery(query, config="english", search_type="websearch")


def with_headlines(papers: QuerySet, query: str) -> QuerySet:
    """On PostgreSQL, annotate the marked title and abstract snippet within the page query."""
    if not uses_postgres():
        return papers
    search = _search_query(query)
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
