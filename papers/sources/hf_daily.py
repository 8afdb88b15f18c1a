"""Hugging Face daily papers (JSON): https://huggingface.co/api/daily_papers

Every field is treated as optional. The upvotes are kept as an outside signal
(Paper.external_votes); re-fetching during the day updates them in place.
"""

import json
from typing import Any

from papers import normalise
from papers.http import FetchError, HttpClient
from papers.sources.document import collect, fetch_document
from papers.sources.records import AuthorRecord, FetchResult, PaperRecord
from papers.sources.text import http_url, parse_iso_datetime, plain_text, squash


def _str(value: Any) -> str:
    return squash(value) if isinstance(value, str) else ""


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _authors(value: Any) -> list[AuthorRecord]:
    if not isinstance(value, list):
        return []
    names = [plain_text(_str(_dict(author).get("name"))) for author in value]
    return [AuthorRecord(name=name) for name in names if name]


def _votes(value: Any) -> int | None:
    # bool is an int in Python; a true/false "upvotes" is not a count.
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return min(value, 2**31 - 1)
    return None


def parse_item(item: Any) -> PaperRecord | None:
    item = _dict(item)
    paper = _dict(item.get("paper"))
    ref = normalise.arxiv_ref(_str(paper.get("id")) or _str(item.get("id")))
    title = plain_text(_str(paper.get("title")) or _str(item.get("title")))
    if ref is None or not title:
        return None
    return PaperRecord(
        title=title,
        abstract=_str(paper.get("summary")) or _str(item.get("summary")),
        arxiv_id=ref.id,
        arxiv_version=ref.version,
        authors=_authors(paper.get("authors")),
        published_at=parse_iso_datetime(_str(paper.get("publishedAt")) or _str(item.get("publishedAt"))),
        url=normalise.arxiv_abs_url(ref.id),
        pdf_url=normalise.arxiv_pdf_url(ref.versioned),
        code_url=http_url(_str(paper.get("githubRepo"))),
        external_votes=_votes(paper.get("upvotes")),
    )


def parse(body: bytes, *, limit: int | None = None) -> FetchResult:
    try:
        items = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise FetchError(f"Malformed JSON from Hugging Face: {error}", permanent=True) from error
    if not isinstance(items, list):
        raise FetchError(f"Expected a JSON list of daily papers, got {type(items).__name__}", permanent=True)
    return collect(items[:limit], parse_item)


def fetch(
    client: HttpClient, *, url: str, limit: int, etag: str = "", last_modified: str = ""
) -> FetchResult:
    return fetch_document(
        client, parse, accept="application/json", url=url, limit=limit, etag=etag, last_modified=last_modified
    )
