"""arXiv listing feeds (RSS 2.0): https://rss.arxiv.org/rss/cs.LG

Each item carries an announce type: `new`, `cross` (cross-listed from another
category), `replace` / `replace-cross` (a new version of a paper announced
before). Replacements carry the new version, so the upsert updates the row.
"""

import re

from papers import normalise
from papers.http import FetchError, HttpClient
from papers.sources.document import collect, fetch_document
from papers.sources.records import AuthorRecord, FetchResult, PaperRecord
from papers.sources.text import parse_http_datetime, parse_xml, plain_text, squash

ARXIV = "{http://arxiv.org/schemas/atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
ANNOUNCE_TYPES = frozenset({"new", "cross", "replace", "replace-cross"})

# "arXiv:2401.12345v2 Announce Type: replace Abstract: We ..."
_DESCRIPTION = re.compile(
    r"^\s*arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s+Abstract:\s*(?P<abstract>.*)$",
    re.DOTALL | re.IGNORECASE,
)
# Older listings appended "(arXiv:2401.12345v1 [cs.LG])" to the title.
_TITLE_SUFFIX = re.compile(r"\s*\(arXiv:[^)]*\)\s*$")
_AND = re.compile(r",?\s+and\s+")


def _text(element, path: str) -> str:
    found = element.find(path)
    return squash(found.text) if found is not None and found.text else ""


def _authors(creators: str) -> list[AuthorRecord]:
    names = [plain_text(name) for name in _AND.sub(", ", creators).split(",")]
    return [AuthorRecord(name=name) for name in names if name]


def _reference(item) -> tuple[normalise.ArxivRef | None, str, str]:
    """(arXiv reference with version, announce type, abstract) of one item."""
    description = _text(item, "description")
    match = _DESCRIPTION.match(description)
    announce = _text(item, f"{ARXIV}announce_type") or (match["type"] if match else "")
    abstract = squash(match["abstract"]) if match else description
    ref = None
    for candidate in (match["id"] if match else "", _text(item, "guid"), _text(item, "link")):
        found = normalise.arxiv_ref(candidate)
        if found and (ref is None or (found.version and not ref.version)):
            ref = found
        if ref and ref.version:
            break
    return ref, announce.lower(), abstract


def parse_item(item) -> PaperRecord | None:
    ref, announce, abstract = _reference(item)
    title = plain_text(_TITLE_SUFFIX.sub("", _text(item, "title")))
    if ref is None or not title:
        return None
    categories = list(dict.fromkeys(term for c in item.findall("category") if (term := plain_text(c.text))))
    return PaperRecord(
        title=title,
        abstract=abstract,
        arxiv_id=ref.id,
        arxiv_version=ref.version,
        doi=normalise.doi(_text(item, f"{ARXIV}DOI") or _text(item, f"{ARXIV}doi")),
        authors=_authors(_text(item, f"{DC}creator")),
        categories=categories,
        published_at=parse_http_datetime(_text(item, "pubDate")),
        url=normalise.arxiv_abs_url(ref.id),
        pdf_url=normalise.arxiv_pdf_url(ref.versioned),
        announce_type=announce if announce in ANNOUNCE_TYPES else "",
    )


def parse(body: bytes, *, limit: int | None = None) -> FetchResult:
    root = parse_xml(body, what="arXiv RSS feed")
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise FetchError(f"Expected an RSS 2.0 feed from arXiv, got <{root.tag}>", permanent=True)
    return collect(channel.findall("item")[:limit], parse_item)


def fetch(
    client: HttpClient, *, url: str, limit: int, etag: str = "", last_modified: str = ""
) -> FetchResult:
    return fetch_document(
        client,
        parse,
        accept="application/rss+xml",
        url=url,
        limit=limit,
        etag=etag,
        last_modified=last_modified,
    )
