"""Preparing records for the upsert: values that fit the columns, identity keys, one record per paper."""

import dataclasses
from datetime import UTC, datetime

from papers import normalise
from papers.models import Author, Paper, PaperAuthor, Tag
from papers.sources.records import AuthorRecord, PaperRecord
from papers.sources.text import http_url, squash

# Shorter titles ("Introduction", "Erratum") are too common to identify a paper.
TITLE_MATCH_MIN_LENGTH = 20
_TITLE_MAX = Paper._meta.get_field("title").max_length
_AUTHOR_MAX = Author._meta.get_field("name").max_length
_AFFILIATION_MAX = PaperAuthor._meta.get_field("affiliation").max_length
_TAG_MAX = Tag._meta.get_field("name").max_length


def _text(value: str | None) -> str:
    # PostgreSQL text columns refuse NUL characters, which JSON sources can carry ("\u0000").
    return (value or "").replace("\x00", "")


def _moment(value: datetime | None) -> datetime | None:
    """The time in UTC, or None when it falls outside the years 1-9999 there (or has an offset
    PostgreSQL refuses): a date no paper has, and one that would fail the whole batch."""
    if value is None:
        return None
    try:
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    except (OverflowError, ValueError):
        return None


def _fit(value: str, length: int) -> str:
    # Strip after cutting too, so cleaning a cleaned value again changes nothing.
    return value.strip()[:length].rstrip()


def _clean_authors(authors: list[AuthorRecord]) -> list[AuthorRecord]:
    seen, cleaned = set(), []
    for author in authors:
        name = _fit(squash(_text(author.name)), _AUTHOR_MAX)
        if name and name not in seen:  # an author appears once per paper
            seen.add(name)
            affiliation = _fit(squash(_text(author.affiliation)), _AFFILIATION_MAX)
            cleaned.append(AuthorRecord(name=name, affiliation=affiliation))
    return cleaned


def clean_record(record: PaperRecord) -> PaperRecord | None:
    """A record with normalised ids and values that fit the columns, or None if it has no title."""
    title = _fit(squash(_text(record.title)), _TITLE_MAX)
    if not title:
        return None
    ref = normalise.arxiv_ref(record.arxiv_id) if record.arxiv_id else None
    arxiv_id = ref.id if ref else ""
    version = record.arxiv_version or (ref.version if ref else None)
    votes = record.external_votes
    return dataclasses.replace(
        record,
        title=title,
        abstract=_text(record.abstract).strip(),
        arxiv_id=arxiv_id,
        arxiv_version=version
        if arxiv_id and version and 0 < version <= normalise.MAX_ARXIV_VERSION
        else None,
        doi=normalise.doi(record.doi) if record.doi else "",
        authors=_clean_authors(record.authors),
        categories=list(
            dict.fromkeys(_fit(_text(c), _TAG_MAX) for c in record.categories if _text(c).strip())
        ),
        published_at=_moment(record.published_at),
        updated_at=_moment(record.updated_at),
        url=http_url(record.url),
        pdf_url=http_url(record.pdf_url),
        code_url=http_url(record.code_url),
        external_votes=votes if votes is not None and 0 <= votes < 2**31 else None,
    )


def identity_keys(record: PaperRecord) -> list[str]:
    keys = []
    if record.arxiv_id:
        keys.append("a:" + record.arxiv_id)
    if record.doi:
        keys.append("d:" + record.doi)
    title = normalise.title_key(record.title)
    if not keys and len(title) >= TITLE_MATCH_MIN_LENGTH:
        keys.append("t:" + title)
    return keys


def _combine(base: PaperRecord, other: PaperRecord) -> PaperRecord:
    """One record from two of the same paper: the newer version wins, the other fills blanks."""
    if (other.arxiv_version or 0) > (base.arxiv_version or 0):
        base, other = other, base
    filled = {
        f.name: getattr(other, f.name)
        for f in dataclasses.fields(base)
        if not getattr(base, f.name) and getattr(other, f.name) and f.name != "external_votes"
    }
    votes = [v for v in (base.external_votes, other.external_votes) if v is not None]
    return dataclasses.replace(base, **filled, external_votes=max(votes) if votes else None)


def merge_duplicates(records: list[PaperRecord]) -> list[PaperRecord]:
    """Collapse records of the same paper within one fetch (one row must get one write)."""
    merged: list[PaperRecord] = []
    index_of: dict[str, int] = {}
    for record in records:
        keys = identity_keys(record)
        index = next((index_of[k] for k in keys if k in index_of), None)
        if index is None:
            index = len(merged)
            merged.append(record)
        else:
            merged[index] = _combine(merged[index], record)
        for key in identity_keys(merged[index]):
            index_of.setdefault(key, index)
    return merged
