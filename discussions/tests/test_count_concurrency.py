"""comment_count under real concurrency on PostgreSQL: threads with their own connections, at once.

The count must equal the visible comments (neither deleted nor hidden) whatever interleaves.
"""

import contextlib

import pytest
from django.core.exceptions import ValidationError

from discussions import services
from discussions.models import Comment
from members.tests.factories import UserFactory
from papers.tests.factories import PaperFactory
from readinggroup.tests.processes import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
MEMBERS = 40


def _assert_count_exact(paper) -> int:
    paper.refresh_from_db()
    visible = Comment.objects.visible().filter(paper=paper).count()
    assert paper.comment_count == visible
    return visible


def test_forty_members_posting_replying_and_deleting_at_once_keep_the_count_exact():
    paper = PaperFactory()
    members = [UserFactory(username=f"talker{i}") for i in range(MEMBERS)]
    firsts = [services.comment_create(author=m, target=paper, body=f"First by {m}") for m in members]

    def member_work(index: int):
        def work() -> None:
            member = members[index]
            services.comment_create(author=member, target=paper, body="A new thought")
            # A reply to the neighbour's first comment, which its author deletes meanwhile:
            # either the reply goes in first, or it is refused as a reply to a deleted comment.
            neighbour = firsts[(index + 1) % MEMBERS]
            with contextlib.suppress(ValidationError):
                services.comment_create(author=member, target=paper, body="Agreed", parent_id=neighbour.pk)
            services.comment_delete(user=member, comment_id=firsts[index].pk)

        return work

    assert run_at_once([member_work(i) for i in range(MEMBERS)]) == []
    visible = _assert_count_exact(paper)
    assert visible >= MEMBERS  # every new thought, and the replies that got in
    print(f"\nRELIABILITY comments-40-members: comment_count {visible} = visible comments {visible}")


def test_an_organiser_hiding_while_authors_delete_changes_the_count_once_per_comment():
    paper = PaperFactory()
    organiser = UserFactory(username="moderator", role="organiser")
    members = [UserFactory(username=f"writer{i}") for i in range(MEMBERS // 2)]
    comments = [services.comment_create(author=m, target=paper, body="Hide me or not") for m in members]

    def delete(comment):
        return lambda: services.comment_delete(user=comment.author, comment_id=comment.pk)

    def hide(comment):
        return lambda: services.comment_hide(user=organiser, comment_id=comment.pk)

    calls = [delete(c) for c in comments] + [hide(c) for c in comments]
    assert run_at_once(calls) == []
    assert _assert_count_exact(paper) == 0
