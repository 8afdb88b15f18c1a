"""The threads on paper and session pages, their actions with and without htmx, the Discussions page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from discussions import services
from discussions.models import Comment, Subscription
from discussions.text import render_body
from meetings.tests.factories import MeetingFactory
from papers.models import Paper
from papers.tests.factories import PaperFactory
from readinggroup.tests.xss_corpus import ALL, audit

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def _client(user=None, **kwargs) -> Client:
    client = Client(**kwargs)
    if user is not None:
        client.force_login(user)
    return client


def _post(author, target, body="A thought.", **kwargs) -> Comment:
    return services.comment_create(author=author, target=target, body=body, **kwargs)


def _create_url(target) -> str:
    kind = "papers" if isinstance(target, Paper) else "meetings"
    return reverse("discussions:create", args=[kind, target.pk])


def test_a_paper_page_shows_its_thread_with_replies_and_a_form(member, other_member):
    paper = PaperFactory()
    root = _post(member, paper, "Why **this** loss? $\\alpha_1$ @other")
    _post(other_member, paper, "Because.", parent_id=root.pk)
    html = _client(member).get(paper.get_absolute_url()).content.decode()
    assert 'id="comment-' + str(root.pk) in html and "Because." in html
    assert '<span class="math">\\alpha_1</span>' in html
    assert reverse("discussions:member", args=["other"]) in html
    assert 'name="body"' in html and "Discussion <span" in html


def test_a_session_page_shows_its_thread(member):
    meeting = MeetingFactory()
    _post(member, meeting, "Bring snacks")
    html = _client(member).get(meeting.get_absolute_url()).content.decode()
    assert "Bring snacks" in html and _create_url(meeting) in html


def test_visitors_read_a_public_thread_but_are_asked_to_log_in_to_comment(member):
    paper = PaperFactory()
    _post(member, paper, "Visible to all")
    html = Client().get(paper.get_absolute_url()).content.decode()
    assert "Visible to all" in html and 'name="body"' not in html and "to comment" in html


def test_a_private_site_shows_no_comment_to_visitors(member, settings):
    settings.SITE_PUBLIC = False
    paper = PaperFactory()
    _post(member, paper, "Members only")
    for url in (
        paper.get_absolute_url(),
        reverse("discussions:index"),
        reverse("discussions:member", args=["member"]),
        reverse("discussions:new", args=["papers", paper.pk]) + "?after=0",
    ):
        response = Client().get(url)
        assert response.status_code == 302 and b"Members only" not in response.content


def test_it_posts_without_javascript_and_comes_back_to_the_comment(member):
    paper = PaperFactory()
    response = _client(member).post(_create_url(paper), {"body": "Plain", "next": paper.get_absolute_url()})
    comment = Comment.objects.get()
    assert response.status_code == 303
    assert response["Location"] == f"{paper.get_absolute_url()}#comment-{comment.pk}"
    paper.refresh_from_db()
    assert paper.comment_count == 1


def test_it_posts_with_htmx_and_answers_a_fresh_form_and_the_comment(member):
    paper = PaperFactory()
    response = _client(member).post(_create_url(paper), {"body": "Live"}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'hx-swap-oob="beforeend:#thread-roots-papers-{paper.pk}"' in html
    assert "<p>Live</p>" in html and "<textarea" in html


def test_a_reply_with_htmx_goes_under_its_thread_root(member, other_member):
    paper = PaperFactory()
    root = _post(member, paper)
    reply = _post(member, paper, parent_id=root.pk)
    response = _client(other_member).post(
        _create_url(paper), {"body": "Deeper", "parent": reply.pk}, headers=HTMX
    )
    assert f'hx-swap-oob="beforeend:#replies-{root.pk}"' in response.content.decode()
    assert Comment.objects.get(body="Deeper").parent_id == root.pk


@pytest.mark.parametrize("body", ["", "   "])
def test_an_empty_comment_is_a_form_error_with_nothing_written(member, body):
    paper = PaperFactory()
    response = _client(member).post(_create_url(paper), {"body": body})
    assert response.status_code == 400 and b"empty" in response.content
    assert _client(member).post(_create_url(paper), {"body": body}, headers=HTMX).status_code == 200
    assert not Comment.objects.exists()


def test_an_over_long_comment_keeps_its_text_in_the_form(member, settings):
    settings.DISCUSSION_MAX_CHARS = 10
    paper = PaperFactory()
    response = _client(member).post(_create_url(paper), {"body": "far too long a text"})
    assert response.status_code == 400
    assert b"far too long a text</textarea>" in response.content and b"at most 10" in response.content
    assert not Comment.objects.exists()


def test_a_reply_to_another_thread_or_an_unknown_comment_is_a_form_error(member):
    paper, other = PaperFactory(), PaperFactory()
    elsewhere = _post(member, other)
    for parent in (elsewhere.pk, 999999, "nonsense"):
        response = _client(member).post(_create_url(paper), {"body": "x", "parent": parent})
        assert response.status_code == 400
    assert Comment.objects.count() == 1


def test_too_many_comments_answer_429_with_retry_after(member, settings):
    settings.DISCUSSION_RATE = "1/minute"
    paper = PaperFactory()
    client = _client(member)
    client.post(_create_url(paper), {"body": "one"})
    response = client.post(_create_url(paper), {"body": "two"})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert b"too fast" in response.content
    assert Comment.objects.count() == 1


def test_comments_on_a_hidden_paper_are_for_organisers_only(member, organiser):
    paper = PaperFactory(status=Paper.Status.HIDDEN)
    _post(organiser, paper, "Curators' note")
    assert _client(member).post(_create_url(paper), {"body": "x"}).status_code == 404
    poll = reverse("discussions:new", args=["papers", paper.pk]) + "?after=0"
    assert _client(member).get(poll).status_code == 404
    assert b"Curators" not in _client(member).get(reverse("discussions:index")).content
    assert b"Curators" in _client(organiser).get(reverse("discussions:index")).content


def test_a_pending_paper_thread_is_open_to_who_suggested_it(member, other_member):
    paper = PaperFactory(status=Paper.Status.PENDING, submitted_by=member)
    assert _client(member).post(_create_url(paper), {"body": "Mine"}).status_code == 303
    assert _client(other_member).post(_create_url(paper), {"body": "x"}).status_code == 404


def test_unknown_targets_and_kinds_are_404(member):
    assert _client(member).post("/discussions/papers/999999/comments/", {"body": "x"}).status_code == 404
    assert _client(member).post("/discussions/tags/1/comments/", {"body": "x"}).status_code == 404


def test_the_reply_page_quotes_the_comment_when_asked(member, other_member):
    comment = _post(member, PaperFactory(), "Original line")
    url = reverse("discussions:reply", args=[comment.pk])
    page = _client(other_member).get(url + "?quote=1").content.decode()
    assert "Member wrote:\n&gt; Original line" in page and f'name="parent" value="{comment.pk}"' in page
    fragment = _client(other_member).get(url, headers=HTMX).content.decode()
    assert "<html" not in fragment and "<textarea" in fragment


def test_the_author_edits_within_the_window(member):
    comment = _post(member, PaperFactory(), "Frist")
    url = reverse("discussions:edit", args=[comment.pk])
    assert b"Frist</textarea>" in _client(member).get(url).content
    response = _client(member).post(url, {"body": "First"}, headers=HTMX)
    assert b"<p>First</p>" in response.content and b"(edited)" in response.content


def test_an_edit_after_the_window_is_a_form_error(member):
    comment = _post(member, PaperFactory(), "Old")
    Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - timedelta(minutes=20))
    response = _client(member).post(reverse("discussions:edit", args=[comment.pk]), {"body": "New"})
    assert response.status_code == 400 and b"15 minutes" in response.content
    htmx = _client(member).post(reverse("discussions:edit", args=[comment.pk]), {"body": "New"}, headers=HTMX)
    assert htmx["HX-Retarget"] == f"#comment-{comment.pk}"
    comment.refresh_from_db()
    assert comment.body == "Old"


def test_only_the_author_edits_or_deletes(member, other_member):
    comment = _post(member, PaperFactory(), "Mine")
    client = _client(other_member)
    assert client.get(reverse("discussions:edit", args=[comment.pk])).status_code == 403
    assert client.post(reverse("discussions:edit", args=[comment.pk]), {"body": "x"}).status_code == 403
    assert client.post(reverse("discussions:delete", args=[comment.pk])).status_code == 403
    comment.refresh_from_db()
    assert (comment.body, comment.deleted_at) == ("Mine", None)


def test_a_deleted_comment_with_replies_keeps_its_place(member, other_member):
    paper = PaperFactory()
    root = _post(member, paper, "Question?")
    _post(other_member, paper, "Answer.", parent_id=root.pk)
    response = _client(member).post(reverse("discussions:delete", args=[root.pk]), headers=HTMX)
    html = response.content.decode()
    assert "This comment was deleted." in html and "Answer." in html and "Question?" not in html
    lonely = _post(member, paper, "Alone")
    gone = _client(member).post(reverse("discussions:delete", args=[lonely.pk]), headers=HTMX)
    assert gone.content.strip() == b""


def test_organisers_hide_and_unhide_and_members_see_a_placeholder(member, other_member, organiser):
    paper = PaperFactory()
    root = _post(member, paper, "Rude words")
    _post(other_member, paper, "Calm down", parent_id=root.pk)
    assert _client(other_member).post(reverse("discussions:hide", args=[root.pk])).status_code == 403
    response = _client(organiser).post(reverse("discussions:hide", args=[root.pk]), headers=HTMX)
    assert b"Rude words" in response.content and b"Hidden from members" in response.content
    page = _client(other_member).get(paper.get_absolute_url()).content.decode()
    assert "Rude words" not in page and "hidden by an organiser" in page
    paper.refresh_from_db()
    assert paper.comment_count == 1
    no_js = _client(organiser).post(reverse("discussions:unhide", args=[root.pk]), {"next": "/"})
    assert no_js.status_code == 303
    assert b"Rude words" in _client(other_member).get(paper.get_absolute_url()).content


def test_the_poll_answers_only_what_others_posted_since_the_cursor(member, other_member):
    paper = PaperFactory()
    seen = _post(member, paper, "Seen")
    _post(member, paper, "My own")
    root = _post(other_member, paper, "New root")
    _post(other_member, paper, "New reply", parent_id=seen.pk)
    url = reverse("discussions:new", args=["papers", paper.pk])
    html = _client(member).get(f"{url}?after={seen.pk}").content.decode()
    assert "New root" in html and "New reply" in html and "Seen" not in html and "My own" not in html
    assert f'hx-swap-oob="beforeend:#replies-{seen.pk}"' in html
    latest = Comment.objects.latest("pk").pk
    assert f"?after={latest}" in html
    empty = _client(member).get(f"{url}?after={latest}").content.decode()
    assert "hx-swap-oob" not in empty and f"?after={latest}" in empty
    assert root.pk < latest


def test_a_poll_costs_the_same_whatever_the_threads_length(member, other_member, settings):
    """The poll sends what is new only: a thread of 40 comments polls as cheaply as one of 2."""
    settings.DISCUSSION_RATE = "1000/minute"
    short, long = PaperFactory(), PaperFactory()
    for paper, count in ((short, 2), (long, 40)):
        for n in range(count):
            _post(other_member, paper, f"Comment {n} with some words in it")
    client = _client(member)

    def poll(paper) -> tuple[int, int]:
        latest = Comment.objects.filter(paper=paper).latest("pk").pk
        url = reverse("discussions:new", args=["papers", paper.pk]) + f"?after={latest}"
        client.get(url)  # the session's first request of a page
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        return len(queries), len(
            response.content.replace(str(latest).encode(), b"").replace(str(paper.pk).encode(), b"")
        )

    assert poll(short) == poll(long)
    _post(other_member, long, "One more")
    url = reverse("discussions:new", args=["papers", long.pk])
    before = Comment.objects.filter(paper=long).order_by("-pk")[1].pk
    html = client.get(f"{url}?after={before}").content.decode()
    assert html.count("<article") == 1 and "One more" in html and "Comment 39" not in html


@pytest.mark.parametrize("after", ["", "abc", "1.5"])
def test_a_poll_without_a_number_cursor_is_400(member, after):
    url = reverse("discussions:new", args=["papers", PaperFactory().pk])
    assert _client(member).get(f"{url}?after={after}").status_code == 400


def test_following_a_thread_works_without_javascript(member):
    paper = PaperFactory()
    url = reverse("discussions:subscription", args=["papers", paper.pk])
    assert _client(member).post(url, {"subscribed": "1"}).status_code == 303
    assert Subscription.objects.get(user=member, paper=paper).active
    response = _client(member).post(url, {"subscribed": "0"}, headers=HTMX)
    assert b"Follow this discussion" in response.content
    assert not Subscription.objects.get(user=member, paper=paper).active


def test_the_discussions_page_lists_the_latest_comments_newest_first(member, other_member):
    paper, meeting = PaperFactory(title="Attention"), MeetingFactory(title="Friday session")
    _post(member, paper, "Older")
    _post(other_member, meeting, "Newer")
    html = Client().get(reverse("discussions:index")).content.decode()
    assert html.index("Newer") < html.index("Older") and "Attention" in html and "Friday session" in html


def test_member_search_suggests_names_without_addresses(member, other_member):
    response = _client(member).get(reverse("discussions:member-search") + "?q=@oth")
    assert response.json() == {"members": [{"username": "other", "name": "Other"}]}
    assert b"example.org" not in response.content
    assert Client().get(reverse("discussions:member-search") + "?q=o").status_code == 302


def test_paper_cards_show_the_comment_count(member):
    paper = PaperFactory()
    _post(member, paper)
    _post(member, paper)
    assert b"2 comments" in Client().get(reverse("papers:trending")).content


def test_writes_need_the_csrf_token(member):
    paper = PaperFactory()
    client = _client(member, enforce_csrf_checks=True)
    assert client.post(_create_url(paper), {"body": "x"}).status_code == 403
    assert not Comment.objects.exists()


@pytest.mark.parametrize("payload", ALL)
def test_the_xss_corpus_in_a_comment_never_reaches_the_pages_as_markup(member, payload, settings):
    settings.DISCUSSION_RATE = "1000/minute"
    paper = PaperFactory()
    body = f"{payload}\n\n$x {payload}$ and `{payload}`"
    client = _client(member)
    response = client.post(_create_url(paper), {"body": body})
    if response.status_code == 400:  # an @name that is no member, a NUL: the form comes back
        assert audit(response.content.decode()) == []
        assert audit(render_body(body)) == []
        return
    for url in (paper.get_absolute_url(), reverse("discussions:index")):
        problems = audit(client.get(url).content.decode())
        assert problems == [], (url, problems)
    htmx = client.post(_create_url(paper), {"body": body}, headers=HTMX).content.decode()
    assert audit(htmx) == []


def test_a_thread_costs_the_same_queries_whatever_its_length(
    member, other_member, settings, django_assert_num_queries
):
    settings.DISCUSSION_RATE = "1000/minute"
    paper = PaperFactory()
    root = _post(member, paper, "@other first")
    client = _client(member)
    client.get(paper.get_absolute_url())
    with CaptureQueriesContext(connection) as few:
        client.get(paper.get_absolute_url())
    for n in range(30):
        _post(other_member, paper, f"Reply {n} to @member", parent_id=root.pk if n % 2 else None)
    # The first look at the new comments marks them read: one UPDATE, however many there are.
    with django_assert_num_queries(len(few.captured_queries) + 1):
        assert b"Reply 29" in client.get(paper.get_absolute_url()).content
    with django_assert_num_queries(len(few.captured_queries)):
        assert b"Reply 29" in client.get(paper.get_absolute_url()).content


def test_a_public_papers_thread_has_an_atom_feed(member, settings):
    paper = PaperFactory()
    _post(member, paper, "Feed me **now**")
    url = reverse("feeds:paper-comments-atom", args=[paper.pk])
    assert url.encode() in Client().get(paper.get_absolute_url()).content
    feed = Client().get(url)
    assert feed.status_code == 200 and b"Feed me &lt;strong&gt;now&lt;/strong&gt;" in feed.content
    settings.SITE_PUBLIC = False
    assert _client(member).get(url).status_code == 404
    assert url.encode() not in _client(member).get(paper.get_absolute_url()).content


def test_no_feed_for_papers_that_are_not_listed(member):
    paper = PaperFactory(status=Paper.Status.PENDING, submitted_by=member)
    assert Client().get(reverse("feeds:paper-comments-atom", args=[paper.pk])).status_code == 404


def test_rendered_bodies_come_from_the_cache_until_the_comment_changes(member):
    from unittest import mock

    from discussions import selectors

    paper = PaperFactory()
    comment = _post(member, paper, "Cached **body**")
    client = _client(member)
    client.get(paper.get_absolute_url())
    with mock.patch.object(selectors, "render_body", side_effect=AssertionError("rendered again")):
        assert b"<strong>body</strong>" in client.get(paper.get_absolute_url()).content
    services.comment_edit(user=member, comment_id=comment.pk, body="Fresh **text**")
    assert b"<strong>text</strong>" in client.get(paper.get_absolute_url()).content
