"""papers.topic_match: similarities from a topic's centre, without making centred copies."""

import numpy as np
import pytest

from papers.topic_match import collection_centre, matches, similarities, topic_vector


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


def test_similarities_equal_cosines_of_the_centred_vectors() -> None:
    rng = np.random.default_rng(7)
    papers = _unit(rng.normal(size=(6, 8)).astype(np.float32))
    centre = collection_centre(papers)
    topics = np.stack([topic_vector(d, centre) for d in _unit(rng.normal(size=(3, 8)))])
    centred = _unit(papers - centre)
    expected = centred @ topics.T
    assert similarities(papers, topics, np.tile(centre, (3, 1))) == pytest.approx(expected, abs=1e-5)


def test_seeds_weigh_as_much_as_the_description_however_many() -> None:
    centre = np.zeros(2, dtype=np.float32)
    description = np.array([1.0, 0.0], dtype=np.float32)
    seeds = np.array([[0.0, 1.0]] * 5, dtype=np.float32)
    assert topic_vector(description, centre, seeds) == pytest.approx(np.array([1, 1]) / np.sqrt(2))
    assert topic_vector(description, centre) == pytest.approx(description)


def test_matches_keep_the_pairs_at_or_above_the_threshold() -> None:
    papers = np.eye(3, dtype=np.float32)
    topics = np.eye(3, dtype=np.float32)[:2]
    found = matches(papers, topics, np.zeros((2, 3), dtype=np.float32), 0.5)
    assert found == [(0, 0, 1.0), (1, 1, 1.0)]
    assert matches(papers[:0], topics, np.zeros((2, 3), dtype=np.float32), 0.5) == []
