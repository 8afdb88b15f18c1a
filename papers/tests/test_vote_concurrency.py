"""Votes under real concurrency on PostgreSQL: many threads, each with its own connection, at once.

Every request goes through the whole API stack (token authentication, view, the
vote service's SQL); a barrier releases all threads together.
"""

import random
import threading
from collections import Counter

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from members.tests.factories import UserFactory
from papers.models import Paper, Vote
from papers.tests.factories import PaperFactory
from papers.trending import trending_score
from readinggroup.tests.processes import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
MEMBERS = 50
OPERATIONS_EACH = 10


def _client(user) -> APIClient:
    _, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _assert_counts_agree(paper: Paper, expected: int) -> None:
    paper.refresh_from_db()
    assert paper.vote_count == Vote.objects.filter(paper=paper).count() == expected
    assert paper.trending_score == pytest.approx(
        trending_score(vote_count=expected, created_at=paper.created_at), abs=1e-6
    )


def test_fifty_members_voting_and_unvoting_at_once_keep_the_count_equal_to_the_rows(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    paper = PaperFactory()
    members = [UserFactory(username=f"voter{i}") for i in range(MEMBERS)]
    clients = [_client(member) for member in members]
    rng = random.Random(2026)
    plans = [[rng.random() < 0.6 for _ in range(OPERATIONS_EACH)] for _ in members]
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def member_work(client: APIClient, plan: list[bool]):
        def work() -> None:
            voted = False
            for wanted in plan:
                url = f"/api/v1/papers/{paper.pk}/vote/"
                response = client.put(url) if wanted else client.delete(url)
                assert response.status_code == 200, response.content
                assert response.json()["voted"] is wanted
                with lock:
                    outcomes["changed" if wanted != voted else "no change"] += 1
                voted = wanted

        return work

    errors = run_at_once([member_work(c, plan) for c, plan in zip(clients, plans, strict=True)])
    assert errors == []
    voters = sum(plan[-1] for plan in plans)
    _assert_counts_agree(paper, voters)
    assert set(Vote.objects.filter(paper=paper).values_list("user__username", flat=True)) == {
        m.username for m, plan in zip(members, plans, strict=True) if plan[-1]
    }
    print(
        f"\nRELIABILITY votes-50-members: {sum(outcomes.values())} requests by {MEMBERS} members at once "
        f"({outcomes['changed']} changed a vote, {outcomes['no change']} repeated the state), "
        f"errors {len(errors)}, final vote_count {voters} = vote rows {voters}"
    )


def test_fifty_identical_votes_by_one_member_at_once_leave_one_row(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    paper, member = PaperFactory(), UserFactory(username="eager")
    clients = [_client(member) for _ in range(MEMBERS)]  # fifty devices of one member
    answers: list[dict] = []

    def send(client: APIClient, method: str):
        def work() -> None:
            response = getattr(client, method)(f"/api/v1/papers/{paper.pk}/vote/")
            assert response.status_code == 200, response.content
            answers.append(response.json())

        return work

    assert run_at_once([send(client, "put") for client in clients]) == []
    assert Vote.objects.filter(paper=paper, user=member).count() == 1
    _assert_counts_agree(paper, 1)
    assert all(a == {"paper_id": paper.pk, "vote_count": 1, "voted": True} for a in answers)

    answers.clear()
    assert run_at_once([send(client, "delete") for client in clients]) == []
    _assert_counts_agree(paper, 0)
    assert all(a == {"paper_id": paper.pk, "vote_count": 0, "voted": False} for a in answers)
    print(
        f"\nRELIABILITY votes-50-identical: {MEMBERS} identical votes at once -> 1 row, vote_count 1; "
        f"{MEMBERS} identical un-votes at once -> 0 rows, vote_count 0; errors 0"
    )
