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
    if user is None or not user.is_authenticated:
        return papers.annotate(has_voted=Value(False, output_field=BooleanField()))
    mine = Vote.objects.filter(user=user, paper=OuterRef("pk"))
    return papers.annotate(has_voted=Exists(mine))


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


def paper_search(papers: QuerySet, q: str) -> QuerySet:
    """Papers matching a search, best first (annotated `search_rank`, ties by newest id).

    On PostgreSQL: full-text search of the stored vector (title, keywords, TL;DR,
    abstract; web-search syntax: "quoted phrases", or, -excluded), ranked; for
    queries without that syntax also titles with words close to the query
    (trigram word similarity), which catches typos the stemmer cannot. On SQLite:
    every word must appear in the title, TL;DR or abstract.
    """
    q = q.strip()
    if not q:
        return papers
    if connections[papers.db].vendor == "postgresql":
        query = SearchQuery(q, config="english", search_type="websearch")
        score = SearchRank(F("search_vector"), query)
        matches = Q(search_vector=query)
        if not WEBSEARCH_OPERATORS.search(q):
            # Near-misses only for plain words: a phrase or an exclusion means exactly that.
            score += TrigramWordSimilarity(q, "title")
            matches |= Q(title__trigram_word_similar=q)
        ranked = papers.annotate(search_rank=Cast(score, FloatField())).filter(matches)
    else:
        words = Q()
        for word in q.split():
            words &= Q(title__icontains=word) | Q(summary__icontains=word) | Q(abstract__icontains=word)
        title_hit = Case(When(title__icontains=q, then=Value(1.0)), default=Value(0.0))
        ranked = papers.filter(words).annotate(search_rank=Cast(title_hit, FloatField()))
    return ranked.order_by("-search_rank", "-id")


# --- API reads ------------------------------------------------------------------------------------


def _is_organiser(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_organiser)


def _for_api(papers: QuerySet, user) -> QuerySet:
    # The search vector is large and only ever read by the database itself.
    papers = papers.select_related("source", "submitted_by").defer("search_vector")
    return with_list_relations(with_has_voted(papers, user))


def paper_browse(*, user=None) -> QuerySet:
    """Papers to list and filter (see papers.filters.PaperFilter), trending first.

    Organisers may see every status (PaperFilter shows listed ones unless asked);
    everyone else sees listed papers only.
    """
    papers = Paper.objects.all() if _is_organiser(user) else Paper.objects.listed()
    return _for_api(papers, user).order_by(*ORDERINGS["trending"])


def paper_visible(*, user=None) -> QuerySet:
    """Papers one may open: listed ones, the pending ones I suggested, and any for organisers."""
    papers = Paper.objects.all()
    if not _is_organiser(user):
        mine = Q(submitted_by=user) if user is not None and user.is_authenticated else Q(pk__in=[])
        papers = papers.filter(Q(status=Paper.Status.LISTED) | (mine & Q(status=Paper.Status.PENDING)))
    return papers


def paper_detail_queryset(*, user=None, papers: QuerySet | None = None) -> QuerySet:
    """One paper's page: with authors, tags, my vote and the sessions where it is discussed."""
    meeting_model = apps.get_model("meetings", "Meeting")
    sessions = meeting_model.objects.exclude(status="cancelled").order_by("starts_at", "id")
    papers = paper_visible(user=user) if papers is None else papers
    return _for_api(papers, user).prefetch_related(Prefetch("meetings", queryset=sessions))


def tag_counts(*, kind: str | None = None) -> QuerySet:
    """Tags with the number of listed papers carrying them; tags without any are left out."""
    tags = Tag.objects.annotate(
        paper_count=Count("papers", filter=Q(papers__status=Paper.Status.LISTED))
    ).filter(paper_count__gt=0)
    if kind:
        tags = tags.filter(kind=kind)
    return tags.order_by("name", "id")
