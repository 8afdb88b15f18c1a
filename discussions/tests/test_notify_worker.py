"""Discussion e-mails through real Celery workers: several comments within
DISCUSSION_EMAIL_MINUTES make one e-mail per follower listing them all, and no comment is
ever e-mailed twice, however often beat fires and however many workers take the task.

Needs PostgreSQL (the workers share the test database) and redis-server; the processes come
from readinggroup/tests/processes.py. Mail goes to files (EMAIL_URL=filemail://), read here.
"""

import email
from datetime import timedelta
from email.message import Message
from pathlib import Path

import pytest
from celery import Celery
from django.utils import timezone

from discussions import services
from discussions.models import MailState
from members.tests.factories import UserFactory
from papers.tests.factories import PaperFactory
from readinggroup.tests import processes
from readinggroup.tests.processes import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
TASK = "discussions.tasks.send_discussion_emails"
DONE_SECONDS = 60
SEPARATOR = "\n" + "-" * 79 + "\n"  # between the messages of Django's file backend


def _messages(mail_dir: Path) -> list[Message]:
    found = []
    for path in sorted(mail_dir.glob("*.log")):
        for chunk in path.read_text().split(SEPARATOR):
            if chunk.strip():
                found.append(email.message_from_string(chunk))
    return found


def _text(message: Message) -> str:
    (plain,) = [part for part in message.walk() if part.get_content_type() == "text/plain"]
    return plain.get_payload(decode=True).decode()


@pytest.fixture
def workers(transactional_db, tmp_path):
    """Two worker processes on one queue, mail to files; yields (send, runs, mail_dir):
    send() queues the task n times, runs() counts the tasks the workers have finished."""
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    with processes.redis_server(tmp_path) as redis:
        env = processes.app_env(
            tmp_path,
            REDIS_URL=redis.url(0),
            EMAIL_URL=f"filemail://{mail_dir}",
            DISCUSSION_EMAIL_MINUTES="30",
            SITE_URL="https://rg.example.org",
        )
        queue = env["CELERY_TASK_DEFAULT_QUEUE"]
        with (
            processes.celery_worker(env, tmp_path, name="first") as first,
            processes.celery_worker(env, tmp_path, name="second") as second,
        ):
            sender = Celery("notify-test", broker=redis.url(0), set_as_current=False)

            def send(times: int = 1) -> None:
                for _ in range(times):
                    sender.send_task(TASK, queue=queue)

            def runs() -> int:
                lines = [line for w in (first, second) for line in w.log().splitlines()]
                return sum(f"Task {TASK}[" in line and " succeeded in " in line for line in lines)

            try:
                yield send, runs, mail_dir
            finally:
                sender.close()


def _run(send, runs, times: int) -> None:
    before = runs()
    send(times)
    assert wait_for(lambda: runs() >= before + times, DONE_SECONDS, 0.2), "the workers did not run the task"


def test_comments_within_the_window_make_one_email_per_member_never_repeated(workers):
    send, runs, mail_dir = workers
    ada, ben, cy = (UserFactory(username=name) for name in ("ada", "ben", "cy"))
    paper = PaperFactory(title="Sparse routers")
    services.comment_create(author=ada, target=paper, body="Ada asks")  # ada and ben follow
    services.comment_create(author=ben, target=paper, body="Ben wonders")
    for n in range(3):
        services.comment_create(author=cy, target=paper, body=f"Cy answers, part {n}")

    _run(send, runs, 4)  # beat firing four times, two workers taking them at once
    first = _messages(mail_dir)
    assert sorted(m["To"] for m in first) == ["ada@example.org", "ben@example.org"]
    for message in first:
        text = _text(message)
        expected = {"ada@example.org": 4, "ben@example.org": 3}[message["To"]]  # ada also hears of ben
        assert message["Subject"] == f"{expected} new comments in discussions you follow"
        assert all(f"Cy answers, part {n}" in text for n in range(3))
        assert (
            message["List-Unsubscribe"].strip().startswith("<https://rg.example.org/discussions/unsubscribe/")
        )
    assert "Ben wonders" in _text(next(m for m in first if m["To"] == "ada@example.org"))

    services.comment_create(author=cy, target=paper, body="Cy adds a fourth")
    _run(send, runs, 2)  # within DISCUSSION_EMAIL_MINUTES: nothing goes
    assert len(_messages(mail_dir)) == 2

    MailState.objects.update(last_sent_at=timezone.now() - timedelta(minutes=31))  # the window passed
    _run(send, runs, 3)
    # The file backend names files by the second and an object id, so within one second the
    # file order is not the sending order: the later messages are the ones not seen before.
    seen = {message["Message-ID"] for message in first}
    later = [message for message in _messages(mail_dir) if message["Message-ID"] not in seen]
    assert sorted(m["To"] for m in later) == ["ada@example.org", "ben@example.org"]
    for message in later:
        text = _text(message)
        assert message["Subject"] == "1 new comment in discussions you follow"
        assert "Cy adds a fourth" in text and "Cy answers" not in text

    MailState.objects.update(last_sent_at=timezone.now() - timedelta(minutes=31))
    _run(send, runs, 2)  # nothing new: no e-mail, and no comment a second time
    assert len(_messages(mail_dir)) == 4
