"""A member's "for you" list: gathers their signals and the candidates, and ranks them with
papers.discovery.scoring.

Computed when asked, not stored by a periodic task: every step reads a bounded number of rows
whatever the size of the collection (the member's latest MAX_SIGNALS signals, the profile's
NEIGHBOUR_CANDIDATES nearest papers from the embedding index, the TRENDING_CANDIDATES most
trending ones), so the cost does not grow with the papers; a list stored by a periodic task would
be stale after every vote and dismissal, which is exactly when a member looks again. The result
is cached a few minutes per member (cached_for_you) and dropped by the member's own votes and
dismissals. Measured in docs/performance.md ("For you").
"""

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.core.cache import cache
from django.db.models import Exists, F, OuterRef, QuerySet, Value
from django.db.models.fields import CharField
from django.utils import timezone

from papers.discovery import FOR_YOU_CACHE_SECONDS, FOR_YOU_LIMIT, for_you_cache_key, scoring
from papers.models import Dismissal, Paper, Vote
from papers.search import embeddings

MAX_SIGNALS = 500  # a member's most recent signals that shape the profile
NEIGHBOUR_CANDIDATES = 300  # papers nearest the profile, scored
TRENDING_CANDIDATES = 100  # the group's most trending papers, scored too (new members see these)
REASON_SIGNALS = 100  # the heaviest signals a card's "like …" line may name
# A card names one of the member's papers only when it is at least this close (cosine): on a
# handful of abstracts we wrote, pairs on one subject scored 0.36-0.41 with wordllama and pairs on
# different subjects 0.06-0.29. Below it the paper is on the list for the group's trending.
LIKE_MIN_SIMILARITY = 0.3

DIMENSIONS = embeddings.EMBEDDING_DIMENSIONS
TRENDING_REASON = "Trending in the group"
LIKE_REASONS = {
    "presented": "Like “{title}”, which you presented",
    "voted": "Like “{title}”, which you voted for",
    "commented": "Like “{title}”, which you commented on",
    "rsvped": "Like “{title}”, on a session you said yes to",
}


@dataclass(frozen=True)
class Signal:
    paper_id: int
    kind: str  # a key of scoring.SIGNAL_WEIGHTS
    at: datetime


@dataclass(frozen=True)
class Pick:
    paper_id: int
    score: float
    reason: str


def _kind(kind: str) -> Value:
    return Value(kind, output_field=CharField())


def member_signals(user, *, using: str) -> list[Signal]:
    """The member's latest signals, newest first, in one query (a UNION over five tables).

    An RSVP "yes" stands for every paper on that session's agenda; cancelled sessions say
    nothing. Comments count while visible (not deleted, not hidden).
    """
    from discussions.models import Comment
    from meetings.models import RSVP, AgendaItem

    live = {"meeting__status__in": ["planned", "done"]}
    parts = [
        Vote.objects.filter(user=user).annotate(at=F("created_at"), kind=_kind("voted")),
        AgendaItem.objects.filter(presenter=user, **live).annotate(
            at=F("meeting__starts_at"), kind=_kind("presented")
        ),
        RSVP.objects.filter(
            user=user, answer=RSVP.Answer.YES, meeting__agenda__isnull=False, **live
        ).annotate(paper_id=F("meeting__agenda__paper_id"), at=F("answered_at"), kind=_kind("rsvped")),
        Comment.objects.visible()
        .filter(author=user, paper__isnull=False)
        .annotate(at=F("created_at"), kind=_kind("commented")),
        Dismissal.objects.filter(user=user).annotate(at=F("created_at"), kind=_kind("dismissed")),
    ]
    columns = [part.using(using).order_by().values_list("paper_id", "at", "kind") for part in parts]
    rows = columns[0].union(*columns[1:], all=True).order_by("-at")[:MAX_SIGNALS]
    return [Signal(paper_id=paper_id, kind=kind, at=at) for paper_id, at, kind in rows]


def _eligible(user, *, using: str) -> QuerySet:
    """Papers the list may show: listed, not discussed, neither voted for nor dismissed."""
    voted = Vote.objects.filter(user=user, paper=OuterRef("pk"))
    dismissed = Dismissal.objects.filter(user=user, paper=OuterRef("pk"))
    return Paper.objects.using(using).listed().undiscussed().filter(~Exists(voted), ~Exists(dismissed))


@dataclass
class Profile:
    vector: np.ndarray | None
    titles: list[str]  # the papers a "like …" line may name, with
    kinds: list[str]  # the strongest signal of each and
    vectors: np.ndarray  # their embeddings (unit rows)


def member_profile(user, signals: list[Signal], *, using: str) -> Profile:
    """The profile of the signals whose papers this member may see and that are embedded."""
    from papers.selectors import paper_visible

    ids = {signal.paper_id for signal in signals}
    rows = (
        []
        if not ids
        else paper_visible(user=user).using(using).filter(pk__in=ids).values_list("pk", "title", "embedding")
    )
    papers = {
        pk: (title, vector)
        for pk, title, raw in rows
        if (vector := embeddings.vector_or_none(raw)) is not None
    }
    known = [signal for signal in signals if signal.paper_id in papers]
    now = timezone.now()
    weights = np.array([scoring.signal_weight(s.kind, (now - s.at).total_seconds() / 86400) for s in known])
    vectors = np.array([papers[s.paper_id][1] for s in known]).reshape(len(known), DIMENSIONS)
    strongest: dict[int, tuple[float, str]] = {}
    for signal, weight in zip(known, weights, strict=True):
        if weight > 0 and weight > strongest.get(signal.paper_id, (0.0, ""))[0]:
            strongest[signal.paper_id] = (weight, signal.kind)
    named = sorted(strongest, key=lambda pk: -strongest[pk][0])[:REASON_SIGNALS]
    named_vectors = np.array([papers[pk][1] for pk in named]).reshape(len(named), DIMENSIONS)
    return Profile(
        vector=scoring.profile_vector(vectors, weights),
        titles=[papers[pk][0] for pk in named],
        kinds=[strongest[pk][1] for pk in named],
        vectors=named_vectors / np.maximum(np.linalg.norm(named_vectors, axis=1, keepdims=True), 1e-12),
    )


def _candidates(user, profile: Profile, acted_on: set[int], *, using: str) -> list[tuple]:
    """(id, trending score, embedding) of the profile's nearest papers and the most trending ones.

    Papers the member acted on otherwise than by a vote or a dismissal (commented on, presented,
    on a session they said yes to) are dropped here rather than in SQL: hundreds of ids in each
    statement cost more to send than the few rows they remove.
    """
    from papers.search import semantic

    eligible = _eligible(user, using=using)
    columns = ("pk", "trending_score", "embedding")
    neighbours: list[int] = []
    if profile.vector is not None:
        nearest = semantic.nearest_to_vector(
            profile.vector, using=using, limit=NEIGHBOUR_CANDIDATES, exclude_ids=acted_on
        )
        neighbours = [pk for pk, _ in nearest]
    trending = eligible.order_by("-trending_score", "-id").values_list(*columns)[:TRENDING_CANDIDATES]
    rows = {row[0]: row for row in trending}
    if neighbours:
        rows.update((row[0], row) for row in eligible.filter(pk__in=neighbours).values_list(*columns))
    return [row for pk, row in rows.items() if pk not in acted_on]


def for_you(user, *, using: str = "default") -> list[Pick]:
    """The member's list, best first: at most FOR_YOU_LIMIT papers with a score and a reason."""
    signals = member_signals(user, using=using)
    profile = member_profile(user, signals, using=using)
    rows = _candidates(user, profile, {s.paper_id for s in signals}, using=using)
    if not rows:
        return []
    zero = np.zeros(DIMENSIONS, dtype=np.float32)
    vectors = np.array(
        [v if (v := embeddings.vector_or_none(raw)) is not None else zero for _, _, raw in rows]
    )
    scores = scoring.for_you_scores(profile.vector, vectors, np.array([row[1] for row in rows]))
    order = sorted(range(len(rows)), key=lambda i: (-scores[i], -rows[i][0]))[:FOR_YOU_LIMIT]
    reasons = _reasons(profile, vectors[order])
    return [
        Pick(paper_id=rows[i][0], score=float(scores[i]), reason=reason)
        for i, reason in zip(order, reasons, strict=True)
    ]


def cached_for_you(user, *, using: str = "default") -> list[Pick]:
    """for_you, kept FOR_YOU_CACHE_SECONDS in the shared cache (papers.discovery)."""
    key = for_you_cache_key(user.pk)
    picks = cache.get(key)
    if picks is None:
        picks = for_you(user, using=using)
        cache.set(key, picks, FOR_YOU_CACHE_SECONDS)
    return picks


def _reasons(profile: Profile, vectors: np.ndarray) -> list[str]:
    """ "Like X, which you voted for", X the member's paper closest to the pick, when it is close
    enough; otherwise the pick is there because the group reads it."""
    if not profile.titles:
        return [TRENDING_REASON] * len(vectors)
    similarity = vectors @ profile.vectors.T  # candidates' rows may be zeros: never "like"
    closest = np.argmax(similarity, axis=1)
    return [
        LIKE_REASONS[profile.kinds[j]].format(title=profile.titles[j])
        if similarity[row, j] >= LIKE_MIN_SIMILARITY
        else TRENDING_REASON
        for row, j in enumerate(closest)
    ]
