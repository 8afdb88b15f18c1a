"""Syncing a thread: modified_at on comments and ?updated_since= on both comment lists, where
edits, deletions and moderation between two syncs show up, in a stable order, page by page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from discussions import services
from discussions.models import Comment
from meetings.tests.factories import MeetingFactory
from papers.services import papers_merge
from papers.tests.factories import PaperFactory
from readinggroup.tests.api_pages import all_pages

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_posting(settings):
    settings.DISCUSSION_RATE = "1000/minute"


def _post(author, target, body="A thought.", **kwargs) -> Comment:
    return services.comment_create(author=author, target=target, body=body, **kwargs)


def _stamp(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize("kind", ["papers", "meetings"])
def test_edits_deletes_and_hides_between_two_syncs_show_up(
    kind, api, member, other_member, organiser, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    target = PaperFactory() if kind == "papers" else MeetingFactory()
    url = f"/api/v1/{kind}/{target.pk}/comments/"
    edited, deleted, hidden, untouched = (_post(member, target, f"c{n}") for n in range(4))
    _post(other_member, target, "reply", parent_id=deleted.pk)
    client = api(other_member)
    first = all_pages(client, url, {"updated_since": "2000-01-01T00:00:00Z", "page_size": 2})
    assert len(first) == 5 and all(c["modified_at"] for c in first)
    time_machine.shift(timedelta(seconds=1))
    last_sync = timezone.now()

    time_machine.shift(timedelta(minutes=1))
    services.comment_hide(user=organiser, comment_id=hidden.pk)
    time_machine.shift(timedelta(minutes=1))
    services.comment_delete(user=member, comment_id=deleted.pk)
    time_machine.shift(timedelta(minutes=1))
    services.comment_edit(user=member, comment_id=edited.pk, body="c0, corrected")
    time_machine.shift(timedelta(minutes=1))
    new = _post(member, target, "new")

    changes = all_pages(client, url, {"updated_since": _stamp(last_sync), "page_size": 1})
    assert [c["id"] for c in changes] == [hidden.pk, deleted.pk, edited.pk, new.pk]  # by modified_at
    by_id = {c["id"]: c for c in changes}
    assert by_id[hidden.pk]["hidden"] is True and by_id[hidden.pk]["body"] == ""
    assert by_id[deleted.pk]["deleted"] is True and by_id[deleted.pk]["author"] is None
    assert by_id[edited.pk]["body"] == "c0, corrected" and by_id[edited.pk]["edited_at"]
    assert untouched.pk not in by_id
    assert changes == sorted(changes, key=lambda c: (c["modified_at"], c["id"]))


def test_unhiding_shows_the_comment_again_in_the_next_sync(api, member, organiser, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    paper = PaperFactory()
    comment = _post(member, paper, "Visible again")
    services.comment_hide(user=organiser, comment_id=comment.pk)
    time_machine.shift(timedelta(seconds=1))
    last_sync = timezone.now()
    time_machine.shift(timedelta(minutes=1))
    services.comment_unhide(user=organiser, comment_id=comment.pk)
    (changed,) = all_pages(
        api(member), f"/api/v1/papers/{paper.pk}/comments/", {"updated_since": _stamp(last_sync)}
    )
    assert (changed["hidden"], changed["body"]) == (False, "Visible again")


def test_comments_moved_by_a_merge_reach_the_kept_papers_sync(api, member, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    kept, duplicate = PaperFactory(), PaperFactory()
    moved = _post(member, duplicate, "On the duplicate")
    time_machine.shift(timedelta(seconds=1))
    last_sync = timezone.now()
    time_machine.shift(timedelta(minutes=1))
    papers_merge(keep=kept, duplicates=[duplicate])
    changes = all_pages(
        api(member), f"/api/v1/papers/{kept.pk}/comments/", {"updated_since": _stamp(last_sync)}
    )
    assert [c["id"] for c in changes] == [moved.pk]


@pytest.mark.parametrize(
    "params",
    [
        {"updated_since": "yesterday"},
        {"updated_since": "2026-13-01T00:00:00Z"},
        {"updated_since": "0001-01-01T00:00:00+05:00"},  # before year 1 in UTC
        {"updated_since": "2026-01-01T00:00:00Z", "since": "2026-01-01T00:00:00Z"},
        {"updated_since": "2026-01-01T00:00:00Z", "cursor": "bm90LW91cnM"},
    ],
)
def test_bad_updated_since_is_a_400_naming_it(api, member, params):
    paper = PaperFactory()
    response = api(member).get(f"/api/v1/papers/{paper.pk}/comments/", params)
    assert response.status_code == 400
    assert set(response.json()["errors"]) & {"updated_since", "cursor"}


def test_a_cursor_of_the_sync_order_pages_on(api, member):
    paper = PaperFactory()
    comments = [_post(member, paper, f"c{n}") for n in range(3)]
    client = api(member)
    url = f"/api/v1/papers/{paper.pk}/comments/"
    page = client.get(url, {"updated_since": "2000-01-01T00:00:00Z", "page_size": 2}).json()
    assert page["next"] and [c["id"] for c in page["results"]] == [c.pk for c in comments[:2]]
    assert client.get(url, {"cursor": page["next"].split("cursor=")[1].split("&")[0]}).status_code == 400


def test_the_schema_documents_updated_since_and_modified_at(api, member):
    schema = api(member).get("/api/v1/schema/", {"format": "json"}).json()
    for path in ("/api/v1/papers/{id}/comments/", "/api/v1/meetings/{id}/comments/"):
        names = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
        assert {"since", "updated_since", "cursor", "page_size"} <= names
    assert "modified_at" in schema["components"]["schemas"]["Comment"]["required"]


def test_the_existing_comments_get_their_latest_write_as_modified_at():
    """The migration's backfill: posting, or the latest of edit, deletion and hiding."""
    from importlib import import_module

    from django.apps import apps

    backfill = import_module("discussions.migrations.0005_comment_modified_at").backfill
    paper = PaperFactory()
    now = timezone.now()
    plain = Comment.objects.create(paper=paper, body="a", created_at=now - timedelta(days=3))
    edited = Comment.objects.create(paper=paper, body="b", created_at=now - timedelta(days=3))
    Comment.objects.filter(pk=edited.pk).update(
        edited_at=now - timedelta(days=2), hidden_at=now - timedelta(days=1), modified_at=now
    )
    Comment.objects.filter(pk=plain.pk).update(modified_at=now)
    backfill(apps, None)
    plain.refresh_from_db()
    edited.refresh_from_db()
    assert plain.modified_at == plain.created_at
    assert edited.modified_at == edited.hidden_at
