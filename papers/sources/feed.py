"""Any RSS or Atom feed (feedparser): a lab blog, a journal's table of contents, a bookmark list.

An item becomes a paper when it points to an arXiv paper (its link, any of its
links or its id) or carries a DOI (prism:doi, dc:identifier, a doi.org link or
a doi: id). Everything else is counted as skipped.
"""

import calendar
import xml.sax
from datetime import UTC, datetime

import feedparser

from papers import normalise
from papers.http import FetchError, HttpClient
from papers.sources.document import fetch_document
from papers.sources.records import AuthorRecord, FetchResult, PaperRecord
from papers.sources.text import html_to_text, http_url, plain_text


def _datetime(entry, key: str) -> datetime | None:
    # dict.get skips feedparser's key aliases (and their deprecation warning):
    # "updated" must mean updated, not a fallback to "published".
    parsed = dict.get(entry, key)
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, TypeError):
        return None


def _candidate_urls(entry) -> list[str]:
    urls = [entry.get("link", ""), *(link.get("href", "") for link in entry.get("links", []))]
    return [u for u in (*urls, entry.get("id", "")) if isinstance(u, str) and u]


def _arxiv_ref(entry) -> normalise.ArxivRef | None:
    refs = [normalise.arxiv_ref(url) for url in _candidate_urls(entry)]
    found = [ref for ref in refs if ref]
    # Prefer a reference that names its version (an abs/v2 link) over a bare one.
    return next((r for r in found if r.version), found[0] if found else None)


def _doi(entry) -> str:
    for value in (entry.get("prism_doi", ""), entry.get("dc_identifier", ""), *_candidate_urls(entry)):
        found = normalise.doi(value) if isinstance(value, str) else ""
        if found:
            return found
    return ""


def _authors(entry) -> list[AuthorRecord]:
    names = [plain_text(a.get("name", "")) for a in entry.get("authors", []) if isinstance(a, dict)]
    return [AuthorRecord(name=name) for name in names if name]


def parse_entry(entry) -> tuple[PaperRecord | None, bool]:
    """(record, is_paper): not a paper -> (None, False); a paper without a title -> (None, True)."""
    ref, doi = _arxiv_ref(entry), _doi(entry)
    if ref is None and not doi:
        return None, False
    title = plain_text(entry.get("title", ""))
    if not title:
        return None, True
    if ref:
        url, pdf_url = normalise.arxiv_abs_url(ref.id), normalise.arxiv_pdf_url(ref.versioned)
    else:
        url, pdf_url = http_url(entry.get("link", "")) or normalise.doi_url(doi), ""
    record = PaperRecord(
        title=title,
        abstract=html_to_text(entry.get("summary", "")),
        arxiv_id=ref.id if ref else "",
        arxiv_version=ref.version if ref else None,
        doi=doi,
        authors=_authors(entry),
        published_at=_datetime(entry, "published_parsed") or _datetime(entry, "updated_parsed"),
        updated_at=_datetime(entry, "updated_parsed"),
        url=url,
        pdf_url=pdf_url,
    )
    return record, True


def parse(body: bytes, *, limit: int | None = None) -> FetchResult:
    if not body.strip():
        raise FetchError("Empty response where an RSS or Atom feed was expected", permanent=True)
    try:
        parsed = feedparser.parse(body)
    except (ValueError, LookupError) as error:
        # A byte the encoding sniffer cannot read in the XML declaration (found by
        # papers/tests/test_parsers_fuzz.py): UnicodeDecodeError, "embedded null character".
        raise FetchError(f"Malformed feed: {error}", permanent=True) from error
    # feedparser recovers from broken XML with a lenient parser; a broken feed
    # is still a failed fetch, so its guesses never reach the database.
    if parsed.get("bozo") and isinstance(parsed.get("bozo_exception"), xml.sax.SAXException):
        raise FetchError(f"Malformed feed: {parsed.bozo_exception}", permanent=True)
    if not parsed.get("version"):
        raise FetchError("Not an RSS or Atom feed", permanent=True)
    result = FetchResult()
    for entry in parsed.entries[:limit]:
        record, is_paper = parse_entry(entry)
        if record is not None:
            result.records.append(record)
        elif is_paper:
            result.failed += 1
        else:
            result.skipped += 1
    return result


FEED_ACCEPT = "application/atom+xml, application/rss+xml, application/xml;q=0.9, */*;q=0.8"


def fetch(
    client: HttpClient, *, url: str, limit: int, etag: str = "", last_modified: str = ""
) -> FetchResult:
    return fetch_document(
        client, parse, accept=FEED_ACCEPT, url=url, limit=limit, etag=etag, last_modified=last_modified
    )
