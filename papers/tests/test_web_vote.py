"""The vote control: htmx fragment, plain POST + redirect, anonymous visitors, safety."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from papers.models import Paper, Vote
from papers.tests.factories import PaperFactory

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def _button(html: str, paper: Paper) -> str:
    match = re.search(rf'<button[^>]*id="vote-{paper.pk}"[^>]*>.*?</button>', html, re.S)
    assert match, html
    return match.group(0)


def test_the_vote_button_says_vote_shows_the_count_and_whether_i_voted(client, member):
    paper = PaperFactory()
    Vote.objects.create(user=member, paper=paper)
    Paper.objects.filter(pk=paper.pk).update(vote_count=1)
    client.force_login(member)
    button = _button(client.get(paper.get_absolute_url()).content.decode(), paper)
    assert 'aria-pressed="true"' in button
    assert re.search(r'class="count">1</span>\s*<span class="label">vote</span>', button)


def test_an_htmx_vote_answers_with_the_new_control_only(client, member):
    paper = PaperFactory()
    client.force_login(member)
    response = client.post(reverse("papers:vote", args=[paper.pk]), {"voted": "1", "next": "/"}, headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert 'aria-pressed="true"' in _button(body, paper) and 'class="count">1<' in body
    assert 'name="voted" value="0"' in body  # the next press removes the vote
    assert Vote.objects.filter(user=member, paper=paper).exists()


def test_an_htmx_unvote_takes_the_vote_back(client, member):
    paper = PaperFactory()
    client.force_login(member)
    client.post(reverse("papers:vote", args=[paper.pk]), {"voted": "1"}, headers=HTMX)
    response = client.post(reverse("papers:vote", args=[paper.pk]), {"voted": "0"}, headers=HTMX)
    assert 'aria-pressed="false"' in _button(response.content.decode(), paper)
    assert Paper.objects.get(pk=paper.pk).vote_count == 0 and not Vote.objects.exists()


def test_voting_twice_counts_once(client, member):
    paper = PaperFactory()
    client.force_login(member)
    for _ in range(2):
        client.post(reverse("papers:vote", args=[paper.pk]), {"voted": "1"}, headers=HTMX)
    assert Paper.objects.get(pk=paper.pk).vote_count == 1


def test_a_plain_vote_redirects_back_to_the_card(client, member):
    paper = PaperFactory()
    client.force_login(member)
    response = client.post(
        reverse("papers:vote", args=[paper.pk]), {"voted": "1", "next": "/papers/new/?page=1"}
    )
    assert response.status_code == 303
    assert response["Location"] == f"/papers/new/?page=1#paper-{paper.pk}"
    assert Paper.objects.get(pk=paper.pk).vote_count == 1


def test_a_plain_vote_never_redirects_off_the_site(client, member):
    paper = PaperFactory()
    client.force_login(member)
    for evil in ["https://evil.example.com/", "//evil.example.com/x", "javascript:alert(1)"]:
        response = client.post(reverse("papers:vote", args=[paper.pk]), {"voted": "1", "next": evil})
        assert response["Location"] == f"{paper.get_absolute_url()}#paper-{paper.pk}"


def test_an_anonymous_vote_goes_to_log_in_and_back(client):
    paper = PaperFactory()
    response = client.post(reverse("papers:vote", args=[paper.pk]), {"voted": "1", "next": "/papers/new/"})
    assert response.status_code == 302
    assert response["Location"] == reverse("login") + "?next=/papers/new/"
    assert not Vote.objects.exists()


def test_an_anonymous_htmx_vote_makes_the_browser_go_to_log_in(client):
    paper = PaperFactory()
    response = client.post(
        reverse("papers:vote", args=[paper.pk]), {"voted": "1", "next": "/papers/new/"}, headers=HTMX
    )
    assert response["HX-Redirect"] == reverse("login") + "?next=/papers/new/"


def test_logging_in_after_an_anonymous_vote_returns_to_the_page(client, member, settings):
    paper = PaperFactory()
    login_url = client.post(reverse("papers:vote", args=[paper.pk]), {"next": "/papers/new/"})["Location"]
    page = client.get(login_url)
    assert b'name="next" value="/papers/new/"' in page.content
    response = client.post(
        login_url, {"username": "member", "password": "correct horse battery staple", "next": "/papers/new/"}
    )
    assert response.status_code == 302 and response["Location"] == "/papers/new/"


def test_voting_for_a_paper_that_is_not_listed_is_a_404(client, member):
    paper = PaperFactory(status=Paper.Status.PENDING)
    client.force_login(member)
    assert client.post(reverse("papers:vote", args=[paper.pk]), {"voted": "1"}).status_code == 404
    assert client.post(reverse("papers:vote", args=[99999]), {"voted": "1"}).status_code == 404


def test_a_vote_needs_post_and_a_csrf_token(member):
    paper = PaperFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert client.get(reverse("papers:vote", args=[paper.pk])).status_code == 405
    assert client.post(reverse("papers:vote", args=[paper.pk]), {"voted": "1"}).status_code == 403
    assert not Vote.objects.exists()


def test_a_vote_runs_a_bounded_number_of_queries(client, member, django_assert_max_num_queries):
    paper = PaperFactory()
    client.force_login(member)
    with django_assert_max_num_queries(8):
        client.post(reverse("papers:vote", args=[paper.pk]), {"voted": "1"}, headers=HTMX)
