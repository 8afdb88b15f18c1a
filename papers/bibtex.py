"""BibTeX for a list of papers, written with bibtexparser (v2).

Entries are @misc, as arXiv's own export writes them (we know no journal). Text
fields are LaTeX-encoded (accents, %, &, _ ...); identifiers and URLs stay verbatim,
because BibTeX styles print them with \\url and friends, where escapes would show.
Every value's braces pair up (see balanced): titles come from outside sources, and BibTeX
ends a field at the first brace that closes more than were opened, escaped or not.
"""

import re
import unicodedata
from collections.abc import Iterable

import bibtexparser
from bibtexparser import Library
from bibtexparser.middlewares import (
    AddEnclosingMiddleware,
    LatexEncodingMiddleware,
    MonthAbbreviationMiddleware,
)
from bibtexparser.model import Entry, Field

from papers.models import Paper

VERBATIM_FIELDS = frozenset({"url", "doi", "eprint", "archiveprefix", "primaryclass"})
STOP_WORDS = frozenset({"a", "an", "the", "on", "of", "in", "for", "and", "to", "with", "towards"})
# A brace as BibTeX sees it: "\\}" (LaTeX's escaped brace) counts as one as much as "}" does.
BRACE = re.compile(r"\\?[{}]")


def balanced(value: str) -> str:
    """The value with a space for each brace BibTeX could not pair (with its escaping backslash).

    A title such as "Robust }, year = 1999, note = 1337, x = {" would otherwise end its field
    early and write fields of its own. BibTeX has no way to write a lone brace; a space (not
    nothing) keeps words apart and "$}$" from becoming "$$". Paired braces, escaped or not, stay.
    """
    opened: list[re.Match] = []
    unpaired: list[re.Match] = []
    for brace in BRACE.finditer(value):
        if brace.group().endswith("{"):
            opened.append(brace)
        elif opened:
            opened.pop()
        else:
            unpaired.append(brace)
    for brace in sorted([*unpaired, *opened], key=lambda m: m.start(), reverse=True):
        value = f"{value[: brace.start()]} {value[brace.end() :]}"
    return value


class TextLatexEncoding(LatexEncodingMiddleware):
    """LaTeX-encode every field except identifiers and URLs; then balance every field's braces."""

    def transform_entry(self, entry: Entry, library: Library):
        verbatim = {field.key: field.value for field in entry.fields if field.key.lower() in VERBATIM_FIELDS}
        block = super().transform_entry(entry, library)
        for field in block.fields:
            field.value = balanced(verbatim.get(field.key, field.value))
        return block


def _ascii_word(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def citation_key(paper: Paper, authors: list[str]) -> str:
    """surname + year + first significant title word, e.g. "example2024study"."""
    surname = _ascii_word(authors[0].split()[-1]) if authors else "anon"
    words = [_ascii_word(w) for w in paper.title.split()]
    word = next((w for w in words if w and w not in STOP_WORDS), "")
    year = paper.published_at.year if paper.published_at else ""
    return f"{surname or 'anon'}{year}{word}"


def _braces_free(url: str) -> str:
    # A brace would end the field early; percent-encoding keeps the URL (or DOI) the same.
    return url.replace("{", "%7B").replace("}", "%7D")


def paper_entry(paper: Paper, key: str, authors: list[str]) -> Entry:
    fields = [
        Field("title", paper.title),
        Field("author", " and ".join(authors) or "Anonymous"),
    ]
    if paper.published_at:  # unknown while a suggestion waits for its details
        fields += [Field("year", str(paper.published_at.year)), Field("month", str(paper.published_at.month))]
    if paper.arxiv_id:
        fields += [Field("eprint", paper.arxiv_id), Field("archiveprefix", "arXiv")]
        if paper.categories:
            fields.append(Field("primaryclass", paper.categories[0]))
    if paper.doi:
        fields.append(Field("doi", _braces_free(paper.doi)))
    url = paper.url or (f"https://arxiv.org/abs/{paper.arxiv_id}" if paper.arxiv_id else "")
    if url:
        fields.append(Field("url", _braces_free(url)))
    if paper.keywords:
        fields.append(Field("keywords", ", ".join(str(k) for k in paper.keywords)))
    if paper.abstract:
        fields.append(Field("abstract", paper.abstract))
    return Entry("misc", key, fields)


def _authors(paper: Paper) -> list[str]:
    # Uses the prefetched, ordered authorships when the caller prefetched them.
    return [link.author.name for link in paper.authorships.all()]


def papers_to_bibtex(papers: Iterable[Paper]) -> str:
    """One BibTeX entry per paper, keys made unique with a, b, c ... suffixes."""
    library = Library()
    used: set[str] = set()
    for paper in papers:
        authors = _authors(paper)
        base = key = citation_key(paper, authors)
        suffix = 0
        while key in used:
            key = f"{base}{chr(ord('a') + suffix % 26)}{suffix // 26 or ''}"
            suffix += 1
        used.add(key)
        library.add(paper_entry(paper, key, authors))
    stack = [
        TextLatexEncoding(keep_math=True, enclose_urls=False),
        # "oct", unbraced: the month macros every BibTeX style knows.
        MonthAbbreviationMiddleware(),
        AddEnclosingMiddleware(reuse_previous_enclosing=False, enclose_integers=False, default_enclosing="{"),
    ]
    return bibtexparser.write_string(library, unparse_stack=stack)
