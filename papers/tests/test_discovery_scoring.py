"""The "for you" arithmetic on small hand-made vectors (no database)."""

import numpy as np
import pytest

from papers.discovery import scoring

X, Y, Z = np.eye(3, dtype=np.float32)


def test_it_has_no_profile_without_signals_or_when_they_cancel_out() -> None:
    assert scoring.profile_vector(np.empty((0, 3)), np.empty(0)) is None
    assert scoring.profile_vector(np.stack([X, X]), np.array([1.0, -1.0])) is None


def test_it_normalises_each_signal_before_weighting_it() -> None:
    # A long vector must not outweigh a short one: only the weights decide.
    profile = scoring.profile_vector(np.stack([10 * X, Y]), np.array([1.0, 1.0]))
    assert profile == pytest.approx(np.array([1, 1, 0]) / np.sqrt(2), abs=1e-6)
    assert np.linalg.norm(profile) == pytest.approx(1.0)


def test_a_dismissal_pushes_the_profile_away_from_its_topic() -> None:
    voted_only = scoring.profile_vector(np.stack([X + Y]), np.array([1.0]))
    with_dismissal = scoring.profile_vector(np.stack([X + Y, Y]), np.array([1.0, scoring.DISMISSED_WEIGHT]))
    assert with_dismissal @ Y < voted_only @ Y
    assert with_dismissal @ X > voted_only @ X


def test_it_rejects_weights_that_do_not_match_the_vectors() -> None:
    with pytest.raises(ValueError, match="2 vectors but 1 weights"):
        scoring.profile_vector(np.stack([X, Y]), np.array([1.0]))


def test_without_a_profile_the_order_is_trendings() -> None:
    scores = scoring.for_you_scores(None, np.stack([X, Y, Z]), np.array([5.0, 9.0, 1.0]))
    assert list(np.argsort(-scores)) == [1, 0, 2]


def test_similarity_leads_and_trending_breaks_the_tie() -> None:
    candidates = np.stack([X, Y, (X + Y) / np.sqrt(2)])
    scores = scoring.for_you_scores(X, candidates, np.array([0.0, 100.0, 50.0]), trending_share=0.2)
    assert list(np.argsort(-scores)) == [0, 2, 1]
    # With trending only, the popular paper wins whatever the profile.
    only_trending = scoring.for_you_scores(X, candidates, np.array([0.0, 100.0, 50.0]), trending_share=1.0)
    assert int(np.argmax(only_trending)) == 1


def test_the_mix_does_not_depend_on_the_scale_of_trending() -> None:
    candidates = np.stack([X, Y, Z, (X + Y) / np.sqrt(2)])
    trending = np.array([1.0, 4.0, 2.0, 3.0])
    small = scoring.for_you_scores(X, candidates, trending)
    # The site's trending score carries a large offset that grows with the date.
    large = scoring.for_you_scores(X, candidates, trending * 1000 + 9000)
    assert small == pytest.approx(large)


def test_equal_trending_scores_add_nothing() -> None:
    assert scoring.min_max(np.array([2.0, 4.0, 3.0])) == pytest.approx([0.0, 1.0, 0.5])
    assert scoring.min_max(np.array([7.0, 7.0])) == pytest.approx([0.0, 0.0])
    scores = scoring.for_you_scores(X, np.stack([X, Y]), np.array([5.0, 5.0]), trending_share=0.5)
    assert scores == pytest.approx([0.5, 0.0])


def test_it_rejects_a_share_outside_zero_to_one_and_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="trending_share"):
        scoring.for_you_scores(X, np.stack([X]), np.array([1.0]), trending_share=1.5)
    with pytest.raises(ValueError, match="2 candidates but 1 trending"):
        scoring.for_you_scores(X, np.stack([X, Y]), np.array([1.0]))


def test_recent_signals_weigh_more() -> None:
    half_life = scoring.RECENCY_HALF_LIFE_DAYS
    assert scoring.recency_weight(0) == 1.0
    assert scoring.recency_weight(half_life) == pytest.approx(0.5)
    assert scoring.recency_weight(2 * half_life) == pytest.approx(0.25)
    assert scoring.recency_weight(-3) == 1.0  # a clock a little ahead is not a bonus
