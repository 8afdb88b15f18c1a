"""Discussion e-mails with several senders at once on PostgreSQL: each member gets one."""

import pytest
from django.core import mail

from discussions import services
from discussions.notifications import send_discussion_emails
from members.tests.factories import UserFactory
from papers.tests.factories import PaperFactory
from readinggroup.tests.processes import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_eight_runs_at_once_send_each_member_one_email():
    paper = PaperFactory()
    readers = [UserFactory(username=f"reader{i}") for i in range(10)]
    for reader in readers:
        services.comment_create(author=reader, target=paper, body=f"I am {reader}")
    services.comment_create(author=UserFactory(username="talker"), target=paper, body="News for all")
    results: list[int] = []
    assert run_at_once([lambda: results.append(send_discussion_emails()) for _ in range(8)]) == []
    # Each reader hears of what came after their own comment; the talker of nothing.
    assert sum(results) == len(mail.outbox) == 10
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.email for r in readers)
