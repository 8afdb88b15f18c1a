"""Organisers send the digest and a session's reminders on demand, still never twice."""

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from meetings import notifications
from meetings.tests.factories import MeetingFactory, RSVPFactory
from members.tests.factories import UserFactory
from papers.tests.factories import PaperFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:meetings_meeting_changelist")


def test_the_send_reminders_action_reminds_once_and_not_again_when_due(
    client, organiser, django_capture_on_commit_callbacks
):
    client.force_login(organiser)
    meeting = MeetingFactory(starts_at=timezone.now() + timedelta(days=5))
    RSVPFactory(meeting=meeting, user=UserFactory(), answer="yes")
    data = {"action": "send_reminders_now", ACTION_CHECKBOX_NAME: [meeting.pk]}
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(CHANGELIST, data)
    assert len(mail.outbox) == 1
    assert notifications.send_due_reminders(now=meeting.starts_at - timedelta(hours=23)) == 0


def test_reminders_of_a_past_session_are_not_sent(client, organiser, django_capture_on_commit_callbacks):
    client.force_login(organiser)
    meeting = MeetingFactory(starts_at=timezone.now() - timedelta(days=1))
    RSVPFactory(meeting=meeting, user=UserFactory(), answer="yes")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            CHANGELIST, {"action": "send_reminders_now", ACTION_CHECKBOX_NAME: [meeting.pk]}, follow=True
        )
    assert mail.outbox == []
    assert b"only planned, future ones" in response.content


def test_the_digest_button_sends_this_weeks_digest_once(
    client, organiser, django_capture_on_commit_callbacks
):
    client.force_login(organiser)
    PaperFactory()
    UserFactory(digest_enabled=True)
    assert b"Send the digest now" in client.get(CHANGELIST).content
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("admin:meetings_send_digest"))
        assert response.status_code == 302
    digests = [m for m in mail.outbox if "digest" in m.subject]
    assert len(digests) == len({m.to[0] for m in digests}) >= 1


def test_the_digest_button_refuses_a_get(client, organiser):
    client.force_login(organiser)
    assert client.get(reverse("admin:meetings_send_digest")).status_code == 405


def test_the_commands_send_now_and_never_twice(capsys):
    meeting = MeetingFactory(starts_at=timezone.now() + timedelta(days=3))
    RSVPFactory(meeting=meeting, user=UserFactory(), answer="maybe")
    call_command("send_reminders", meeting=meeting.pk)
    call_command("send_reminders", meeting=meeting.pk)
    assert "1 reminder(s) sent." in capsys.readouterr().out
    assert len(mail.outbox) == 1
    PaperFactory()
    UserFactory(digest_enabled=True)
    call_command("send_digest")
    call_command("send_digest")
    out = capsys.readouterr().out
    assert "Digest sent to 1 member(s)." in out
    assert "Digest sent to 0 member(s)." in out
