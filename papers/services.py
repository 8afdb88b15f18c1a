"""Writes to papers. Every function here is the one place its change happens."""

from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from papers.models import Paper, Vote
from papers.trending import SCORE_AFTER_UNVOTE_SQL, SCORE_AFTER_VOTE_SQL


@dataclass(frozen=True)
class VoteState:
    paper_id: int
    vote_count: int
    voted: bool


_PAPER = Paper._meta.db_table
_VOTE = Vote._meta.db_table

# One statement adds the vote only when the paper is listed and the member has
# not voted yet; RETURNING tells whether a row went in, so the count below moves
# exactly when the vote rows do, whatever runs concurrently.
_INSERT_VOTE = (
    f"INSERT INTO {_VOTE} (user_id, paper_id, created_at) "
    f"SELECT %s, id, %s FROM {_PAPER} WHERE id = %s AND status = 'listed' "
    "ON CONFLICT (user_id, paper_id) DO NOTHING RETURNING id"
)
_DELETE_VOTE = f"DELETE FROM {_VOTE} WHERE user_id = %s AND paper_id = %s RETURNING id"
_COUNT_UP = (
    f"UPDATE {_PAPER} SET trending_score = {SCORE_AFTER_VOTE_SQL}, vote_count = vote_count + 1 "
    "WHERE id = %s RETURNING vote_count"
)
_COUNT_DOWN = (
    f"UPDATE {_PAPER} SET trending_score = {SCORE_AFTER_UNVOTE_SQL}, vote_count = vote_count - 1 "
    "WHERE id = %s RETURNING vote_count"
)
_READ_COUNT = f"SELECT vote_count, status FROM {_PAPER} WHERE id = %s"


@transaction.atomic
def paper_vote_set(*, user, paper_id: int, voted: bool) -> VoteState:
    """Make the member's vote on a paper exist (or not); idempotent.

    Raises Paper.DoesNotExist when there is no such paper, or when voting for
    a paper that is not listed.
    """
    with connection.cursor() as cursor:
        if voted:
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            cursor.execute(_INSERT_VOTE, [user.pk, now, paper_id])
            changed = cursor.fetchone() is not None
            count_sql = _COUNT_UP
        else:
            cursor.execute(_DELETE_VOTE, [user.pk, paper_id])
            changed = cursor.fetchone() is not None
            count_sql = _COUNT_DOWN
        cursor.execute(count_sql if changed else _READ_COUNT, [paper_id])
        row = cursor.fetchone()
    # No vote went in for a listed paper only when the member had voted already.
    if row is None or (voted and not changed and row[1] != Paper.Status.LISTED):
        raise Paper.DoesNotExist(f"No listed paper with id {paper_id}.")
    return VoteState(paper_id=paper_id, vote_count=row[0], voted=voted)


def paper_vote_toggle(*, user, paper_id: int) -> VoteState:
    has_voted = Vote.objects.filter(user=user, paper_id=paper_id).exists()
    return paper_vote_set(user=user, paper_id=paper_id, voted=not has_voted)


def paper_set_status(*, papers, status: str) -> int:
    """Set the status of many papers at once; returns how many changed."""
    if status not in Paper.Status.values:
        raise ValueError(f"Unknown paper status {status!r}.")
    return papers.exclude(status=status).update(status=status, modified_at=timezone.now())


def paper_add_tags(*, papers, tags) -> None:
    """Add tags to papers; pairs that exist already are left alone."""
    through = Paper.tags.through
    paper_ids = papers.values_list("pk", flat=True)
    links = [through(paper_id=p, tag_id=t.pk) for p in paper_ids for t in tags]
    # The through table's unique (paper, tag) index makes existing pairs no-ops.
    through.objects.bulk_create(links, ignore_conflicts=True)
