"""The unread count: others' comments in followed threads newer than what the member has seen."""

import pytest
from django.test import Client
from django.urls import reverse

from discussions import services
from discussions.selectors import unread_count
from papers.models import Paper
from papers.tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def _post(author, target, body="A thought.", **kwargs):
    return services.comment_create(author=author, target=target, body=body, **kwargs)


def test_opening_the_thread_reads_it(member, other_member):
    paper = PaperFactory()
    _post(member, paper, "Question")
    _post(other_member, paper)
    _post(other_member, paper)
    assert unread_count(user=member) == 2 and unread_count(user=other_member) == 0
    client = Client()
    client.force_login(member)
    badge = client.get(reverse("discussions:unread")).content.decode()
    assert ">2<" in badge
    client.get(paper.get_absolute_url())
    assert unread_count(user=member) == 0
    assert "badge" not in client.get(reverse("discussions:unread")).content.decode()


def test_what_the_poll_shows_is_read(member, other_member):
    paper = PaperFactory()
    mine = _post(member, paper)
    _post(other_member, paper)
    client = Client()
    client.force_login(member)
    client.get(reverse("discussions:new", args=["papers", paper.pk]) + f"?after={mine.pk}")
    assert unread_count(user=member) == 0


def test_unfollowed_and_invisible_threads_do_not_count(member, other_member, organiser):
    paper, hidden = PaperFactory(), PaperFactory()
    _post(member, paper)
    services.subscription_set(user=member, target=hidden, subscribed=True)
    services.subscription_set(user=member, target=paper, subscribed=False)
    _post(other_member, paper)
    _post(organiser, hidden)
    assert unread_count(user=member) == 1
    Paper.objects.filter(pk=hidden.pk).update(status=Paper.Status.HIDDEN)
    assert unread_count(user=member) == 0


def test_the_api_counts_and_listing_a_thread_reads_it(api, member, other_member):
    paper = PaperFactory()
    _post(member, paper)
    _post(other_member, paper)
    client = api(member)
    assert client.get("/api/v1/discussions/unread/").json() == {"unread": 1}
    client.get(f"/api/v1/papers/{paper.pk}/comments/")
    assert client.get("/api/v1/discussions/unread/").json() == {"unread": 0}
    assert api().get("/api/v1/discussions/unread/").status_code == 401


def test_my_profile_in_the_api_carries_the_same_count(api, member, other_member):
    paper = PaperFactory()
    _post(member, paper)
    _post(other_member, paper)
    _post(other_member, paper)
    client = api(member)
    assert client.get("/api/v1/me/").json()["unread_comments"] == 2 == unread_count(user=member)
    client.get(f"/api/v1/papers/{paper.pk}/comments/")
    assert client.get("/api/v1/me/").json()["unread_comments"] == 0


def test_the_navigation_badge_shows_the_count_on_every_page(client, member, other_member):
    paper = PaperFactory()
    _post(member, paper)
    _post(other_member, paper)
    client.force_login(member)
    page = client.get("/").content.decode()
    assert f'hx-get="{reverse("discussions:unread")}"' in page
    badge = client.get(reverse("discussions:unread")).content.decode()
    assert ">1<" in badge and "unread" in badge
