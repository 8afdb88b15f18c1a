"""Reads of papers: annotated querysets the API, the web pages and the admin share."""

from django.db.models import BooleanField, Exists, OuterRef, Prefetch, QuerySet, Value

from papers.models import Paper, PaperAuthor, Vote

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
