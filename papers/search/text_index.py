"""BM25 over the papers' text in a tantivy index on local disk, for lexical search at scale.

`python manage.py build_search_index` writes the index (a directory, SEARCH_INDEX_PATH) from the
database; after that the workers bring it up to date (`update`, queued through the outbox when
papers are added or summarised, and by beat every minute), and every process that searches
opens it and reloads it when it changed (a stat() per search, papers.search.file_view). Without the
directory nothing here is used and papers.search.lexical ranks in the database (FTS5 on
SQLite, BM25 in SQL on PostgreSQL): small sites and tests need no index.

Why: BM25 written out in SQL ranks every candidate's decompressed tsvector, 60-180 ms for a
query at 1M papers; tantivy ranks from its posting lists with block-max WAND, skipping the
blocks that cannot reach the top k (docs/search.md, "The text index", has the figures).

Layout: SEARCH_INDEX_PATH/current is a symbolic link to the generation being served
(`gen-<time>-<pid>/`, a tantivy index plus `watermark.json`). A build writes a new generation
and swaps the link in one rename, so readers never see half an index; writers on one host take
turns through `write.lock` (an flock). The watermark is the time up to which every paper's
change is in the index: an update indexes the papers whose `modified_at` is after it (less an
overlap, for transactions that commit after they stamped their papers), deleting each paper's
old document by id first. A paper deleted or hidden later stays in the index until the next
build: callers keep the papers they may show by a database filter.
"""

import contextlib
import datetime
import functools
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from papers.search.file_view import FileView
from papers.search.host_lock import host_lock
from papers.search.query import ParsedQuery

logger = logging.getLogger(__name__)

ANALYZER = "rg_en_stem"
# Field weights as the database rankings use them, title 5 : keywords and TL;DR 2 : abstract 1,
# given as FTS5 gives them: one text per paper in which a title word counts 5 times, so the
# weights add up inside BM25's saturation. (Boosting a BM25 per field instead saturates each
# field apart, and a title match outweighed everything: TL;DR recall@10 93.2% against 98.1%
# in the database, bench.search_quality on dev.) One field also means one posting list a word.
WEIGHTS = {"title": 5, "keywords": 2, "tldr": 2, "abstract": 1}
TEXT_FIELD = "text"
NAMES_FIELD = "names"  # authors' and tags' names, for papers.search.names
WRITER_HEAP = 256_000_000  # bytes shared by the writer's threads; more means fewer segments
# Papers stamped up to this long before a pass may commit after it: each pass indexes them again.
OVERLAP = datetime.timedelta(minutes=10)
CURRENT = "current"
QUEUED_KEY = "papers:search-index-update-queued"  # in the shared cache: one queued update at a time
WATERMARK = "watermark.json"


@dataclass(frozen=True)
class Document:
    id: int
    title: str
    keywords: str
    tldr: str
    abstract: str
    names: str


def root() -> Path:
    return Path(settings.SEARCH_INDEX_PATH)


def exists() -> bool:
    return (root() / CURRENT).exists()


@functools.cache  # one per process: every query word goes through it
def _analyzer():
    """Split on anything but letters and digits, drop tokens too long to be words, lower-case,
    Snowball English stems: documents and query words go through the same one."""
    import tantivy

    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(64))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def _schema():
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("id", stored=True, indexed=True, fast=True)
    for field in (TEXT_FIELD, NAMES_FIELD):
        builder.add_text_field(field, tokenizer_name=ANALYZER)
    return builder.build()


def _open(directory: Path, *, create: bool = False):
    import tantivy

    index = tantivy.Index(_schema(), path=str(directory)) if create else tantivy.Index.open(str(directory))
    index.register_tokenizer(ANALYZER, _analyzer())
    return index


def tokens(text: str) -> list[str]:
    return _analyzer().analyze(text)


# --- Writing --------------------------------------------------------------------------------------


@contextlib.contextmanager
def writing() -> Iterator[Path]:
    """Hold the host's write lock of the index (an flock, released if the process dies)."""
    directory = root()
    with host_lock(directory / "write.lock"):
        yield directory


def new_generation() -> Path:
    directory = root() / f"gen-{time.time_ns()}-{os.getpid()}"
    directory.mkdir(parents=True)
    _open(directory, create=True)
    return directory


def write(
    generation: Path,
    documents: Iterable[Document],
    *,
    delete_first: bool,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Add these papers to a generation (replacing their old documents when `delete_first`)."""

    import tantivy

    index = _open(generation)
    schema = index.schema
    writer = index.writer(WRITER_HEAP, num_threads=min(2, os.cpu_count() or 1))
    written = 0
    try:
        for document in documents:
            if delete_first:
                # By a query, which types the id as the schema says: a term from a Python int
                # is a signed one and deletes nothing.
                writer.delete_documents_by_query(tantivy.Query.term_query(schema, "id", document.id))
            writer.add_document(_document(document))
            written += 1
            if progress is not None:
                progress(1)
        writer.commit()
    except BaseException:
        writer.rollback()
        raise
    finally:
        writer.wait_merging_threads()  # releases tantivy's own lock on the directory
    return written


def _document(document: Document):
    import tantivy

    made = tantivy.Document()
    made.add_unsigned("id", document.id)  # the keyword form would store a signed integer
    for part, weight in WEIGHTS.items():
        if text := getattr(document, part):
            for _ in range(weight):
                made.add_text(TEXT_FIELD, text)
    made.add_text(NAMES_FIELD, document.names)
    return made


def read_watermark(generation: Path) -> datetime.datetime | None:
    try:
        value = json.loads((generation / WATERMARK).read_text())["modified_at"]
    except (FileNotFoundError, KeyError, ValueError):
        return None
    return datetime.datetime.fromisoformat(value)


def write_watermark(generation: Path, watermark: datetime.datetime) -> None:
    partial = generation / f".{WATERMARK}.{os.getpid()}.partial"
    partial.write_text(json.dumps({"modified_at": watermark.isoformat()}))
    os.replace(partial, generation / WATERMARK)


def current_generation() -> Path | None:
    try:
        return root() / os.readlink(root() / CURRENT)
    except FileNotFoundError:
        return None


def swap_in(generation: Path) -> None:
    """Serve `generation` (one rename of the link) and remove the one it replaces, and any left by
    a build that died. Call under writing(): a process still reading a removed generation keeps
    its open files until it reloads."""
    previous = current_generation()
    link = root() / f".{CURRENT}.{os.getpid()}.partial"
    link.unlink(missing_ok=True)
    os.symlink(generation.name, link)
    os.replace(link, root() / CURRENT)
    for old in root().glob("gen-*"):
        if old.name != generation.name and (old == previous or not _builder_running(old)):
            shutil.rmtree(old, ignore_errors=True)


def _builder_running(generation: Path) -> bool:
    """Whether the process that named this generation (gen-<time>-<pid>) still runs on this host:
    another build may be writing it."""
    try:
        os.kill(int(generation.name.rsplit("-", 1)[1]), 0)
    except (ValueError, IndexError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


# --- Reading --------------------------------------------------------------------------------------


def _open_for_reading(meta: Path, previous):
    """(generation directory, index) of the generation `current` names: the previous one
    reloaded when only its segments changed (an update), else the new generation opened."""
    generation = meta.resolve().parent
    if previous is not None and previous[0] == generation:
        previous[1].reload()
        return previous
    index = _open(generation)
    index.config_reader(reload_policy="Manual")
    return generation, index


_view = FileView(_open_for_reading, what="search index")


def _searcher():
    """This process's (index, searcher) of the current generation; None without a readable one."""
    opened = _view.get(root() / CURRENT / "meta.json")
    if opened is None:
        return None
    index = opened[1]
    return index, index.searcher()


def forget() -> None:
    """Drop this process's open index (tests: a new index at the same path)."""
    _view.forget()


def _term_or_phrase(schema, words: list[str]):
    import tantivy

    if len(words) == 1:
        return tantivy.Query.term_query(schema, TEXT_FIELD, words[0])
    return tantivy.Query.phrase_query(schema, TEXT_FIELD, words)


def build_query(schema, query: ParsedQuery):
    """Any of the words, each phrase required, each exclusion excluded; None when nothing can
    match. Built from the parsed query, never parsed from text: no query syntax reaches
    tantivy, so no input is an error."""
    import tantivy

    from papers.search.lexical import STOPWORDS

    words = [w for w in query.words if w not in STOPWORDS]
    terms = list(dict.fromkeys(token for word in words for token in tokens(word)))
    # A flat union of term queries: tantivy prunes it with block-max WAND.
    clauses = [(tantivy.Occur.Should, tantivy.Query.term_query(schema, TEXT_FIELD, term)) for term in terms]
    for phrase in query.phrases:
        if phrase_tokens := tokens(phrase):
            clauses.append((tantivy.Occur.Must, _term_or_phrase(schema, phrase_tokens)))
    if not clauses:
        return None
    for excluded in query.excluded:
        if excluded_tokens := tokens(excluded):
            clauses.append((tantivy.Occur.MustNot, _term_or_phrase(schema, excluded_tokens)))
    return tantivy.Query.boolean_query(clauses)


def _top(searcher, query, limit: int) -> list[tuple[int, float]]:
    hits = searcher.search(query, limit, count=False).hits
    ids = searcher.fast_field_values("id", [address for _, address in hits])
    # Ties (same score) newest id first, as the database rankings order them.
    return sorted(
        ((int(pk), float(score)) for (score, _), pk in zip(hits, ids, strict=True)),
        key=lambda r: (-r[1], -r[0]),
    )


def search(query: ParsedQuery, limit: int) -> list[tuple[int, float]] | None:
    """(paper id, BM25 score) of the best `limit` papers, best first; None without an index."""
    opened = _searcher()
    if opened is None:
        return None
    index, searcher = opened
    built = build_query(index.schema, query)
    return _top(searcher, built, limit) if built is not None else []


def document_frequencies(words: list[str]) -> list[int] | None:
    """How many papers the index has with each word (the rarest of its tokens, as
    "state-of-the-art" has several); None without an index."""
    opened = _searcher()
    if opened is None:
        return None
    searcher = opened[1]
    return [min((searcher.doc_freq(TEXT_FIELD, t) for t in tokens(word)), default=0) for word in words]


def by_names(words: list[str], limit: int) -> list[int] | None:
    """Papers whose authors' or tags' names have these words, most (and rarest) first; None
    without an index."""
    import tantivy

    opened = _searcher()
    if opened is None:
        return None
    index, searcher = opened
    schema = index.schema
    terms = list(dict.fromkeys(token for word in words for token in tokens(word)))
    if not terms:
        return []
    clauses = [(tantivy.Occur.Should, tantivy.Query.term_query(schema, NAMES_FIELD, t)) for t in terms]
    return [pk for pk, _ in _top(searcher, tantivy.Query.boolean_query(clauses), limit)]
