import pytest
from django.urls import reverse

from discussions import services
from discussions.models import Comment
from papers.tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def test_organisers_search_and_filter_comments(client, member, organiser):
    paper = PaperFactory()
    services.comment_create(author=member, target=paper, body="About transformers")
    hidden = services.comment_create(author=member, target=paper, body="Spam spam")
    services.comment_hide(user=organiser, comment_id=hidden.pk)
    client.force_login(organiser)
    url = reverse("admin:discussions_comment_changelist")
    assert b"About transformers" in client.get(url, {"q": "transformers"}).content
    assert b"About transformers" not in client.get(url, {"q": "nothing-like-it"}).content
    hidden_only = client.get(url, {"state": "hidden"}).content
    assert b"Spam spam" in hidden_only and b"About transformers" not in hidden_only
    assert b"About transformers" in client.get(url, {"on": "paper", "state": "visible"}).content


def test_the_hide_and_unhide_actions_go_through_the_services(client, member, organiser):
    paper = PaperFactory()
    comments = [services.comment_create(author=member, target=paper, body=f"c{n}") for n in range(2)]
    client.force_login(organiser)
    url = reverse("admin:discussions_comment_changelist")
    ids = [c.pk for c in comments]
    client.post(url, {"action": "hide", "_selected_action": ids})
    paper.refresh_from_db()
    assert paper.comment_count == 0 and Comment.objects.filter(hidden_by=organiser).count() == 2
    client.post(url, {"action": "unhide", "_selected_action": ids})
    paper.refresh_from_db()
    assert paper.comment_count == 2
