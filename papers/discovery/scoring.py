"""The "for you" arithmetic, on plain numpy arrays: no Django, so it can be evaluated offline.

A member's profile is one vector: the weighted sum of the embeddings of the papers they showed
interest in (votes, RSVPs, presentations, comments) minus those they dismissed, each signal's
weight halving every SIGNAL_HALF_LIFE_DAYS. A candidate's score mixes its cosine similarity to
that profile with the group's trending order; both are turned into percentile ranks first, so
TRENDING_SHARE means the same whatever the spread of either (cosines of one embedding model
crowd into a narrow band; trending scores grow with the calendar, papers.trending).

The constants are the knobs an offline evaluation tunes; callers never pass their own.
"""

import numpy as np

# A signal's weight at age zero, by kind. Presenting a paper says the most about a member's
# interests, an RSVP the least (they come for the session, maybe not for each paper). A
# dismissal counts against papers like it, about as much as a vote counts for them.
SIGNAL_WEIGHTS: dict[str, float] = {
    "presented": 1.5,
    "voted": 1.0,
    "commented": 0.75,
    "rsvped": 0.5,
    "dismissed": -1.0,
}
SIGNAL_HALF_LIFE_DAYS = 30.0
TRENDING_SHARE = 0.2


def signal_weight(kind: str, age_days: float) -> float:
    """A signal's weight after `age_days` (signals dated in the future count as new)."""
    return SIGNAL_WEIGHTS[kind] * 0.5 ** (max(age_days, 0.0) / SIGNAL_HALF_LIFE_DAYS)


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def profile_vector(vectors: np.ndarray, weights: np.ndarray) -> np.ndarray | None:
    """The member's unit-length taste: sum of weight x unit embedding over their signals.

    None when there is nothing positive to go on (no signals, or dismissals only: pointing away
    from what one dislikes says nothing about what one likes), or when the signals cancel out.
    """
    weights = np.asarray(weights, dtype=np.float64)
    if weights.size == 0 or not np.any(weights > 0):
        return None
    profile = weights @ _unit_rows(np.asarray(vectors, dtype=np.float64))
    norm = np.linalg.norm(profile)
    if not np.isfinite(norm) or norm < 1e-9:
        return None
    return (profile / norm).astype(np.float32)


def _percentiles(values: np.ndarray) -> np.ndarray:
    """Each value's rank as a fraction from 0 (lowest) to 1 (highest); ties share their mean rank."""
    count = len(values)
    if count < 2:
        return np.ones(count)
    order = np.argsort(values, kind="stable")
    ranks = np.empty(count)
    ranks[order] = np.arange(count)
    # Ties: every member of a group of equal values gets the group's mean rank.
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return (sums / counts)[inverse] / (count - 1)


def for_you_scores(
    profile: np.ndarray | None,
    candidates: np.ndarray,
    trending: np.ndarray,
    *,
    trending_share: float = TRENDING_SHARE,
) -> np.ndarray:
    """One score per candidate row, higher is better, from 0 to 1.

    `candidates` are the candidates' embeddings (a row of zeros for a paper not embedded yet: no
    similarity), `trending` their papers.trending scores. Without a profile only trending counts.
    """
    trending = np.asarray(trending, dtype=np.float64)
    trend = _percentiles(trending)
    if profile is None or len(trending) == 0:
        return trend
    similarity = _unit_rows(np.asarray(candidates, dtype=np.float64)) @ np.asarray(profile, dtype=np.float64)
    return (1 - trending_share) * _percentiles(similarity) + trending_share * trend
