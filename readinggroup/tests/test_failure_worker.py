"""A worker killed (SIGKILL) in the middle of a task: the task is delivered again and its effect happens once.

The task is the real one that fills in a suggested paper's metadata from the arXiv
API; a stand-in for that API holds the first request open, so the worker is
caught in the middle of it when it is killed. Two ways to die:

- the whole worker (solo pool): the message was never acknowledged (acks_late), so
  Redis hands it to the next worker once CELERY_VISIBILITY_TIMEOUT has passed;
- the pool process running the task (prefork): the worker sees it lost and
  rejects the message back to the queue (reject_on_worker_lost), at once.
"""

import os
import signal
import time

import pytest
from celery import Celery
from django.db import transaction

from members.tests.factories import UserFactory
from outbox import enqueue
from outbox.models import Message
from papers import tasks
from papers.models import Paper
from readinggroup.tests import processes
from readinggroup.tests.processes import wait_for
from readinggroup.tests.standins import STANDIN_AUTHORS, ArxivStandIn, standin_title

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
VISIBILITY_SECONDS = 3
ARXIV_ID = "2404.04321"


def _suggest_without_publishing(user) -> tuple[Paper, Message]:
    """The suggestion as the web would write it; the worker's outbox relay publishes it."""
    with transaction.atomic():
        paper = Paper.objects.create(
            arxiv_id=ARXIV_ID, title=f"arXiv:{ARXIV_ID}", status=Paper.Status.PENDING, submitted_by=user
        )
        with pytest.MonkeyPatch.context() as patch:  # this test process must not run it itself
            patch.setattr("outbox.services.schedule_publish", lambda messages: None)
            message = enqueue(tasks.fetch_paper_metadata, paper.pk)
    Message.objects.filter(pk=message.pk).update(next_attempt_at=message.created_at)
    return paper, message


@pytest.mark.parametrize("victim", ["whole worker", "pool process"])
def test_a_task_whose_worker_is_killed_is_delivered_again_and_takes_effect_once(tmp_path, victim):
    pool = "solo" if victim == "whole worker" else "prefork"
    with processes.redis_server(tmp_path) as redis, ArxivStandIn() as arxiv:
        env = processes.app_env(
            tmp_path,
            REDIS_URL=redis.url(0),
            ARXIV_API_URL=arxiv.url,
            CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_SECONDS),
            OUTBOX_RELAY_SECONDS="0.3",
        )
        arxiv.hold_ids.add(ARXIV_ID)
        paper, message = _suggest_without_publishing(UserFactory(username="ada"))
        started = time.monotonic()
        with processes.celery_worker(env, tmp_path, pool=pool, name="first") as first:
            assert wait_for(arxiv.held.is_set, 30), "the task never reached the arXiv stand-in"
            if victim == "whole worker":
                first.kill()
            else:
                (child,) = first.children()
                os.kill(child, signal.SIGKILL)
            killed_at = time.monotonic()
            arxiv.release()  # the answer goes to a dead socket
            assert Message.objects.get(pk=message.pk).done_at is None
            if victim == "whole worker":
                with processes.celery_worker(env, tmp_path, name="second"):
                    redelivered = wait_for(lambda: _filled_in(paper), 30, 0.1)
                    again_after = time.monotonic() - killed_at
                    time.sleep(1)
            else:
                redelivered = wait_for(lambda: _filled_in(paper), 30, 0.1)
                again_after = time.monotonic() - killed_at
                time.sleep(1)
                assert first.alive(), "the worker itself must survive losing a pool process"
        assert redelivered, "the killed task was not delivered again"

    message.refresh_from_db()
    paper.refresh_from_db()
    assert arxiv.requests[ARXIV_ID] == 2  # the killed attempt and the one that finished; no third
    assert (message.run_count, message.duplicate_count) == (2, 0) and message.done_at is not None
    assert paper.status == Paper.Status.LISTED and paper.summary_backend == "extractive"
    assert (
        list(paper.authorships.order_by("position").values_list("author__name", flat=True)) == STANDIN_AUTHORS
    )
    assert Paper.objects.count() == 1
    follow_ups = Message.objects.exclude(pk=message.pk).order_by("task")
    assert [(m.task, m.run_count, m.done_at is not None) for m in follow_ups] == [
        ("papers.tasks.embed_papers", 1, True),
        ("papers.tasks.relate_papers", 1, True),  # queued by the embedding
        ("papers.tasks.summarise_papers", 1, True),
    ]
    print(
        f"\nRELIABILITY worker-killed ({victim}): deliveries=2, effects=1 "
        f"(authors {paper.authorships.count()}, papers {Paper.objects.count()}), "
        f"done again {again_after:.1f}s after the kill (summary included), "
        f"total {time.monotonic() - started:.1f}s, visibility_timeout={VISIBILITY_SECONDS}s"
    )


def _filled_in(paper: Paper) -> bool:
    row = Paper.objects.filter(pk=paper.pk).values("title", "summary").first()
    return row["title"] == standin_title(ARXIV_ID) and bool(row["summary"])


def test_one_message_delivered_twice_at_once_to_real_workers_runs_once(tmp_path):
    """Two copies of one outbox message reach two pool processes together (as after a publish that
    timed out but arrived, then relayed again): one runs it, the other waits its turn and skips it."""
    with processes.redis_server(tmp_path) as redis, ArxivStandIn() as arxiv:
        env = processes.app_env(tmp_path, REDIS_URL=redis.url(0), ARXIV_API_URL=arxiv.url)
        arxiv.hold_ids.add(ARXIV_ID)  # keeps the first copy running while the second arrives
        paper, message = _suggest_without_publishing(UserFactory(username="ben"))
        Message.objects.filter(pk=message.pk).update(published_at=message.created_at)  # not for the relay
        with processes.celery_worker(env, tmp_path, pool="prefork", concurrency=2):
            sender = Celery("duplicate-sender", broker=redis.url(0), set_as_current=False)
            try:
                for _ in range(2):
                    sender.send_task(
                        tasks.fetch_paper_metadata.name,
                        args=[paper.pk],
                        headers={"outbox_id": message.pk},
                        queue=env["CELERY_TASK_DEFAULT_QUEUE"],
                    )
            finally:
                sender.close()
            assert wait_for(arxiv.held.is_set, 30)
            time.sleep(1)  # the second copy meets the first one running
            arxiv.release()
            assert wait_for(lambda: Message.objects.get(pk=message.pk).duplicate_count == 1, 30, 0.2)
    message.refresh_from_db()
    assert arxiv.requests[ARXIV_ID] == 1
    assert (message.run_count, message.duplicate_count) == (1, 1) and message.done_at is not None
    assert Paper.objects.get(pk=paper.pk).authorships.count() == len(STANDIN_AUTHORS)
    print("\nRELIABILITY duplicate-delivery: 2 copies at once -> 1 run, 1 skipped (waited, then saw it done)")
