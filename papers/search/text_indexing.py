"""Filling the text index (papers.search.text_index) from the database: a whole build, and the
workers' update of the papers changed since the index's watermark."""

import datetime
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterator

from django.db.models import QuerySet
from django.utils import timezone

from papers.models import Paper, PaperAuthor
from papers.search import text_index

CHUNK = 5_000  # papers read per statement (with their authors' and tags' names in two more)


def _names(links: QuerySet, field: str, ids: list[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = defaultdict(list)
    for paper_id, name in links.filter(paper_id__in=ids).order_by().values_list("paper_id", field):
        names[paper_id].append(name)
    return names


def documents(papers: QuerySet) -> Iterator[text_index.Document]:
    """Each paper of `papers` as an index document, in id order, CHUNK papers a round trip."""
    database = papers.db
    rows = papers.order_by("pk").values_list("pk", "title", "keywords", "summary", "abstract")
    after = 0
    while chunk := list(rows.filter(pk__gt=after)[:CHUNK]):
        ids = [row[0] for row in chunk]
        author_names = _names(PaperAuthor.objects.using(database), "author__name", ids)
        tag_names = _names(Paper.tags.through.objects.using(database), "tag__name", ids)
        for pk, title, keywords, summary, abstract in chunk:
            yield text_index.Document(
                id=pk,
                title=title,
                keywords=" ".join(k for k in keywords or [] if isinstance(k, str)),
                tldr=summary,
                abstract=abstract,
                names=" ".join(author_names.get(pk, []) + tag_names.get(pk, [])),
            )
        after = ids[-1]


def build(*, progress: Callable[[int], None] | None = None) -> tuple[int, int]:
    """A new index of every paper, swapped in for the current one; then the papers changed while
    it was built are indexed again. Returns (papers indexed, papers caught up)."""
    started = timezone.now()
    generation = text_index.new_generation()
    try:
        written = text_index.write(
            generation, documents(Paper.objects.all()), delete_first=False, progress=progress
        )
        with text_index.writing():
            caught_up = _catch_up(generation, since=started - text_index.OVERLAP)
            text_index.swap_in(generation)
    except BaseException:
        shutil.rmtree(generation, ignore_errors=True)
        raise
    return written, caught_up


def _catch_up(generation, *, since: datetime.datetime) -> int:
    """Index again the papers modified since `since`; the watermark moves to this pass's start."""
    started = timezone.now()
    changed = Paper.objects.filter(modified_at__gte=since)
    written = text_index.write(generation, documents(changed), delete_first=True)
    text_index.write_watermark(generation, started)
    return written


def update() -> int | None:
    """Index the papers changed since the current index's watermark (less the overlap); None
    when this host has no index. One writer at a time per host (the index's lock file)."""
    if not text_index.exists():
        return None
    with text_index.writing():
        generation = text_index.current_generation()
        if generation is None:  # removed while we waited
            return None
        watermark = text_index.read_watermark(generation)
        if watermark is None:  # a build that never finished its catch-up: build again
            return None
        return _catch_up(generation, since=watermark - text_index.OVERLAP)
