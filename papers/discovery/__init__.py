"""Recommendations from the group's own signals: "for you" (papers.discovery.for_you)."""

# The "for you" list's length at most (here, not in for_you.py, so that the filters and docs that
# quote it do not import numpy).
FOR_YOU_LIMIT = 200

# A member's list is kept this long in the shared cache: the next page, or the page again, costs
# one query instead of the whole ranking, and pages stay in one order. The member's own votes and
# dismissals drop it at once (forget_for_you); comments, RSVPs and presentations show within this.
FOR_YOU_CACHE_SECONDS = 300


def for_you_cache_key(user_id: int) -> str:
    return f"papers:for-you:{user_id}"


def forget_for_you(user_id: int) -> None:
    """Drop a member's cached list, now and again after the transaction commits (a request that
    read the old signals meanwhile may have cached a list made of them)."""
    from django.core.cache import cache
    from django.db import transaction

    cache.delete(for_you_cache_key(user_id))
    transaction.on_commit(lambda: cache.delete(for_you_cache_key(user_id)))
