from datetime import timedelta

import pytest
from django.utils import timezone

from members.tests.factories import UserFactory
from papers.selectors import paper_list, paper_queue
from papers.services import paper_vote_set
from papers.tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def _vote(paper, n: int) -> None:
    for _ in range(n):
        paper_vote_set(user=UserFactory(), paper_id=paper.pk, voted=True)


def test_the_queue_orders_listed_undiscussed_papers_by_votes():
    few, many, none = PaperFactory(), PaperFactory(), PaperFactory()
    _vote(few, 1)
    _vote(many, 3)
    PaperFactory(status="pending")
    PaperFactory(status="hidden")
    discussed = PaperFactory(discussed_at=timezone.now())
    _vote(discussed, 5)
    assert list(paper_queue()) == [many, few, none]


def test_queue_ties_are_broken_by_trending():
    now = timezone.now()
    older = PaperFactory(created_at=now - timedelta(days=10))
    newer = PaperFactory(created_at=now - timedelta(days=1))
    _vote(older, 2)
    _vote(newer, 2)
    assert list(paper_queue()) == [newer, older]


def test_trending_lets_a_recent_paper_beat_an_old_one_with_more_votes(settings):
    settings.TRENDING_HALF_LIFE_DAYS = 3
    now = timezone.now()
    old = PaperFactory(created_at=now - timedelta(days=30))
    recent = PaperFactory(created_at=now - timedelta(days=1))
    _vote(old, 6)
    _vote(recent, 1)
    assert list(paper_list(order="trending")) == [recent, old]
    assert list(paper_list(order="votes")) == [old, recent]


def test_trending_prefers_votes_among_papers_of_the_same_age():
    now = timezone.now()
    a = PaperFactory(created_at=now)
    b = PaperFactory(created_at=now)
    _vote(b, 2)
    assert list(paper_list(order="trending")) == [b, a]


def test_has_voted_is_true_only_for_my_votes(member):
    mine, theirs = PaperFactory(), PaperFactory()
    paper_vote_set(user=member, paper_id=mine.pk, voted=True)
    _vote(theirs, 1)
    voted = {p.pk: p.has_voted for p in paper_queue(user=member)}
    assert voted == {mine.pk: True, theirs.pk: False}


def test_newest_orders_by_publication_date():
    now = timezone.now()
    old = PaperFactory(published_at=now - timedelta(days=3))
    new = PaperFactory(published_at=now)
    assert list(paper_list(order="newest")) == [new, old]
