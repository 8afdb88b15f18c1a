"""Batched e-mails of new comments in followed threads: at most one per member per window,
never twice for one comment."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from discussions import services
from discussions.models import MailState, Subscription
from discussions.notifications import send_discussion_emails, unsubscribe_token
from discussions.tasks import send_discussion_emails as send_task
from meetings.tests.factories import AgendaItemFactory, MeetingFactory
from members.tests.factories import UserFactory
from papers.models import Paper
from papers.tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def _post(author, target, body="A thought.", **kwargs):
    return services.comment_create(author=author, target=target, body=body, **kwargs)


def test_it_sends_one_email_listing_the_new_comments_of_others(member, other_member):
    paper = PaperFactory(title="Attention again")
    _post(member, paper, "My question")  # subscribes me
    _post(other_member, paper, "First answer with $x$")
    _post(other_member, paper, "Second answer")
    assert send_discussion_emails() == 1
    (message,) = mail.outbox
    assert (
        message.to == ["member@example.org"] and message.subject == "2 new comments in discussions you follow"
    )
    assert (
        "First answer" in message.body
        and "Second answer" in message.body
        and "My question" not in message.body
    )
    assert "Attention again" in message.body
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = message.alternatives[0][0]
    assert '<span class="math">x</span>' in html


def test_it_waits_for_the_window_and_never_repeats_a_comment(member, other_member, settings):
    settings.DISCUSSION_EMAIL_MINUTES = 30
    paper = PaperFactory()
    _post(member, paper)
    _post(other_member, paper, "One")
    now = timezone.now()
    assert send_discussion_emails(now=now) == 1
    _post(other_member, paper, "Two")
    assert send_discussion_emails(now=now + timedelta(minutes=10)) == 0  # within the window
    assert send_discussion_emails(now=now + timedelta(minutes=31)) == 1
    assert "Two" in mail.outbox[1].body and "One" not in mail.outbox[1].body
    assert send_discussion_emails(now=now + timedelta(minutes=90)) == 0  # nothing new
    assert len(mail.outbox) == 2


def test_it_sends_nothing_to_who_unsubscribed_turned_emails_off_or_cannot_see(
    member, other_member, organiser
):
    paper, hidden = PaperFactory(), PaperFactory()
    _post(member, paper)
    services.subscription_set(user=member, target=paper, subscribed=False)
    _post(other_member, paper, "Unheard")
    services.subscription_set(user=member, target=hidden, subscribed=True)
    _post(organiser, hidden, "Curators only")
    Paper.objects.filter(pk=hidden.pk).update(status=Paper.Status.HIDDEN)
    assert send_discussion_emails() == 0
    services.mail_set(user=other_member, enabled=False)
    _post(organiser, paper, "For other")
    assert send_discussion_emails() == 0
    services.mail_set(user=other_member, enabled=True)
    assert send_discussion_emails() == 1 and mail.outbox[0].to == ["other@example.org"]


def test_mentioned_members_suggesters_and_presenters_follow_the_thread(member, other_member):
    suggester, presenter = UserFactory(username="suggester"), UserFactory(username="presenter")
    paper = PaperFactory(submitted_by=suggester)
    AgendaItemFactory(paper=paper, presenter=presenter, meeting=MeetingFactory())
    _post(member, paper, "Hello @other")
    followers = set(Subscription.objects.filter(paper=paper).values_list("user__username", flat=True))
    assert followers == {"member", "other", "suggester", "presenter"}
    assert send_discussion_emails() == 3
    assert sorted(m.to[0] for m in mail.outbox) == [
        "other@example.org",
        "presenter@example.org",
        "suggester@example.org",
    ]


def test_a_refused_message_is_tried_again_next_time(member, other_member):
    paper = PaperFactory()
    _post(member, paper)
    _post(other_member, paper, "Try me")
    with mock.patch("meetings.mailer.Mailer.send", side_effect=OSError("mail server down")):
        assert send_discussion_emails() == 0
    assert MailState.objects.get(user=member).last_sent_at is None
    assert send_discussion_emails() == 1 and "Try me" in mail.outbox[0].body


def test_the_task_sends_through_the_same_code(member, other_member):
    paper = PaperFactory()
    _post(member, paper)
    _post(other_member, paper)
    assert send_task.delay().get() == 1


def test_the_unsubscribe_link_turns_discussion_emails_off_with_one_post(client, member):
    url = reverse("discussions:unsubscribe", args=[unsubscribe_token(user=member)])
    page = client.get(url)
    assert page.status_code == 200 and b"Unsubscribe" in page.content
    assert not MailState.objects.filter(user=member, enabled=False).exists()  # a GET changes nothing
    assert client.post(url).status_code == 200
    assert MailState.objects.get(user=member).enabled is False
    assert client.get(reverse("discussions:unsubscribe", args=["forged"])).status_code == 404


def test_members_switch_emails_on_the_discussions_page(client, member):
    client.force_login(member)
    assert b"are <strong>on</strong>" in client.get(reverse("discussions:index")).content
    client.post(reverse("discussions:email"), {"enabled": "0"})
    assert b"are <strong>off</strong>" in client.get(reverse("discussions:index")).content


def test_members_switch_emails_off_on_their_profile(client, member):
    client.force_login(member)
    profile = reverse("members:profile")
    assert b"are <strong>on</strong>" in client.get(profile).content
    response = client.post(reverse("discussions:email"), {"enabled": "0", "next": profile})
    assert response["Location"] == profile
    assert b"are <strong>off</strong>" in client.get(profile).content
