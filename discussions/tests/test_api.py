"""Comment threads in the REST API: listing with ?since=, posting, editing, deleting, moderation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from discussions import services
from discussions.models import Comment, Subscription
from meetings.tests.factories import MeetingFactory
from papers.models import Paper
from papers.tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def _post(author, target, body="A thought.", **kwargs) -> Comment:
    return services.comment_create(author=author, target=target, body=body, **kwargs)


def test_it_lists_a_thread_oldest_first_with_replies_naming_their_root(api, member, other_member):
    paper = PaperFactory()
    root = _post(member, paper, "First $x_1$ @other")
    _post(other_member, paper, "Second", parent_id=root.pk)
    body = api(member).get(f"/api/v1/papers/{paper.pk}/comments/").json()
    assert [c["body"] for c in body["results"]] == ["First $x_1$ @other", "Second"]
    first, second = body["results"]
    assert first["author"] == {"username": "member", "name": "Member"} and first["mentions"] == ["other"]
    assert '<span class="math">x_1</span>' in first["body_html"] and first["can_edit"] is True
    assert second["parent"] == root.pk and second["can_edit"] is False
    assert "email" not in str(body) and "example.org" not in str(body)


def test_it_pages_a_long_thread_and_since_gives_only_what_is_new(api, member, settings):
    settings.DISCUSSION_RATE = "100/minute"
    meeting = MeetingFactory()
    for n in range(5):
        _post(member, meeting, f"c{n}")
    client = api(member)
    page = client.get(f"/api/v1/meetings/{meeting.pk}/comments/", {"page_size": 3}).json()
    assert [c["body"] for c in page["results"]] == ["c0", "c1", "c2"]
    rest = client.get(page["next"]).json()
    assert [c["body"] for c in rest["results"]] == ["c3", "c4"] and rest["next"] is None
    assert (
        client.get(f"/api/v1/meetings/{meeting.pk}/comments/", {"since": rest["since"]}).json()["results"]
        == []
    )
    _post(member, meeting, "c5")
    newer = client.get(f"/api/v1/meetings/{meeting.pk}/comments/", {"since": rest["since"]}).json()
    assert [c["body"] for c in newer["results"]] == ["c5"]
    again = client.get(f"/api/v1/meetings/{meeting.pk}/comments/", {"since": newer["since"]}).json()
    assert again["results"] == [] and again["since"] == newer["since"]


def test_since_also_takes_a_time(api, member):
    paper = PaperFactory()
    old = _post(member, paper, "old")
    Comment.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    _post(member, paper, "new")
    since = (timezone.now() - timedelta(days=1)).isoformat()
    results = api(member).get(f"/api/v1/papers/{paper.pk}/comments/", {"since": since}).json()["results"]
    assert [c["body"] for c in results] == ["new"]


@pytest.mark.parametrize("since", ["nonsense", "2026-13-45T00:00:00", "\x00", "eyJvIjpbInRpdGxlIl19"])
def test_a_malformed_since_is_a_400(api, member, since):
    response = api(member).get(f"/api/v1/papers/{PaperFactory().pk}/comments/", {"since": since})
    assert response.status_code == 400 and "since" in response.json()["errors"]


def test_it_posts_a_comment_and_a_reply(api, member, other_member):
    paper = PaperFactory()
    response = api(member).post(f"/api/v1/papers/{paper.pk}/comments/", {"body": "Hi @other"}, format="json")
    assert response.status_code == 201 and response.json()["mentions"] == ["other"]
    reply = api(other_member).post(
        f"/api/v1/papers/{paper.pk}/comments/",
        {"body": "Hello", "parent": response.json()["id"]},
        format="json",
    )
    assert reply.status_code == 201 and reply.json()["parent"] == response.json()["id"]
    assert api(member).get(f"/api/v1/papers/{paper.pk}/").json()["comment_count"] == 2


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"body": ""},
        {"body": "   "},
        {"body": "x\x00"},
        {"body": "@nobody"},
        {"body": "x", "parent": 0},
    ],
)
def test_bad_bodies_are_400_with_nothing_written(api, member, payload):
    paper = PaperFactory()
    response = api(member).post(f"/api/v1/papers/{paper.pk}/comments/", payload, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert not Comment.objects.exists()


def test_replies_to_other_threads_deleted_or_unknown_comments_are_400(api, member):
    paper, other = PaperFactory(), PaperFactory()
    elsewhere, gone = _post(member, other), _post(member, paper)
    services.comment_delete(user=member, comment_id=gone.pk)
    for parent in (elsewhere.pk, gone.pk, 999999):
        response = api(member).post(
            f"/api/v1/papers/{paper.pk}/comments/", {"body": "x", "parent": parent}, format="json"
        )
        assert response.status_code == 400 and "parent" in response.json()["errors"]
    assert Comment.objects.count() == 2


def test_posting_too_fast_is_a_429_with_retry_after(api, member, settings):
    settings.DISCUSSION_RATE = "1/minute"
    url = f"/api/v1/papers/{PaperFactory().pk}/comments/"
    client = api(member)
    assert client.post(url, {"body": "one"}, format="json").status_code == 201
    response = client.post(url, {"body": "two"}, format="json")
    assert response.status_code == 429 and response.json()["retry_after"] > 0 and response["Retry-After"]


def test_threads_of_papers_one_cannot_see_are_404(api, member, organiser):
    hidden = PaperFactory(status=Paper.Status.HIDDEN)
    comment = _post(organiser, hidden, "note")
    for method, url in (
        ("get", f"/api/v1/papers/{hidden.pk}/comments/"),
        ("post", f"/api/v1/papers/{hidden.pk}/comments/"),
        ("get", f"/api/v1/comments/{comment.pk}/"),
        ("put", f"/api/v1/papers/{hidden.pk}/subscription/"),
        ("get", "/api/v1/papers/999999/comments/"),
        ("get", "/api/v1/comments/99999999999999999999/"),
    ):
        body = {"body": "x"} if method != "get" else None  # on a GET it would be a query string
        assert getattr(api(member), method)(url, body, format="json").status_code == 404, url
    assert api(organiser).get(f"/api/v1/papers/{hidden.pk}/comments/").status_code == 200


def test_anonymous_clients_read_a_public_site_only(api, member, settings):
    paper = PaperFactory()
    _post(member, paper)
    assert api().get(f"/api/v1/papers/{paper.pk}/comments/").status_code == 200
    assert api().post(f"/api/v1/papers/{paper.pk}/comments/", {"body": "x"}, format="json").status_code == 401
    settings.SITE_PUBLIC = False
    assert api().get(f"/api/v1/papers/{paper.pk}/comments/").status_code == 401


def test_the_author_edits_and_deletes_and_others_may_not(api, member, other_member):
    paper = PaperFactory()
    comment = _post(member, paper, "Mine")
    url = f"/api/v1/comments/{comment.pk}/"
    assert api(other_member).patch(url, {"body": "Theirs"}, format="json").status_code == 403
    assert api(other_member).delete(url).status_code == 403
    edited = api(member).patch(url, {"body": "Mine, edited"}, format="json").json()
    assert edited["body"] == "Mine, edited" and edited["edited_at"] is not None
    assert api(member).delete(url).status_code == 204
    shown = api(other_member).get(url).json()
    assert (shown["deleted"], shown["body"], shown["author"]) == (True, "", None)
    assert api(member).delete(url).status_code == 400


def test_an_edit_after_fifteen_minutes_is_refused(api, member):
    comment = _post(member, PaperFactory(), "Old")
    Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - timedelta(minutes=16))
    response = api(member).patch(f"/api/v1/comments/{comment.pk}/", {"body": "New"}, format="json")
    assert response.status_code == 400 and "15 minutes" in response.json()["detail"]


def test_organisers_hide_and_members_see_no_text(api, member, other_member, organiser):
    paper = PaperFactory()
    comment = _post(member, paper, "Rude")
    url = f"/api/v1/comments/{comment.pk}/hidden/"
    assert api(other_member).put(url).status_code == 403
    assert api(organiser).put(url).json()["hidden"] is True
    assert api(other_member).get(f"/api/v1/comments/{comment.pk}/").json()["body"] == ""
    assert api(organiser).get(f"/api/v1/comments/{comment.pk}/").json()["body"] == "Rude"
    assert api(member).get(f"/api/v1/papers/{paper.pk}/").json()["comment_count"] == 0
    assert api(organiser).delete(url).json()["hidden"] is False


def test_subscribe_and_unsubscribe_are_idempotent(api, member):
    meeting = MeetingFactory()
    url = f"/api/v1/meetings/{meeting.pk}/subscription/"
    client = api(member)
    assert client.get(url).json() == {"subscribed": False}
    assert client.put(url).json() == client.put(url).json() == {"subscribed": True}
    assert client.delete(url).json() == {"subscribed": False}
    assert Subscription.objects.filter(user=member, meeting=meeting).count() == 1
    assert api().get(url).status_code == 401


def test_meetings_show_their_comment_count(api, member):
    meeting = MeetingFactory()
    _post(member, meeting)
    assert api(member).get(f"/api/v1/meetings/{meeting.pk}/").json()["comment_count"] == 1


def test_a_thread_list_costs_the_same_queries_whatever_its_length(api, member, other_member, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.DISCUSSION_RATE = "1000/minute"
    paper = PaperFactory()
    _post(member, paper, "@other")
    client = api(member)
    url = f"/api/v1/papers/{paper.pk}/comments/"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(15):
        _post(other_member, paper, f"@member {n}")
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(url).json()["results"]) == 16
    assert len(many.captured_queries) == len(few.captured_queries)
