"""Source kinds: each module fetches one kind of endpoint and parses it into plain records.

No ORM in here; papers.ingest turns records into rows.
"""

from collections.abc import Callable

from papers.http import HttpClient
from papers.sources import arxiv, arxiv_rss, feed, hf_daily
from papers.sources.records import AuthorRecord, FetchResult, PaperRecord

Fetcher = Callable[..., FetchResult]

# Keys are Source.Kind values.
FETCHERS: dict[str, Fetcher] = {
    "arxiv": arxiv.fetch,
    "arxiv-rss": arxiv_rss.fetch,
    "hf-daily": hf_daily.fetch,
    "feed": feed.fetch,
}


def fetch(
    kind: str, client: HttpClient, *, url: str, limit: int, etag: str = "", last_modified: str = ""
) -> FetchResult:
    """Fetch and parse one source; raises FetchError (and KeyError for an unknown kind)."""
    return FETCHERS[kind](client, url=url, limit=limit, etag=etag, last_modified=last_modified)


__all__ = ["FETCHERS", "AuthorRecord", "FetchResult", "PaperRecord", "fetch"]
