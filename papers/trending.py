"""The "trending" order: votes with exponential time decay.

A paper's weight is (1 + votes) * 2 ** (days_since_added / half_life), so a
paper added one half-life later needs half the votes to rank the same. Its
log2 is log2(1 + votes) + days_since_epoch / half_life: ordering by that
number gives the same order, and because the time term is fixed when the
paper is added to the site, the score only changes when votes change. It can
be stored, indexed and paginated like any column instead of recomputed per
request. "Added to the site" rather than "published": an old paper the group
starts voting for this week is trending for the group.
"""

import math
from datetime import UTC, datetime

from django.conf import settings

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def trending_score(*, vote_count: int, created_at: datetime) -> float:
    days = (created_at - EPOCH).total_seconds() / 86400
    return math.log2(1 + vote_count) + days / settings.TRENDING_HALF_LIFE_DAYS


# SQL that moves a stored score by one vote, written against the row's old
# vote_count (both PostgreSQL and SQLite evaluate SET clauses on old values).
# LN is built into PostgreSQL; Django registers it on SQLite connections.
SCORE_AFTER_VOTE_SQL = "trending_score + LN((vote_count + 2.0) / (vote_count + 1.0)) / LN(2.0)"
SCORE_AFTER_UNVOTE_SQL = "trending_score - LN((vote_count + 1.0) / vote_count) / LN(2.0)"
