"""What the single-document sources (RSS, JSON, feeds) share: one conditional
GET, then a parse of the whole body into records."""

from collections.abc import Callable, Iterable

from papers.http import HttpClient
from papers.sources.records import FetchResult, PaperRecord


def collect(items: Iterable, parse_item: Callable[[object], PaperRecord | None]) -> FetchResult:
    """Parse each item; an item too broken to use (None) counts as failed."""
    result = FetchResult()
    for item in items:
        record = parse_item(item)
        if record is None:
            result.failed += 1
        else:
            result.records.append(record)
    return result


def fetch_document(
    client: HttpClient,
    parse: Callable[..., FetchResult],
    *,
    accept: str,
    url: str,
    limit: int,
    etag: str = "",
    last_modified: str = "",
) -> FetchResult:
    response = client.get(url, etag=etag, last_modified=last_modified, accept=accept)
    if response.not_modified:
        return FetchResult(not_modified=True, etag=etag, last_modified=last_modified)
    result = parse(response.content, limit=limit)
    result.etag, result.last_modified = response.etag, response.last_modified
    return result
