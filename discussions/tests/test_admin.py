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


def test_members_report_a_comment_and_organisers_hide_it_from_the_reports(
    client, member, other_member, organiser
):
    from discussions.models import Report

    paper = PaperFactory()
    comment = services.comment_create(author=member, target=paper, body="Buy cheap pills")
    client.force_login(other_member)
    url = reverse("discussions:report", args=[comment.pk])
    assert b"Why should the organisers" in client.get(url).content
    assert client.post(url, {"reason": "  "}).status_code == 400
    response = client.post(url, {"reason": "Spam", "next": paper.get_absolute_url()})
    assert response.status_code == 303 and Report.objects.get().reason == "Spam"
    assert client.post(url, {"reason": "Spam again"}).status_code == 400  # once while open
    client.force_login(organiser)
    assert b"1 open report" in client.get(reverse("discussions:index")).content
    changelist = reverse("admin:discussions_report_changelist")
    assert b"Buy cheap pills" in client.get(changelist, {"open": "yes"}).content
    client.post(changelist, {"action": "hide_comments", "_selected_action": [Report.objects.get().pk]})
    comment.refresh_from_db()
    assert comment.hidden_at is not None and Report.objects.get().resolved_by == organiser
    assert b"open report" not in client.get(reverse("discussions:index")).content
