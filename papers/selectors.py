"""Reads of papers: annotated querysets the API, the web pages and the admin share."""

import re

from django.apps import apps
from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast

from papers.models import Paper, PaperAuthor, Tag, Vote

# Each list order is an index-backed ORDER BY ending in the primary key, so
# keyset (cursor) pagination is stable and never needs COUNT(*) or OFFSET.
ORDERINGS: dict[str, tuple[str, ...]] = {
    "queue": ("-vote_count", "-trending_score", "-id"),
    "trending": ("-trending_score", "-id"),
    "votes": ("-vote_count", "-id"),
    "newest": ("-published_at", "-id"),
}


def with_has_voted(papers: QuerySet, user) -> QuerySet:
    """`has_voted`: whether this member voted for the paper (an EXISTS in the same query)."""
    if user is None or not user.is_authenticated:
        return papers.annotate(has_voted=Value(False, output_field=BooleanField()))
    return papers.annotate(has_voted=Exists(Vote.objects.filter(paper=OuterRef("pk"), user=user)))


def with_list_relations(papers: QuerySet) -> QuerySet:
    """Authors in order and tags, in two extra queries whatever the page size."""
    authorships = PaperAuthor.objects.select_related("author").order_by("position")
    return papers.prefetch_related(Prefetch("authorships", queryset=authorships), "tags")


def paper_queue(*, user=None) -> QuerySet:
    """Listed papers not yet discussed, most votes first (ties: trending)."""
    papers = Paper.objects.listed().undiscussed().order_by(*ORDERINGS["queue"])
    return with_list_relations(with_has_voted(papers, user))


def paper_list(*, user=None, order: str = "trending") -> QuerySet:
    if order == "queue":
        return paper_queue(user=user)
    papers = Paper.objects.listed().order_by(*ORDERINGS[order])
    return with_list_relations(with_has_voted(papers, user))


# --- Search ---------------------------------------------------------------------------------------

# websearch_to_tsquery's syntax: "a phrase", -excluded, or.
WEBSEARCH_OPERATORS = re.compile(r'"|(?:^|\s)-\S|\bor\b', re.IGNORECASE)
# Best-match order ranks at most this many matching papers: the most trending ones. Ranking
# reads every candidate's search vector, so a common word ("learning") over a million papers
# would otherwise rank hundreds of thousands of them for each page.
SEARCH_CANDIDATES = 1000
# Longer search words are cut to this length: no word of a title is longer, and the trigram match
# of a 200-letter word took over a second on 10k papers before PostgreSQL had statistics.
SEARCH_WORD_LENGTH = 64
_LONG_WORD = re.compile(rf"(\S{{{SEARCH_WORD_LENGTH}}})\S+")


def _rank_and_match(q: str, vendor: str) -> tuple:
    """The search_rank expression and the match condition of a (stripped, non-empty) search."""
    q = _LONG_WORD.sub(r"\1", q)
    if vendor == "postgresql":
        query = SearchQuery(q, config="english", search_type="websearch")
        score = SearchRank(F("search_vector"), query)
        matches = Q(search_vector=query)
        if not WEBSEARCH_OPERATORS.search(q):
            # Near-misses only for plain words: a phrase or an exclusion means exactly that.
            score += TrigramWordSimilarity(q, "title")
            matches |= Q(title__trigram_word_similar=q)
        return Cast(score, FloatField()), matches
    words = Q()
    for word in q.split():
        words &= Q(title__icontains=word) | Q(summary__icontains=word) | Q(abstract__icontains=word)
    title_hit = Case(When(title__icontains=q, then=Value(1.0)), default=Value(0.0))
    return Cast(title_hit, FloatField()), words


def paper_search(papers: QuerySet, q: str) -> QuerySet:
    """Papers matching a search, best first (annotated `search_rank`, ties by newest id);
    for big result sets see best_matches_first.

    On PostgreSQL: full-text search of the stored vector (title, keywords, TL;DR,
    abstract; web-search syntax: "quoted phrases", or, -excluded), ranked; for
    queries without that syntax also titles with words close to the query
    (trigram word similarity), which catches typos the stemmer cannot. On SQLite:
    every word must appear in the title, TL;DR or abstract.
    """
    q = q.strip()
    if not q:
        return papers
    rank, matches = _rank_and_match(q, connections[papers.db].vendor)
    return papers.annotate(search_rank=rank).filter(matches).order_by("-search_rank", "-id")


def best_matches_first(matched: QuerySet, papers: QuerySet, q: str) -> QuerySet:
    """Best match first among the SEARCH_CANDIDATES most trending papers of `matched`
    (paper_search with every other filter applied); `papers` is the unfiltered queryset
    they came from, whose annotations and columns the page keeps."""
    candidates = matched.order_by(*ORDERINGS["trending"]).values("pk")[:SEARCH_CANDIDATES]
    rank, _ = _rank_and_match(q.strip(), connections[papers.db].vendor)
    # The outer query finds the candidates by id: it must not repeat the filters, or
    # PostgreSQL tests them (and the match) on every row of the table again.
    return papers.filter(pk__in=candidates).annotate(search_rank=rank).order_by("-search_rank", "-id")


# --- API reads ------------------------------------------------------------------------------------


# Columns a list shows (or needs for its ETag and cursors); a paper's page adds DETAIL_FIELDS.
# Leaving out the abstract and the search vector halves what a page of papers reads.
LIST_FIELDS = (
    *("id", "title", "summary", "keywords", "published_at", "url", "pdf_url", "code_url", "arxiv_id"),
    *("doi", "vote_count", "trending_score", "external_votes", "discussed_at", "status", "source"),
    *("submitted_by", "modified_at", "comment_count"),
)
DETAIL_FIELDS = ("abstract", "categories", "arxiv_version", "updated_at", "summary_backend")


def _for_api(papers: QuerySet, user, *, detail: bool = False) -> QuerySet:
    # members.User.is_organiser; anonymous visitors have none.
    related = ("source", "submitted_by") if getattr(user, "is_organiser", False) else ("source",)
    fields = (*LIST_FIELDS, *DETAIL_FIELDS) if detail else LIST_FIELDS
    papers = papers.select_related(*related).only(*fields)
    return with_list_relations(with_has_voted(papers, user))


def paper_browse(*, user=None) -> QuerySet:
    """Papers to list and filter (see papers.filters.PaperFilter), trending first.

    Organisers may see every status (PaperFilter shows listed ones unless asked);
    everyone else sees listed papers only.
    """
    papers = Paper.objects.all() if getattr(user, "is_organiser", False) else Paper.objects.listed()
    return _for_api(papers, user).order_by(*ORDERINGS["trending"])


def for_export(papers: QuerySet) -> QuerySet:
    """A filtered list (paper_browse + PaperFilter) with every column but the search vector
    and the authors prefetched in order, for exports that show whole papers (BibTeX)."""
    return with_list_relations(papers.defer(None).defer("search_vector").prefetch_related(None))


def paper_visible(*, user=None) -> QuerySet:
    """Papers one may open: listed ones, the pending ones I suggested, and any for organisers."""
    papers = Paper.objects.all()
    if not getattr(user, "is_organiser", False):
        mine = Q(submitted_by=user) if user is not None and user.is_authenticated else Q(pk__in=[])
        papers = papers.filter(Q(status=Paper.Status.LISTED) | (mine & Q(status=Paper.Status.PENDING)))
    return papers


def paper_detail_queryset(*, user=None, papers: QuerySet | None = None) -> QuerySet:
    """One paper's page: with authors, tags, my vote and the sessions where it is discussed."""
    meeting_model = apps.get_model("meetings", "Meeting")
    sessions = meeting_model.objects.exclude(status="cancelled").order_by("starts_at", "id")
    papers = paper_visible(user=user) if papers is None else papers
    return _for_api(papers, user, detail=True).prefetch_related(Prefetch("meetings", queryset=sessions))


def tag_counts(*, kind: str | None = None) -> QuerySet:
    """Tags with the number of listed papers carrying them; tags without any are left out."""
    tags = Tag.objects.annotate(
        paper_count=Count("papers", filter=Q(papers__status=Paper.Status.LISTED))
    ).filter(paper_count__gt=0)
    if kind:
        tags = tags.filter(kind=kind)
    return tags.order_by("name", "id")


def paper_tombstones() -> QuerySet:
    """Papers gone from members' sight, oldest first (the API's /papers/deleted/)."""
    from papers.models import PaperTombstone

    return PaperTombstone.objects.order_by("deleted_at", "id")
