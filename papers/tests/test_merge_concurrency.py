"""A merge while members vote for both papers, on PostgreSQL with one connection per thread."""

import threading

import pytest

from members.tests.factories import UserFactory
from papers.models import Paper, Vote
from papers.services import paper_vote_set, papers_merge
from papers.tests.factories import PaperFactory
from readinggroup.tests.processes import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
MEMBERS = 24


def test_a_merge_during_votes_keeps_one_vote_per_member_and_an_exact_count():
    keep, duplicate = PaperFactory(), PaperFactory()
    members = [UserFactory(username=f"merger{i}") for i in range(MEMBERS)]
    # Half voted for the duplicate already; every member now votes for one of the two papers.
    for member in members[::2]:
        paper_vote_set(user=member, paper_id=duplicate.pk, voted=True)
    counted: set[int] = {m.pk for m in members[::2]}
    lock = threading.Lock()

    def vote(member, paper_id: int):
        def work() -> None:
            try:
                paper_vote_set(user=member, paper_id=paper_id, voted=True)
            except Paper.DoesNotExist:
                return  # the duplicate was merged away first: a 404 for this member, nothing stored
            with lock:
                counted.add(member.pk)

        return work

    calls = [vote(m, (keep if i % 3 else duplicate).pk) for i, m in enumerate(members)]
    calls.append(lambda: papers_merge(keep=Paper.objects.get(pk=keep.pk), duplicates=[duplicate]))
    errors = run_at_once(calls)
    assert errors == []
    keep.refresh_from_db()
    voters = list(Vote.objects.filter(paper=keep).values_list("user_id", flat=True))
    assert sorted(voters) == sorted(counted)
    assert keep.vote_count == len(voters)
    assert not Paper.objects.filter(pk=duplicate.pk).exists()
