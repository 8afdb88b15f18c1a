import pytest
from django.db import IntegrityError, transaction

from discussions.models import Comment, Subscription
from discussions.tests.factories import CommentFactory
from meetings.tests.factories import MeetingFactory
from members.tests.factories import UserFactory
from papers.tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def test_it_refuses_a_comment_on_both_a_paper_and_a_meeting():
    with pytest.raises(IntegrityError), transaction.atomic():
        CommentFactory(meeting=MeetingFactory())


def test_it_refuses_a_comment_on_nothing():
    with pytest.raises(IntegrityError), transaction.atomic():
        CommentFactory(paper=None)


def test_it_accepts_a_comment_on_a_meeting_alone():
    comment = CommentFactory(paper=None, meeting=MeetingFactory())
    assert comment.target == comment.meeting


def test_it_refuses_a_second_subscription_to_one_thread():
    user, paper = UserFactory(), PaperFactory()
    Subscription.objects.create(user=user, paper=paper)
    with pytest.raises(IntegrityError), transaction.atomic():
        Subscription.objects.create(user=user, paper=paper)


def test_it_refuses_a_subscription_to_two_targets():
    with pytest.raises(IntegrityError), transaction.atomic():
        Subscription.objects.create(user=UserFactory(), paper=PaperFactory(), meeting=MeetingFactory())


def test_it_never_writes_back_a_stale_count_when_a_paper_or_meeting_is_saved():
    paper, meeting = PaperFactory(), MeetingFactory()
    stale_paper, stale_meeting = (
        type(paper).objects.get(pk=paper.pk),
        type(meeting).objects.get(pk=meeting.pk),
    )
    type(paper).objects.filter(pk=paper.pk).update(comment_count=3)
    type(meeting).objects.filter(pk=meeting.pk).update(comment_count=4)
    stale_paper.title, stale_meeting.title = "Renamed", "Renamed"
    stale_paper.save()
    stale_meeting.save()
    paper.refresh_from_db()
    meeting.refresh_from_db()
    assert (paper.title, paper.comment_count) == ("Renamed", 3)
    assert (meeting.title, meeting.comment_count) == ("Renamed", 4)


def test_visible_leaves_out_deleted_and_hidden_comments():
    from django.utils import timezone

    kept = CommentFactory()
    CommentFactory(paper=kept.paper, deleted_at=timezone.now())
    CommentFactory(paper=kept.paper, hidden_at=timezone.now())
    assert list(Comment.objects.visible()) == [kept]
