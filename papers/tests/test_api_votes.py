"""PUT / DELETE /api/v1/papers/{id}/vote/: idempotent, per member, listed papers only."""

import pytest
from rest_framework.test import APIClient

from members.models import User
from papers.models import Paper, Vote
from papers.tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def _vote_url(paper) -> str:
    return f"/api/v1/papers/{paper.pk}/vote/"


def test_putting_a_vote_twice_counts_it_once(api, member):
    paper = PaperFactory()
    client = api(member)
    first = client.put(_vote_url(paper))
    second = client.put(_vote_url(paper))
    assert first.status_code == second.status_code == 200
    assert second.json() == {"paper_id": paper.pk, "vote_count": 1, "voted": True}
    assert Vote.objects.filter(paper=paper).count() == 1


def test_deleting_a_vote_twice_removes_it_once(api, member, other_member):
    paper = PaperFactory()
    api(other_member).put(_vote_url(paper))
    client = api(member)
    client.put(_vote_url(paper))
    assert client.delete(_vote_url(paper)).json() == {"paper_id": paper.pk, "vote_count": 1, "voted": False}
    assert client.delete(_vote_url(paper)).json() == {"paper_id": paper.pk, "vote_count": 1, "voted": False}
    paper.refresh_from_db()
    assert paper.vote_count == 1


def test_votes_of_two_members_add_up(api, member, other_member):
    paper = PaperFactory()
    api(member).put(_vote_url(paper))
    assert api(other_member).put(_vote_url(paper)).json()["vote_count"] == 2


@pytest.mark.parametrize("status", [Paper.Status.PENDING, Paper.Status.HIDDEN])
def test_unlisted_papers_cannot_get_votes(api, member, status):
    paper = PaperFactory(status=status)
    response = api(member).put(_vote_url(paper))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not Vote.objects.exists()


@pytest.mark.parametrize(
    "path", ["/api/v1/papers/424242/vote/", "/api/v1/papers/99999999999999999999999/vote/"]
)
def test_voting_for_a_missing_paper_is_a_404(api, member, path):
    assert api(member).put(path).status_code == 404
    assert api(member).delete(path).status_code == 404


def test_anonymous_clients_cannot_vote(api):
    paper = PaperFactory()
    response = api().put(_vote_url(paper))
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert not Vote.objects.exists()


def test_other_methods_on_the_vote_are_a_405(api, member):
    paper = PaperFactory()
    response = api(member).post(_vote_url(paper))
    assert response.status_code == 405
    assert response.json() == {
        "detail": 'Method "POST" not allowed.',
        "code": "method_not_allowed",
        "errors": {},
    }


@pytest.mark.django_db(transaction=True)
def test_a_vote_from_an_account_deleted_meanwhile_is_a_403_not_a_500(member):
    paper = PaperFactory()
    client = APIClient()
    client.force_authenticate(user=member)  # the request authenticated before the deletion
    User.objects.filter(pk=member.pk).delete()
    response = client.put(f"/api/v1/papers/{paper.pk}/vote/")
    assert response.status_code == 403, response.content
    assert "no longer exists" in response.json()["detail"]
    assert not Vote.objects.exists()
