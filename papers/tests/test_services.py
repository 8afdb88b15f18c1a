import pytest
from django.core.exceptions import PermissionDenied

from members.models import User
from members.tests.factories import UserFactory
from papers.models import Paper, Vote
from papers.services import paper_add_tags, paper_set_status, paper_vote_set, paper_vote_toggle
from papers.tests.factories import PaperFactory, TagFactory

pytestmark = pytest.mark.django_db


def _count_matches_rows(paper: Paper) -> bool:
    paper.refresh_from_db()
    return paper.vote_count == Vote.objects.filter(paper=paper).count()


def test_a_vote_adds_one_and_is_idempotent(member):
    paper = PaperFactory()
    first = paper_vote_set(user=member, paper_id=paper.pk, voted=True)
    again = paper_vote_set(user=member, paper_id=paper.pk, voted=True)
    assert (first.vote_count, first.voted) == (1, True)
    assert (again.vote_count, again.voted) == (1, True)
    assert _count_matches_rows(paper)


def test_unvoting_removes_the_vote_and_is_idempotent(member):
    paper = PaperFactory()
    paper_vote_set(user=member, paper_id=paper.pk, voted=True)
    state = paper_vote_set(user=member, paper_id=paper.pk, voted=False)
    again = paper_vote_set(user=member, paper_id=paper.pk, voted=False)
    assert (state.vote_count, again.vote_count, again.voted) == (0, 0, False)
    assert _count_matches_rows(paper)


def test_toggling_flips_the_vote(member):
    paper = PaperFactory()
    assert paper_vote_toggle(user=member, paper_id=paper.pk).voted
    assert not paper_vote_toggle(user=member, paper_id=paper.pk).voted
    assert _count_matches_rows(paper)


def test_the_count_follows_many_members_voting_and_unvoting():
    paper = PaperFactory()
    members = [UserFactory() for _ in range(6)]
    for member in members:
        paper_vote_set(user=member, paper_id=paper.pk, voted=True)
    for member in members[:2]:
        paper_vote_set(user=member, paper_id=paper.pk, voted=False)
    paper.refresh_from_db()
    assert paper.vote_count == 4
    assert _count_matches_rows(paper)


def test_a_vote_raises_the_trending_score_and_an_unvote_restores_it(member):
    paper = PaperFactory()
    before = Paper.objects.get(pk=paper.pk).trending_score
    paper_vote_set(user=member, paper_id=paper.pk, voted=True)
    after_vote = Paper.objects.get(pk=paper.pk).trending_score
    paper_vote_set(user=member, paper_id=paper.pk, voted=False)
    assert after_vote == pytest.approx(before + 1.0)
    assert Paper.objects.get(pk=paper.pk).trending_score == pytest.approx(before)


@pytest.mark.parametrize("status", [Paper.Status.PENDING, Paper.Status.HIDDEN])
def test_it_refuses_a_vote_for_a_paper_that_is_not_listed(member, status):
    paper = PaperFactory(status=status)
    with pytest.raises(Paper.DoesNotExist):
        paper_vote_set(user=member, paper_id=paper.pk, voted=True)
    assert not Vote.objects.exists()


def test_it_refuses_a_vote_for_a_missing_paper(member):
    with pytest.raises(Paper.DoesNotExist):
        paper_vote_set(user=member, paper_id=987654, voted=True)


def test_set_status_changes_only_papers_in_another_status():
    PaperFactory(status="listed")
    PaperFactory(status="pending")
    assert paper_set_status(papers=Paper.objects.all(), status="listed") == 1


def test_adding_tags_twice_links_each_pair_once():
    paper, tag = PaperFactory(), TagFactory()
    paper_add_tags(papers=Paper.objects.all(), tags=[tag])
    paper_add_tags(papers=Paper.objects.all(), tags=[tag])
    assert list(paper.tags.all()) == [tag]


@pytest.mark.django_db(transaction=True)
def test_a_vote_arriving_after_its_members_account_was_deleted_is_refused_and_writes_nothing():
    """The account deletion commits first; the vote's foreign key fails at its own commit."""
    paper = PaperFactory()
    member = UserFactory()
    User.objects.filter(pk=member.pk).delete()  # `member` is now what the request still holds
    with pytest.raises(PermissionDenied, match="no longer exists"):
        paper_vote_set(user=member, paper_id=paper.pk, voted=True)
    paper.refresh_from_db()
    assert paper.vote_count == 0 and not Vote.objects.exists()
