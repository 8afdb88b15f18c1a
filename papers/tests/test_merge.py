"""papers_merge: duplicates folded into the paper an organiser keeps."""

import pytest
from django.core.exceptions import ValidationError

from meetings.models import AgendaItem
from meetings.tests.factories import AgendaItemFactory, MeetingFactory
from members.tests.factories import UserFactory
from papers.models import Paper, PaperTombstone, Vote
from papers.services import paper_vote_set, papers_merge, papers_merge_plan
from papers.tests.factories import PaperFactory, TagFactory
from papers.trending import trending_score

pytestmark = pytest.mark.django_db


def _vote(user, paper) -> None:
    paper_vote_set(user=user, paper_id=paper.pk, voted=True)


def test_it_moves_votes_without_counting_a_member_twice():
    keep, duplicate = PaperFactory(), PaperFactory()
    both, only_dup, only_keep = UserFactory(), UserFactory(), UserFactory()
    for user in (both, only_keep):
        _vote(user, keep)
    for user in (both, only_dup):
        _vote(user, duplicate)
    merged = papers_merge(keep=keep, duplicates=[duplicate])
    assert set(Vote.objects.filter(paper=merged).values_list("user", flat=True)) == {
        both.pk,
        only_dup.pk,
        only_keep.pk,
    }
    assert merged.vote_count == 3
    assert merged.trending_score == pytest.approx(trending_score(vote_count=3, created_at=merged.created_at))
    assert not Paper.objects.filter(pk=duplicate.pk).exists()


def test_it_moves_tags_and_agenda_items_keeping_one_item_per_meeting():
    shared, other = TagFactory(name="shared"), TagFactory(name="other")
    keep, duplicate = PaperFactory(tags=[shared]), PaperFactory(tags=[shared, other])
    both_meeting, dup_meeting = MeetingFactory(), MeetingFactory()
    presenter = UserFactory()
    AgendaItemFactory(meeting=both_meeting, paper=keep)
    AgendaItemFactory(meeting=both_meeting, paper=duplicate, presenter=presenter)
    AgendaItemFactory(meeting=dup_meeting, paper=duplicate)
    papers_merge(keep=keep, duplicates=[duplicate])
    assert set(keep.tags.values_list("name", flat=True)) == {"shared", "other"}
    items = AgendaItem.objects.filter(paper=keep)
    assert sorted(items.values_list("meeting_id", flat=True)) == sorted([both_meeting.pk, dup_meeting.pk])
    assert items.get(meeting=both_meeting).presenter == presenter


def test_it_takes_identifiers_the_kept_paper_lacks_and_leaves_a_tombstone():
    keep = PaperFactory(doi="10.1234/kept", arxiv_id="")
    duplicate = PaperFactory(arxiv_id="2401.00001", arxiv_version=2)
    merged = papers_merge(keep=keep, duplicates=[duplicate])
    assert (merged.arxiv_id, merged.arxiv_version, merged.doi) == ("2401.00001", 2, "10.1234/kept")
    tombstone = PaperTombstone.objects.get(paper_id=duplicate.pk)
    assert tombstone.merged_into_id == keep.pk


def test_it_refuses_to_merge_a_paper_with_itself_and_changes_nothing():
    keep = PaperFactory()
    with pytest.raises(ValidationError):
        papers_merge(keep=keep, duplicates=[keep])
    assert Paper.objects.filter(pk=keep.pk).exists()
    assert not PaperTombstone.objects.exists()


def test_the_plan_lists_what_moves_and_what_clashes():
    keep, duplicate = PaperFactory(), PaperFactory()
    both = UserFactory()
    _vote(both, keep)
    _vote(both, duplicate)
    _vote(UserFactory(), duplicate)
    plan = papers_merge_plan(keep=keep, duplicates=[keep, duplicate])
    assert plan.duplicates == [duplicate]
    assert plan.moves["papers.Vote"] == (1, 1)
    assert Vote.objects.filter(paper=duplicate).count() == 2  # a plan changes nothing


def test_deleting_a_paper_leaves_a_tombstone():
    paper = PaperFactory()
    paper_id = paper.pk
    paper.delete()
    assert PaperTombstone.objects.filter(paper_id=paper_id, merged_into_id=None).exists()


def test_it_moves_comments_and_counts_only_the_visible_ones():
    from discussions import services as discussions

    keep, duplicate = PaperFactory(), PaperFactory()
    author = UserFactory()
    discussions.comment_create(author=author, target=keep, body="On the kept paper.")
    discussions.comment_create(author=author, target=duplicate, body="On the duplicate.")
    gone = discussions.comment_create(author=author, target=duplicate, body="Deleted soon.")
    discussions.comment_delete(user=author, comment_id=gone.pk)
    merged = papers_merge(keep=keep, duplicates=[duplicate])
    assert merged.comments.count() == 3
    assert merged.comment_count == 2
