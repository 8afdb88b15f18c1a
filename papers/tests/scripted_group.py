"""A scripted group for the "for you" tests: papers of two topics whose embeddings we write
ourselves (topic A near one axis, topic B near another) and votes dated as a test likes."""

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from papers.models import Paper, Vote
from papers.search import embeddings, semantic
from papers.services import paper_vote_set
from papers.tests.factories import PaperFactory

PER_TOPIC = 8


def topic_vector(axis: int, rng: np.random.Generator) -> np.ndarray:
    # Noise of length about 0.5: papers of one topic are about 0.8 alike, of two topics about 0.
    vector = rng.normal(0, 0.5 / np.sqrt(embeddings.EMBEDDING_DIMENSIONS), embeddings.EMBEDDING_DIMENSIONS)
    vector[axis] += 1.0
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def embed(paper: Paper, vector: np.ndarray) -> Paper:
    Paper.objects.filter(pk=paper.pk).update(embedding=embeddings.to_bytes(vector))
    semantic.forget()
    return paper


@pytest.fixture
def group():
    """PER_TOPIC papers on each of two topics, embedded; ids by topic."""
    rng = np.random.default_rng(7)
    topics = {"A": [], "B": []}
    for axis, topic in enumerate(topics):
        for n in range(PER_TOPIC):
            paper = PaperFactory(title=f"Topic {topic} paper {n}")
            topics[topic].append(embed(paper, topic_vector(axis, rng)).pk)
    return topics


def vote(user, *paper_ids: int, days_ago: float = 0) -> None:
    for pk in paper_ids:
        paper_vote_set(user=user, paper_id=pk, voted=True)
    at = timezone.now() - timedelta(days=days_ago)
    Vote.objects.filter(user=user, paper_id__in=paper_ids).update(created_at=at)
