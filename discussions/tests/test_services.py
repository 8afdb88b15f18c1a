from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from discussions import services
from discussions.models import Comment, Mention, Subscription
from discussions.services import RateLimited, Target
from meetings.tests.factories import MeetingFactory
from members.services import user_delete
from members.tests.factories import UserFactory
from papers.tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def _count(target) -> int:
    target.refresh_from_db()
    return target.comment_count


def _post(author, target, body="A thought.", **kwargs) -> Comment:
    return services.comment_create(author=author, target=target, body=body, **kwargs)


def _nothing_written(target, comments: int = 0) -> None:
    assert Comment.objects.count() == comments
    assert _count(target) == Comment.objects.visible().filter(**Target.of(target).fields()).count()


def test_it_counts_comments_and_replies_on_a_paper(member, other_member):
    paper = PaperFactory()
    first = _post(member, paper)
    _post(other_member, paper, parent_id=first.pk)
    assert _count(paper) == 2


def test_it_counts_comments_on_a_meeting(member):
    meeting = MeetingFactory()
    comment = _post(member, meeting, "See you there.")
    assert (comment.meeting_id, comment.paper_id, _count(meeting)) == (meeting.pk, None, 1)


def test_it_attaches_a_reply_to_a_reply_to_the_thread_root(member, other_member):
    paper = PaperFactory()
    root = _post(member, paper)
    reply = _post(other_member, paper, parent_id=root.pk)
    deeper = _post(member, paper, parent_id=reply.pk)
    assert deeper.parent_id == root.pk


@pytest.mark.parametrize("body", ["", "   \n ", None, 42, "x\x00y"])
def test_it_refuses_an_empty_or_malformed_body(member, body):
    paper = PaperFactory()
    with pytest.raises(ValidationError) as error:
        _post(member, paper, body)
    assert "body" in error.value.message_dict
    _nothing_written(paper)


def test_it_refuses_an_over_long_body(member, settings):
    settings.DISCUSSION_MAX_CHARS = 20
    paper = PaperFactory()
    _post(member, paper, "x" * 20)
    with pytest.raises(ValidationError, match="at most 20 characters"):
        _post(member, paper, "x" * 21)
    _nothing_written(paper, comments=1)


def test_it_refuses_a_reply_to_a_comment_of_another_target(member):
    paper, other = PaperFactory(), PaperFactory()
    elsewhere = _post(member, other)
    with pytest.raises(ValidationError, match="another discussion"):
        _post(member, paper, parent_id=elsewhere.pk)
    with pytest.raises(ValidationError, match="another discussion"):
        _post(member, MeetingFactory(), parent_id=elsewhere.pk)
    _nothing_written(paper, comments=1)


@pytest.mark.parametrize("parent_id", [999999, "abc", "1.5"])
def test_it_refuses_a_reply_to_an_unknown_comment(member, parent_id):
    paper = PaperFactory()
    with pytest.raises(ValidationError, match="no such comment"):
        _post(member, paper, parent_id=parent_id)
    _nothing_written(paper)


def test_it_refuses_replies_to_deleted_or_hidden_comments(member, organiser):
    paper = PaperFactory()
    deleted, hidden = _post(member, paper), _post(member, paper)
    services.comment_delete(user=member, comment_id=deleted.pk)
    services.comment_hide(user=organiser, comment_id=hidden.pk)
    with pytest.raises(ValidationError, match="deleted"):
        _post(organiser, paper, parent_id=deleted.pk)
    with pytest.raises(ValidationError, match="hidden"):
        _post(organiser, paper, parent_id=hidden.pk)
    _nothing_written(paper, comments=2)


def test_it_records_mentions_and_subscribes_the_mentioned(member, other_member):
    paper = PaperFactory()
    comment = _post(member, paper, "What do you think, @Other?")
    assert list(Mention.objects.filter(comment=comment).values_list("user__username", flat=True)) == ["other"]
    subscribed = Subscription.objects.filter(paper=paper, active=True).values_list(
        "user__username", flat=True
    )
    assert set(subscribed) == {"member", "other"}


def test_it_refuses_a_mention_of_an_unknown_or_inactive_member(member):
    paper = PaperFactory()
    UserFactory(username="gone", is_active=False)
    with pytest.raises(ValidationError, match="@nobody, @gone"):
        _post(member, paper, "Hello @nobody and @gone")
    _nothing_written(paper)
    assert not Subscription.objects.exists()


def test_it_keeps_an_unsubscription_when_the_member_comments_again(member):
    paper = PaperFactory()
    services.subscription_set(user=member, target=paper, subscribed=False)
    _post(member, paper)
    assert Subscription.objects.get(user=member, paper=paper).active is False
    services.subscription_set(user=member, target=paper, subscribed=True)
    services.subscription_ensure(users=[member], target=Target.of(paper))
    assert Subscription.objects.get(user=member, paper=paper).active is True


def test_it_limits_how_fast_a_member_posts(member, other_member, settings):
    settings.DISCUSSION_RATE = "3/minute"
    paper = PaperFactory()
    for _ in range(3):
        _post(member, paper)
    with pytest.raises(RateLimited) as error:
        _post(member, paper)
    assert 1 <= error.value.retry_after <= 61
    _post(other_member, paper)  # the limit is per member
    _nothing_written(paper, comments=4)
    Comment.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    _post(member, paper)


def test_the_author_edits_within_the_window_and_it_shows_as_edited(member):
    paper = PaperFactory()
    comment = _post(member, paper, "Frist")
    edited = services.comment_edit(user=member, comment_id=comment.pk, body="First")
    assert (edited.body, edited.edited_at is not None) == ("First", True)


def test_it_refuses_an_edit_after_the_window(member):
    comment = _post(member, PaperFactory(), "Old")
    Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - timedelta(minutes=16))
    with pytest.raises(ValidationError, match="15 minutes"):
        services.comment_edit(user=member, comment_id=comment.pk, body="New")
    comment.refresh_from_db()
    assert (comment.body, comment.edited_at) == ("Old", None)


def test_only_the_author_edits_or_deletes(member, other_member, organiser):
    paper = PaperFactory()
    comment = _post(member, paper, "Mine")
    for user in (other_member, organiser):
        with pytest.raises(PermissionDenied):
            services.comment_edit(user=user, comment_id=comment.pk, body="Theirs")
        with pytest.raises(PermissionDenied):
            services.comment_delete(user=user, comment_id=comment.pk)
    comment.refresh_from_db()
    assert (comment.body, comment.deleted_at, _count(paper)) == ("Mine", None, 1)


@pytest.mark.parametrize("comment_id", [999999, "x"])
def test_it_says_an_unknown_comment_does_not_exist(member, organiser, comment_id):
    with pytest.raises(Comment.DoesNotExist):
        services.comment_edit(user=member, comment_id=comment_id, body="x")
    with pytest.raises(Comment.DoesNotExist):
        services.comment_hide(user=organiser, comment_id=comment_id)


def test_it_updates_mentions_when_a_comment_is_edited(member, other_member):
    UserFactory(username="third")
    comment = _post(member, PaperFactory(), "@other")
    services.comment_edit(user=member, comment_id=comment.pk, body="@third, sorry")
    assert list(comment.mentions.values_list("user__username", flat=True)) == ["third"]
    with pytest.raises(ValidationError):
        services.comment_edit(user=member, comment_id=comment.pk, body="@ghost")
    assert list(comment.mentions.values_list("user__username", flat=True)) == ["third"]


def test_a_deleted_comment_loses_its_text_and_its_count_once(member, other_member):
    paper = PaperFactory()
    comment = _post(member, paper, "Oops")
    _post(other_member, paper, parent_id=comment.pk)
    deleted = services.comment_delete(user=member, comment_id=comment.pk)
    assert (deleted.body, deleted.deleted_at is not None, _count(paper)) == ("", True, 1)
    with pytest.raises(ValidationError):
        services.comment_delete(user=member, comment_id=comment.pk)
    assert _count(paper) == 1


def test_hiding_and_unhiding_move_the_count_by_visibility(member, organiser):
    paper = PaperFactory()
    comment = _post(member, paper)
    services.comment_hide(user=organiser, comment_id=comment.pk)
    services.comment_hide(user=organiser, comment_id=comment.pk)  # twice: once counted
    assert _count(paper) == 0
    services.comment_unhide(user=organiser, comment_id=comment.pk)
    services.comment_unhide(user=organiser, comment_id=comment.pk)
    assert _count(paper) == 1
    services.comment_hide(user=organiser, comment_id=comment.pk)
    services.comment_delete(user=member, comment_id=comment.pk)  # hidden, then deleted
    services.comment_unhide(user=organiser, comment_id=comment.pk)  # deleted stays uncounted
    assert _count(paper) == 0 == Comment.objects.visible().count()


def test_only_organisers_hide(member, other_member):
    comment = _post(member, PaperFactory())
    with pytest.raises(PermissionDenied):
        services.comment_hide(user=other_member, comment_id=comment.pk)
    comment.refresh_from_db()
    assert comment.hidden_at is None


def test_deleting_an_account_deletes_its_comments_and_keeps_the_threads(member, other_member):
    paper, meeting = PaperFactory(), MeetingFactory()
    answered = _post(member, paper, "Question")
    _post(other_member, paper, "Answer", parent_id=answered.pk)
    _post(member, meeting, "Alone")
    user_delete(user=member)
    assert (_count(paper), _count(meeting)) == (1, 0)
    answered.refresh_from_db()
    assert (answered.author, answered.body, answered.deleted_at is not None) == (None, "", True)
    assert Comment.objects.filter(body__in=["Question", "Alone"]).count() == 0


def test_a_members_data_export_holds_their_comments(member, other_member):
    import json

    from members.export import user_data_json

    paper = PaperFactory()
    _post(member, paper, "Mine $x$")
    _post(other_member, paper, "Theirs")
    exported = json.loads(user_data_json(user=member))
    assert [c["body"] for c in exported["comments"]] == ["Mine $x$"]
    assert exported["comments"][0]["paper_id"] == paper.pk
