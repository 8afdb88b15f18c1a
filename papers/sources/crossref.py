"""Crossref-compatible works API (JSON), for papers added by DOI: {CROSSREF_API_URL}/{doi}."""

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from papers import normalise
from papers.http import FetchError, HttpClient
from papers.sources.records import AuthorRecord, PaperRecord
from papers.sources.text import html_to_text, http_url, plain_text, squash


def _first(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return squash(value) if isinstance(value, str) else ""


def _author(value: Any) -> AuthorRecord | None:
    if not isinstance(value, dict):
        return None
    name = squash(" ".join(p for p in (value.get("given"), value.get("family")) if isinstance(p, str)))
    name = plain_text(name or _first(value.get("name")))
    affiliations = [a.get("name") for a in value.get("affiliation") or [] if isinstance(a, dict)]
    affiliation = "; ".join(plain_text(a) for a in affiliations if isinstance(a, str) and a.strip())
    return AuthorRecord(name=name, affiliation=affiliation) if name else None


def _date(message: dict) -> datetime | None:
    for key in ("published", "published-print", "published-online", "issued", "created"):
        parts = (message.get(key) or {}).get("date-parts") if isinstance(message.get(key), dict) else None
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            numbers = [p for p in parts[0][:3] if isinstance(p, int)]
            numbers += [1] * (3 - len(numbers))
            try:
                return datetime(*numbers, tzinfo=UTC)
            except (TypeError, ValueError):
                continue
    return None


def parse(body: bytes, *, doi: str) -> PaperRecord:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise FetchError(f"Malformed JSON from the DOI metadata service: {error}", permanent=True) from error
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(message, dict):
        raise FetchError("The DOI metadata service answered without a 'message' object", permanent=True)
    title = plain_text(_first(message.get("title")))
    if not title:
        raise FetchError(f"The DOI metadata service has no title for {doi}", permanent=True)
    listed = message.get("author")
    authors = [a for a in map(_author, listed if isinstance(listed, list) else []) if a]
    # Abstracts come as JATS XML ("<jats:p>...</jats:p>"); keep the words.
    abstract = html_to_text(message.get("abstract") if isinstance(message.get("abstract"), str) else "")
    return PaperRecord(
        title=title,
        abstract=abstract,
        doi=normalise.doi(_first(message.get("DOI"))) or doi,
        authors=authors,
        published_at=_date(message),
        url=http_url(_first(message.get("URL"))) or normalise.doi_url(doi),
    )


def doi_path(doi: str) -> str:
    """The DOI as URL path segments, each percent-encoded on its own: no character of a DOI
    (?, #, %, \\) can end the path or start a query, and "."/".." segments are refused."""
    if normalise.doi(doi) != doi:
        raise FetchError(f"Not a DOI that can be looked up: {doi!r}", permanent=True)
    return "/".join(quote(segment, safe="") for segment in doi.split("/"))


def fetch_doi(client: HttpClient, *, api_url: str, doi: str) -> PaperRecord:
    response = client.get(
        f"{api_url.rstrip('/')}/{doi_path(doi)}", accept="application/json", stay_on_host=True
    )
    return parse(response.content, doi=doi)
