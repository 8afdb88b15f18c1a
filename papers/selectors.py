"""Reads of papers: annotated querysets the API, the web pages and the admin share."""

from django.apps import apps
from django.db import connections
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    Exists,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL

from papers.models import Dismissal, Paper, PaperAuthor, Tag, Vote
from papers.search import query as search_query
from papers.search import ranking as search_ranking

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


def with_dismissed(papers: QuerySet, user) -> QuerySet:
    """`is_dismissed`: whether this member said "not interested" to the paper (an EXISTS)."""
    if user is None or not user.is_authenticated:
        return papers.annotate(is_dismissed=Value(False, output_field=BooleanField()))
    return papers.annotate(is_dismissed=Exists(Dismissal.objects.filter(paper=OuterRef("pk"), user=user)))


def list_relations() -> tuple:
    """What a paper in a list shows besides its row: authors in order and tags."""
    authorships = PaperAuthor.objects.select_related("author").order_by("position")
    return (Prefetch("authorships", queryset=authorships), "tags")


def with_list_relations(papers: QuerySet) -> QuerySet:
    """Authors in order and tags, in two extra queries whatever the page size."""
    return papers.prefetch_related(*list_relations())


def prefetch_list_relations(papers: list[Paper]) -> None:
    """list_relations for papers already loaded (the API list: those whose JSON was not cached)."""
    prefetch_related_objects(papers, *list_relations())


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

# Search ranks at most this many papers, the best matches over the whole collection; filters
# (tag, dates, discussed) then keep the ones they allow, in that order.
SEARCH_CANDIDATES = 500


def paper_search(papers: QuerySet, q: str) -> QuerySet:
    """Papers matching a search, best first (annotated `search_rank`, ties by newest id).

    Ranked, never all-or-nothing: papers with more and rarer query words first (BM25-style,
    papers.search.lexical), typo-tolerant titles on PostgreSQL, fused by rank
    (papers.search.ranking). `"a phrase"` is required, `-word` excluded, `or` accepted. An
    arXiv id or a DOI alone finds that paper (else it is searched as words).
    """
    query = search_query.parse(q)
    if not query.text:
        return papers
    if query.is_lookup:
        found = _looked_up(papers, query)
        if found.exists():
            return found.annotate(search_rank=Value(1.0, output_field=FloatField())).order_by("-id")
        query = search_query.parse(f'"{q.strip()}"')
    ranked = search_ranking.rank(query, using=papers.db, limit=SEARCH_CANDIDATES)
    if not ranked:
        return papers.none().annotate(search_rank=Value(0.0, output_field=FloatField()))
    if connections[papers.db].vendor == "postgresql":
        return _ranked_by_arrays(papers, ranked)
    # One CASE written out: Django's Case(When(...)) for SEARCH_CANDIDATES papers took longer
    # to compile than the search took to run.
    whens = " ".join(["WHEN %s THEN %s"] * len(ranked))
    score = RawSQL(
        f"CASE {connections[papers.db].ops.quote_name(Paper._meta.db_table)}.id {whens} ELSE 0.0 END",
        [value for pair in ranked for value in pair],
        output_field=FloatField(),
    )
    ids = [pk for pk, _ in ranked]
    return papers.filter(pk__in=ids).annotate(search_rank=score).order_by("-search_rank", "-id")


def _ranked_by_arrays(papers: QuerySet, ranked: list[tuple[int, float]]) -> QuerySet:
    """PostgreSQL: the candidates and their scores as two array parameters. A thousand single
    parameters cost psycopg about 10 ms a search to place into the statement (measured at 1M
    papers, where the rest of the search took 25 ms)."""
    table = connections[papers.db].ops.quote_name(Paper._meta.db_table)
    ids = [pk for pk, _ in ranked]
    scores = [score for _, score in ranked]
    score = RawSQL(
        f"(%s::float8[])[array_position(%s::bigint[], {table}.id)]", [scores, ids], output_field=FloatField()
    )
    candidate = RawSQL(f"{table}.id = ANY(%s::bigint[])", [ids], output_field=BooleanField())
    return papers.filter(candidate).annotate(search_rank=score).order_by("-search_rank", "-id")


def _looked_up(papers: QuerySet, query: search_query.ParsedQuery) -> QuerySet:
    return papers.filter(Q(arxiv_id=query.arxiv_id) if query.arxiv_id else Q(doi=query.doi))


def paper_lookup(papers: QuerySet, q: str) -> Paper | None:
    """The paper an arXiv id or a DOI typed as the whole query names, if it is among `papers`."""
    query = search_query.parse(q)
    return _looked_up(papers, query).order_by("-id").first() if query.is_lookup else None


def best_matches_first(matched: QuerySet, papers: QuerySet, q: str) -> QuerySet:
    """`matched` (paper_search with every other filter applied) best match first. `papers`
    and `q` are kept for the callers: the ranking already covers the whole collection."""
    return matched.order_by("-search_rank", "-id")


# --- For you --------------------------------------------------------------------------------------


def paper_for_you(papers: QuerySet, *, user) -> QuerySet:
    """`papers` (listed ones, filtered as the caller likes) in the member's "for you" order: annotated
    `for_you_score` (higher first) and `for_you_reason` (the line a card shows), ties by newest id.
    Only papers of the member's list (papers.discovery.for_you, cached a few minutes) remain.
    """
    from papers.discovery.for_you import cached_for_you

    picks = cached_for_you(user, using=papers.db)
    if not picks:
        none = papers.none().annotate(for_you_score=Value(0.0, output_field=FloatField()))
        return none.annotate(for_you_reason=Value("", output_field=CharField())).order_by(
            "-for_you_score", "-id"
        )
    table = connections[papers.db].ops.quote_name(Paper._meta.db_table)
    whens = " ".join(["WHEN %s THEN %s"] * len(picks))
    score = RawSQL(
        f"CASE {table}.id {whens} ELSE 0.0 END",
        [value for pick in picks for value in (pick.paper_id, pick.score)],
        output_field=FloatField(),
    )
    reason = RawSQL(
        f"CASE {table}.id {whens} ELSE '' END",
        [value for pick in picks for value in (pick.paper_id, pick.reason)],
        output_field=CharField(),
    )
    # The list may be minutes old (cached): a session marked done since then took papers off it.
    mine = papers.filter(pk__in=[pick.paper_id for pick in picks], discussed_at__isnull=True)
    return mine.annotate(for_you_score=score, for_you_reason=reason).order_by("-for_you_score", "-id")


# --- API reads ------------------------------------------------------------------------------------


# Columns a list shows (or needs for its ETag and cursors); a paper's page adds DETAIL_FIELDS.
# Leaving out the abstract and the search vector halves what a page of papers reads.
LIST_FIELDS = (
    *("id", "title", "summary", "keywords", "published_at", "url", "pdf_url", "code_url", "arxiv_id"),
    *("doi", "vote_count", "trending_score", "external_votes", "discussed_at", "status", "source"),
    *("submitted_by", "modified_at", "comment_count"),
    *("metadata_pending", "metadata_error", "metadata_failed_at"),
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


def paper_related(paper) -> QuerySet:
    """A paper's stored related papers (papers.related) that are listed now, nearest first, each
    with its paper as `.related` (without the abstract): one query."""
    from papers.models import RelatedPaper

    links = RelatedPaper.objects.filter(paper=paper, related__status=Paper.Status.LISTED)
    return (
        links.filter(related__metadata_pending=False)
        .select_related("related")
        .defer("related__abstract", "related__search_vector", "related__embedding")
        .order_by("rank")
    )


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
