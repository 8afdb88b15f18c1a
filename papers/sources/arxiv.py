"""arXiv API (Atom): https://export.arxiv.org/api/query?search_query=cat:cs.LG&sortBy=submittedDate

Parsed with lxml rather than feedparser, which drops the arxiv:affiliation of authors.
Pages with start/max_results up to the source's limit or opensearch:totalResults, one request
per FETCH_ARXIV_INTERVAL_SECONDS (arXiv asks for three seconds between requests). The API
answers short and empty pages now and then: a short page is kept and paging goes on from where
it ended; an empty page is asked again with the client's backoff, and when it stays empty the
result says so (`incomplete`) and keeps what came.
"""

from dataclasses import dataclass, field

import httpx
from django.conf import settings
from tenacity import Retrying, retry_if_result, stop_after_attempt

from papers import normalise
from papers.http import FetchError, HttpClient, Response
from papers.sources.records import AuthorRecord, FetchResult, PaperRecord
from papers.sources.text import parse_iso_datetime, parse_xml, plain_text, squash

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"


@dataclass
class ArxivPage:
    records: list[PaperRecord] = field(default_factory=list)
    entries: int = 0  # entries on this page, papers or not
    failed: int = 0
    total: int | None = None  # opensearch:totalResults


def _text(element, path: str) -> str:
    found = element.find(path)
    return squash(found.text) if found is not None and found.text else ""


def _is_error_entry(entry) -> bool:
    # arXiv answers a bad query with HTTP 200 and a single entry titled "Error"
    # whose id points into /api/errors.
    return "/api/errors" in _text(entry, f"{ATOM}id") or (
        _text(entry, f"{ATOM}title") == "Error" and normalise.arxiv_ref(_text(entry, f"{ATOM}id")) is None
    )


def _authors(entry) -> list[AuthorRecord]:
    authors = []
    for author in entry.findall(f"{ATOM}author"):
        name = plain_text(_text(author, f"{ATOM}name"))
        if not name:
            continue
        affiliations = [plain_text(a.text) for a in author.findall(f"{ARXIV}affiliation") if a.text]
        authors.append(AuthorRecord(name=name, affiliation="; ".join(a for a in affiliations if a)))
    return authors


def _categories(entry) -> list[str]:
    primary = entry.find(f"{ARXIV}primary_category")
    terms = [primary.get("term", "")] if primary is not None else []
    terms += [c.get("term", "") for c in entry.findall(f"{ATOM}category")]
    return list(dict.fromkeys(term for term in map(plain_text, terms) if term))


def _links(entry, identifier: str) -> tuple[str, str]:
    url = pdf_url = ""
    for link in entry.findall(f"{ATOM}link"):
        href = link.get("href", "")
        if link.get("title") == "pdf":
            pdf_url = href
        elif link.get("rel") == "alternate":
            url = href
    return url or normalise.arxiv_abs_url(identifier), pdf_url or normalise.arxiv_pdf_url(identifier)


def parse_entry(entry) -> PaperRecord | None:
    ref = normalise.arxiv_ref(_text(entry, f"{ATOM}id"))
    title = plain_text(_text(entry, f"{ATOM}title"))
    if ref is None or not title:
        return None
    url, pdf_url = _links(entry, ref.versioned)
    return PaperRecord(
        title=title,
        abstract=squash(_text(entry, f"{ATOM}summary")),
        arxiv_id=ref.id,
        arxiv_version=ref.version,
        doi=normalise.doi(_text(entry, f"{ARXIV}doi")),
        authors=_authors(entry),
        categories=_categories(entry),
        published_at=parse_iso_datetime(_text(entry, f"{ATOM}published")),
        updated_at=parse_iso_datetime(_text(entry, f"{ATOM}updated")),
        url=url.replace("http://", "https://", 1),
        pdf_url=pdf_url.replace("http://", "https://", 1),
    )


def parse(body: bytes) -> ArxivPage:
    """One page of arXiv API results. Raises FetchError for malformed XML and the error entry."""
    root = parse_xml(body, what="arXiv Atom feed")
    if root.tag != f"{ATOM}feed":
        raise FetchError(f"Expected an Atom feed from arXiv, got <{root.tag}>", permanent=True)
    entries = root.findall(f"{ATOM}entry")
    for entry in entries:
        if _is_error_entry(entry):
            detail = _text(entry, f"{ATOM}summary") or _text(entry, f"{ATOM}id")
            raise FetchError(f"arXiv API error: {detail}", permanent=True)
    total = _text(root, f"{OPENSEARCH}totalResults")
    page = ArxivPage(entries=len(entries), total=int(total) if total.isdigit() else None)
    for entry in entries:
        record = parse_entry(entry)
        if record is None:
            page.failed += 1
        else:
            page.records.append(record)
    return page


def _page_url(url: str, *, start: int, max_results: int) -> str:
    return str(httpx.URL(url).copy_set_param("start", start).copy_set_param("max_results", max_results))


def _get_page(
    client: HttpClient, url: str, *, start: int, wanted: int, total: int | None, etag: str, last_modified: str
) -> tuple[Response, ArxivPage | None]:
    """One page (None when answered 304), asked again with backoff while it is empty though
    totalResults (this page's, else the last one's) says more remain."""

    def get() -> tuple[Response, ArxivPage | None]:
        response = client.get(
            _page_url(url, start=start, max_results=wanted),
            etag=etag,
            last_modified=last_modified,
            min_interval=settings.FETCH_ARXIV_INTERVAL_SECONDS,
            accept="application/atom+xml",
        )
        return response, None if response.not_modified else parse(response.content)

    def empty_too_soon(answer: tuple[Response, ArxivPage | None]) -> bool:
        page = answer[1]
        known = total if page is None or page.total is None else page.total
        return page is not None and page.entries == 0 and known is not None and start < known

    retrying = Retrying(
        stop=stop_after_attempt(client.retries + 1),
        retry=retry_if_result(empty_too_soon),
        wait=client.backoff_wait,
        sleep=client.sleep,
        retry_error_callback=lambda state: state.outcome.result(),  # the last empty page
    )
    return retrying(get)


def fetch(
    client: HttpClient, *, url: str, limit: int, etag: str = "", last_modified: str = ""
) -> FetchResult:
    page_size = max(1, min(settings.FETCH_ARXIV_PAGE_SIZE, limit))
    result, offset, total = FetchResult(), 0, None
    while offset < (limit if total is None else min(limit, total)):
        wanted = min(page_size, limit - offset)
        first = offset == 0
        # Only the first page is conditional: it says whether anything changed.
        response, page = _get_page(
            client,
            url,
            start=offset,
            wanted=wanted,
            total=total,
            etag=etag if first else "",
            last_modified=last_modified if first else "",
        )
        if page is None:
            return FetchResult(not_modified=True, etag=etag, last_modified=last_modified)
        if first:
            result.etag, result.last_modified = response.etag, response.last_modified
        result.records += page.records
        result.failed += page.failed
        offset += page.entries
        total = page.total if page.total is not None else total
        if page.entries == 0 and total is not None and offset < total:
            result.incomplete = (
                f"arXiv answered an empty page at {offset} of {total} results "
                f"{client.retries + 1} times; stopped with {offset} entries."
            )
            break
        if total is None and page.entries < wanted:
            break  # no totalResults to say more remain
    return result


def fetch_ids(client: HttpClient, *, api_url: str, ids: list[str]) -> list[PaperRecord]:
    """Metadata for the given arXiv ids (for papers added by URL)."""
    request_url = str(
        httpx.URL(api_url).copy_set_param("id_list", ",".join(ids)).copy_set_param("max_results", len(ids))
    )
    response = client.get(
        request_url,
        min_interval=settings.FETCH_ARXIV_INTERVAL_SECONDS,
        accept="application/atom+xml",
        stay_on_host=True,
    )
    return parse(response.content).records
