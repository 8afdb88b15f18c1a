"""The "for you" ranking as pure arithmetic on embeddings, so it can be measured offline.

A member's profile is the weighted sum of the embeddings of the papers they gave a signal
to (voted for, RSVPed to a session of, presented, commented on; dismissed papers count
against). A candidate's score mixes its cosine with the profile and the group's trending
score. The two are on unrelated scales (a cosine in [-1, 1] against a trending score that
grows with the days since 2000, see papers/trending.py), so each is min-max scaled over
the candidates before mixing: the mix then means the same thing whatever the offset and
unit. bench/discovery_quality.py measures it and chose the constants here, and min-max
over percentile ranks, on its dev split (ranks flatten the few strong matches that matter).
"""

import numpy as np

# How much one signal moves the profile, relative to a vote. Presenting a paper is the
# strongest interest a member shows; an RSVP is partly about the date, not the paper.
VOTE_WEIGHT = 1.0
RSVP_WEIGHT = 0.5
PRESENTED_WEIGHT = 1.5
COMMENTED_WEIGHT = 0.75
# Negative: a dismissed paper pushes the profile away from its topic.
DISMISSED_WEIGHT = -1.0
# Keyed by the signal kinds papers.discovery.for_you gathers.
SIGNAL_WEIGHTS = {
    "voted": VOTE_WEIGHT,
    "rsvped": RSVP_WEIGHT,
    "presented": PRESENTED_WEIGHT,
    "commented": COMMENTED_WEIGHT,
    "dismissed": DISMISSED_WEIGHT,
}

# A signal half this many days old counts half as much: tastes drift over a few months.
RECENCY_HALF_LIFE_DAYS = 90.0
SIGNAL_HALF_LIFE_DAYS = RECENCY_HALF_LIFE_DAYS

# Share of the score that comes from the group's trending order (tuned on the dev split).
TRENDING_SHARE = 0.3


def recency_weight(age_days: float) -> float:
    """1 for a signal given now, 1/2 after one half-life; future dates count as now."""
    return 0.5 ** (max(age_days, 0.0) / RECENCY_HALF_LIFE_DAYS)


def signal_weight(kind: str, age_days: float) -> float:
    """A signal's weight after `age_days`: its kind's weight, halved every half-life."""
    return SIGNAL_WEIGHTS[kind] * recency_weight(age_days)


def profile_vector(vectors: np.ndarray, weights: np.ndarray) -> np.ndarray | None:
    """Unit-length weighted sum of the unit-normalised signal embeddings, or None.

    None when there is no signal, only dismissals (pointing away from what one dislikes says
    nothing about what one likes) or the signals cancel out: the caller then ranks by trending
    alone rather than by a direction that means nothing.
    """
    weights = np.asarray(weights, dtype=np.float64).reshape(-1)
    vectors = np.asarray(vectors, dtype=np.float64)
    if vectors.size == 0:
        return None
    vectors = np.atleast_2d(vectors)
    if len(weights) != len(vectors):
        raise ValueError(f"{len(vectors)} vectors but {len(weights)} weights")
    if not np.any(weights > 0):
        return None
    profile = weights @ _unit_rows(vectors)
    norm = np.linalg.norm(profile)
    if not np.isfinite(norm) or norm < 1e-9:
        return None
    return (profile / norm).astype(np.float32)


def for_you_scores(
    profile: np.ndarray | None,
    candidates: np.ndarray,
    trending: np.ndarray,
    *,
    trending_share: float = TRENDING_SHARE,
) -> np.ndarray:
    """One score per candidate row, higher is better, within [0, 1].

    `candidates` are unit-length embeddings; `trending` is each candidate's trending score
    in the group. Without a profile (a member with no signals) the order is trending's.
    """
    if not 0.0 <= trending_share <= 1.0:
        raise ValueError(f"trending_share must be within [0, 1], not {trending_share}")
    trending = np.asarray(trending, dtype=np.float64).reshape(-1)
    if len(trending) != len(candidates):
        raise ValueError(f"{len(candidates)} candidates but {len(trending)} trending scores")
    trending_part = min_max(trending)
    if profile is None:
        return trending_part
    similarity = np.asarray(candidates, dtype=np.float64) @ np.asarray(profile, dtype=np.float64)
    return (1.0 - trending_share) * min_max(similarity) + trending_share * trending_part


def min_max(values: np.ndarray) -> np.ndarray:
    """Values moved and scaled onto [0, 1]; all zeros when they are all equal.

    Equal values carry no preference (a group with no votes yet), so they add nothing
    rather than a constant that would only shift every score.
    """
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if len(values) == 0:
        return values
    low, span = values.min(), np.ptp(values)
    return (values - low) / span if span > 0 else np.zeros(len(values))


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)
