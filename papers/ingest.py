"""paper_upsert: records from any source become one row per paper.

Matching: arXiv id, then DOI, then the title key (only when neither side has a
conflicting id, and only for titles long enough to be distinctive). A newer
arXiv version overwrites the row's metadata; anything else only fills blanks,
so the same fetch twice changes nothing and a thin source (a feed item) never
degrades what a rich one (the arXiv API) wrote.

Set-based for speed: per batch of records, one lookup of existing rows, one
multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING, one bulk update per set
of changed columns, and a handful of bulk statements for authors and tags.
Concurrent upserts of the same papers (two workers fetching one source, or two
sources sharing papers) are safe: on PostgreSQL each batch first takes
transaction-level advisory locks on its identity keys in sorted order, so
overlapping batches run one after the other and see each other's rows; rows
inserted meanwhile by anyone else are caught by ON CONFLICT and re-matched.
"""

from __future__ import annotations

import dataclasses
import logging
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from papers import normalise
from papers.bulk import insert_rows
from papers.dedupe import TITLE_MATCH_MIN_LENGTH, clean_record, identity_keys, merge_duplicates
from papers.models import Author, Paper, PaperAuthor, Tag, tag_slug
from papers.services import papers_queue_derived_data
from papers.sources.records import AuthorRecord, PaperRecord
from papers.trending import trending_score

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
ATTEMPTS = 3
# Advisory lock namespace (first key) and number of buckets for _lock_keys.
LOCK_CLASS, LOCK_BUCKETS = 0x7061, 64
# Columns a newer version may overwrite, and a thinner record may only fill when blank.
_TEXT_FIELDS = ("title", "abstract", "url", "pdf_url", "code_url", "published_at", "updated_at", "categories")
# Every concrete column except the id and the search vector (a trigger fills it on PostgreSQL).
_INSERT_FIELDS = [f for f in Paper._meta.concrete_fields if f.name not in ("id", "search_vector")]
# The unique indexes on arxiv_id and doi leave out blank values. PostgreSQL proves that
# `x IN (...)` excludes '' only for lists of up to 100 values; with a batch's 500 it read
# the whole table instead (300 ms a batch at a million papers, 12 ms with the index).
_IN_PARTIAL_INDEX = {"arxiv_id": ~Q(arxiv_id=""), "doi": ~Q(doi="")}
_LOOKUP_FIELDS = (
    "id",
    "arxiv_id",
    "arxiv_version",
    "doi",
    "title_key",
    "status",
    "external_votes",
    "metadata_pending",
    *_TEXT_FIELDS,
)


@dataclasses.dataclass
class UpsertCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(
            *(a + b for a, b in zip(dataclasses.astuple(self), dataclasses.astuple(other), strict=True))
        )


def paper_upsert(*, records: Iterable[PaperRecord], source=None, overwrite: bool = False) -> UpsertCounts:
    """Insert or update papers from parsed records; returns how many were new, updated, unchanged, failed.

    `overwrite` lets every record win over the stored row (used when filling in
    a paper that was added by URL with only a placeholder title).
    """
    counts, cleaned = UpsertCounts(), []
    for record in records:
        record = clean_record(record)
        if record is None:
            counts.failed += 1
        else:
            cleaned.append(record)
    for batch in _chunks(merge_duplicates(cleaned), BATCH_SIZE):
        counts += _upsert_batch_with_retries(batch, source=source, overwrite=overwrite)
    return counts


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- one batch --------------------------------------------------------------------


def _upsert_batch_with_retries(batch: list[PaperRecord], *, source, overwrite: bool) -> UpsertCounts:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return _Batch(batch, source=source, overwrite=overwrite).run()
        except (IntegrityError, OperationalError) as error:
            # Another writer got in between our lookup and our write (or a deadlock
            # was broken): the next attempt sees its rows and matches them.
            if attempt == ATTEMPTS:
                raise
            logger.info("Upsert batch conflicted (attempt %s): %s", attempt, error)
    raise AssertionError("unreachable")


def _lock_keys(records: list[PaperRecord]) -> None:
    """On PostgreSQL, serialise batches that may touch the same papers (released at commit).

    Identity keys hash into LOCK_BUCKETS advisory locks, taken in sorted order
    (no deadlocks) and bounded in number (the lock table is small). A big batch
    takes most buckets; a one-paper upsert takes one or two.
    """
    if connection.vendor != "postgresql":
        return  # SQLite runs write transactions one at a time already (BEGIN IMMEDIATE)
    keys = {key for record in records for key in identity_keys(record)}
    keys |= {"t:" + normalise.title_key(r.title) for r in records}
    buckets = sorted({zlib.crc32(key.encode()) % LOCK_BUCKETS for key in keys})
    with connection.cursor() as cursor:
        cursor.execute(
            # unnest yields the array in order, so the locks are taken in sorted order.
            "SELECT pg_advisory_xact_lock(%s, b) FROM unnest(%s::int[]) AS b",
            [LOCK_CLASS, buckets],
        )


class _Rows:
    """Existing rows of a batch, indexed by each identity key."""

    def __init__(self, rows: Iterable[dict]) -> None:
        self.by_arxiv: dict[str, dict] = {}
        self.by_doi: dict[str, dict] = {}
        self.by_title: dict[str, list[dict]] = defaultdict(list)
        for row in rows:
            if row["arxiv_id"]:
                self.by_arxiv[row["arxiv_id"]] = row
            if row["doi"]:
                self.by_doi[row["doi"]] = row
            self.by_title[row["title_key"]].append(row)


class _Batch:
    def __init__(self, records: list[PaperRecord], *, source, overwrite: bool) -> None:
        self.records = records
        self.source = source
        self.overwrite = overwrite
        self.now = timezone.now()
        self.counts = UpsertCounts()
        self.author_lists: dict[int, list[AuthorRecord]] = {}  # paper id -> authors to write
        self.category_lists: dict[int, list[str]] = {}  # paper id -> categories to link
        self.replaced_categories: set[int] = set()
        self.to_summarise: list[int] = []
        self.created: set[int] = set()

    def run(self) -> UpsertCounts:
        _lock_keys(self.records)
        rows = self._find(self.records)
        matches = {i: self._match(record, rows) for i, record in enumerate(self.records)}
        new = [i for i, row in matches.items() if row is None]
        inserted = self._insert([self.records[i] for i in new], rows)
        late = [i for i, paper_id in zip(new, inserted, strict=True) if paper_id is None]
        if late:  # inserted by someone else since our lookup: match them now
            rows = self._find([self.records[i] for i in late])
            matches.update({i: self._match(self.records[i], rows) for i in late})
        for i, paper_id in zip(new, inserted, strict=True):
            if paper_id is not None:
                self._created(self.records[i], paper_id)
        self._update({i: matches[i] for i in range(len(self.records)) if i not in new or i in late})
        self._write_authors()
        self._write_categories()
        self._queue_summaries()
        return self.counts

    # lookups

    def _find(self, records: list[PaperRecord]) -> _Rows:
        arxiv_ids = {r.arxiv_id for r in records if r.arxiv_id}
        dois = {r.doi for r in records if r.doi}
        titles = {
            k for k in (normalise.title_key(r.title) for r in records) if len(k) >= TITLE_MATCH_MIN_LENGTH
        }
        condition = Q()
        for field, values in (("arxiv_id", arxiv_ids), ("doi", dois), ("title_key", titles)):
            if values:
                condition |= Q(**{f"{field}__in": values}) & _IN_PARTIAL_INDEX.get(field, Q())
        if not condition:
            return _Rows([])
        return _Rows(Paper.objects.filter(condition).order_by("id").values(*_LOOKUP_FIELDS))

    def _match(self, record: PaperRecord, rows: _Rows) -> dict | None:
        if record.arxiv_id and record.arxiv_id in rows.by_arxiv:
            return rows.by_arxiv[record.arxiv_id]
        found = rows.by_doi.get(record.doi) if record.doi else None
        if found and not (record.arxiv_id and found["arxiv_id"]):
            return found
        key = normalise.title_key(record.title)
        if len(key) < TITLE_MATCH_MIN_LENGTH:
            return None
        for row in rows.by_title.get(key, []):
            if not (record.arxiv_id and row["arxiv_id"]) and not (record.doi and row["doi"]):
                return row
        return None

    # inserts

    def _insert(self, records: list[PaperRecord], rows: _Rows) -> list[int | None]:
        """Insert new papers; returns each one's id, or None where a row appeared meanwhile."""
        if not records:
            return []
        taken_dois = rows.by_doi
        status = (
            Paper.Status.LISTED if self.source is not None and self.source.auto_list else Paper.Status.PENDING
        )
        score = trending_score(vote_count=0, created_at=self.now)
        # Plain dicts rather than Paper instances: this runs for every new paper of every fetch.
        defaults = {f.name: f.get_default() for f in _INSERT_FIELDS}
        papers = [
            {
                **defaults,
                "arxiv_id": r.arxiv_id,
                "arxiv_version": r.arxiv_version,
                # A DOI another row holds already is not this paper's to take.
                "doi": "" if r.doi in taken_dois else r.doi,
                "title": r.title,
                "title_key": normalise.title_key(r.title),
                "abstract": r.abstract,
                "categories": r.categories,
                "published_at": r.published_at or self.now,
                "updated_at": r.updated_at,
                "url": r.url,
                "pdf_url": r.pdf_url,
                "code_url": r.code_url,
                "status": status,
                "trending_score": score,
                "external_votes": r.external_votes or 0,
                "source": self.source.pk if self.source is not None else None,
                "created_at": self.now,
                "modified_at": self.now,
            }
            for r in records
        ]
        names = [f.name for f in _INSERT_FIELDS]
        returned = insert_rows(
            Paper,
            names,
            [tuple(p[name] for name in names) for p in papers],
            returning=("id", "arxiv_id", "doi", "title_key"),
        )
        by_arxiv = {row[1]: row[0] for row in returned if row[1]}
        by_doi = {row[2]: row[0] for row in returned if row[2]}
        # Neither database promises RETURNING in VALUES order; rows without ids
        # (no unique index, so never skipped) pair up by title key in turn.
        by_title: dict[str, list[int]] = defaultdict(list)
        for paper_id, arxiv_id, doi, key in returned:
            if not arxiv_id and not doi:
                by_title[key].append(paper_id)
        ids = []
        for paper in papers:
            if paper["arxiv_id"]:
                ids.append(by_arxiv.get(paper["arxiv_id"]))
            elif paper["doi"]:
                ids.append(by_doi.get(paper["doi"]))
            else:
                ids.append(by_title[paper["title_key"]].pop(0))
        return ids

    def _created(self, record: PaperRecord, paper_id: int) -> None:
        self.counts.new += 1
        self.created.add(paper_id)
        self.author_lists[paper_id] = record.authors
        self.category_lists[paper_id] = record.categories
        self.to_summarise.append(paper_id)

    # updates

    def _update(self, matches: dict[int, dict | None]) -> None:
        existing = _authorships({row["id"] for row in matches.values() if row})
        pending: dict[int, dict] = {}
        for i, row in matches.items():
            if row is None:
                self.counts.failed += 1  # could neither insert nor match: an id clash between rows
                continue
            record = self.records[i]
            changes = self._changes(record, row)
            authors_changed = self._authors_change(record, row, existing.get(row["id"], []))
            if not changes and not authors_changed:
                self.counts.unchanged += 1
                continue
            self.counts.updated += 1
            row.update(changes)  # a later record matching the same row builds on these
            pending.setdefault(row["id"], {}).update(changes)
            if "title" in changes or "abstract" in changes:
                self.to_summarise.append(row["id"])
            if "categories" in changes:
                self.category_lists[row["id"]] = record.categories
                self.replaced_categories.add(row["id"])
        by_fields: dict[tuple[str, ...], list[Paper]] = defaultdict(list)
        for paper_id, changes in pending.items():
            changes["modified_at"] = self.now
            if "title" in changes:
                changes["title_key"] = normalise.title_key(changes["title"])
            by_fields[tuple(sorted(changes))].append(Paper(pk=paper_id, **changes))
        for fields, papers in by_fields.items():
            Paper.objects.bulk_update(papers, fields)

    def _is_newer(self, record: PaperRecord, row: dict) -> bool:
        if self.overwrite or row["metadata_pending"]:  # a suggestion's placeholder title gives way
            return True
        return bool(record.arxiv_version and (row["arxiv_version"] or 0) < record.arxiv_version)

    def _changes(self, record: PaperRecord, row: dict) -> dict:
        newer = self._is_newer(record, row)
        changes = {}
        for field in _TEXT_FIELDS:
            value = getattr(record, field)
            if value and (newer or not row[field]) and value != row[field]:
                changes[field] = value
        if record.arxiv_id and not row["arxiv_id"]:
            changes["arxiv_id"] = record.arxiv_id
        if record.arxiv_version and (row["arxiv_version"] or 0) < record.arxiv_version:
            changes["arxiv_version"] = record.arxiv_version
        if record.doi and not row["doi"]:
            changes["doi"] = record.doi
        if record.external_votes is not None and record.external_votes != row["external_votes"]:
            changes["external_votes"] = record.external_votes
        if row["metadata_pending"]:  # a source brought the details a suggestion was waiting for
            changes.update(metadata_pending=False, metadata_error="", metadata_failed_at=None)
        if row["status"] == Paper.Status.PENDING and self.source is not None and self.source.auto_list:
            changes["status"] = Paper.Status.LISTED
        return changes

    def _authors_change(self, record: PaperRecord, row: dict, current: list[AuthorRecord]) -> bool:
        if not record.authors or not (self._is_newer(record, row) or not current):
            return False
        # A thinner source (a listing feed) names authors without affiliations: keep the known ones.
        known = {a.name: a.affiliation for a in current}
        authors = [AuthorRecord(a.name, a.affiliation or known.get(a.name, "")) for a in record.authors]
        if authors == current:
            return False
        self.author_lists[row["id"]] = authors
        return True

    # authors, tags, summaries

    def _write_authors(self) -> None:
        if not self.author_lists:
            return
        names = sorted({a.name for authors in self.author_lists.values() for a in authors})
        author_ids = dict(
            insert_rows(Author, ["name"], [(name,) for name in names], returning=("name", "id"))
        )
        known = [name for name in names if name not in author_ids]
        if known:  # names that were there already
            author_ids.update(Author.objects.filter(name__in=known).values_list("name", "id"))
        replaced = [paper_id for paper_id in self.author_lists if paper_id not in self.created]
        if replaced:
            PaperAuthor.objects.filter(paper_id__in=replaced).delete()
        rows = [
            (paper_id, author_ids[a.name], position, a.affiliation)
            for paper_id, authors in self.author_lists.items()
            for position, a in enumerate(authors)
        ]
        insert_rows(PaperAuthor, ["paper", "author", "position", "affiliation"], rows)

    def _write_categories(self) -> None:
        through = Paper.tags.through
        if self.replaced_categories:
            through.objects.filter(
                paper_id__in=self.replaced_categories, tag__kind=Tag.Kind.CATEGORY
            ).delete()
        names = {name for names in self.category_lists.values() for name in names}
        slugs = {name: tag_slug(name) for name in names if tag_slug(name)}
        if not slugs:
            return
        insert_rows(
            Tag, ["name", "slug", "kind"], [(n, s, Tag.Kind.CATEGORY) for n, s in sorted(slugs.items())]
        )
        tag_ids = dict(Tag.objects.filter(slug__in=set(slugs.values())).values_list("slug", "id"))
        links = [
            (paper_id, tag_ids[slugs[name]])
            for paper_id, names in self.category_lists.items()
            for name in names
            if slugs.get(name) in tag_ids
        ]
        insert_rows(through, ["paper", "tag"], links)

    def _queue_summaries(self) -> None:
        papers_queue_derived_data(paper_ids=list(dict.fromkeys(self.to_summarise)))


def _authorships(paper_ids: set[int]) -> dict[int, list[AuthorRecord]]:
    authors: dict[int, list[AuthorRecord]] = defaultdict(list)
    if paper_ids:
        rows = (
            PaperAuthor.objects.filter(paper_id__in=paper_ids)
            .order_by("paper_id", "position")
            .values_list("paper_id", "author__name", "affiliation")
        )
        for paper_id, name, affiliation in rows:
            authors[paper_id].append(AuthorRecord(name, affiliation))
    return authors
