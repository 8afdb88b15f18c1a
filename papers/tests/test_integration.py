"""End to end with a real Celery worker process on Redis: fetch from a local server, then summarise.

Needs PostgreSQL (the worker must share the test database, which SQLite keeps
in memory) and Redis. Skips when either is missing, except under CI=true.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection

from papers.models import FetchRun, Paper
from papers.tests.conftest import fixture_bytes
from papers.tests.factories import SourceFactory

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
BASE_DIR = Path(settings.BASE_DIR)
READY_SECONDS = 60
DONE_SECONDS = 60


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and Redis at {url} is not reachable: {error}")
        pytest.skip(f"needs Redis (set REDIS_URL; {url} is not reachable)")
    return url


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker_queue(transactional_db, redis_url, tmp_path):
    """A worker process on its own queue, reading and writing the test database; yields the queue name."""
    queue = f"rg-test-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "readinggroup.settings",
        "DATABASE_URL": _database_url(),  # the test database, which this test commits to
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "SUMMARY_BACKEND": "extractive",
        "FETCH_ARXIV_INTERVAL_SECONDS": "0",
        "FETCH_BACKOFF_SECONDS": "0.01",
        "VAR_DIR": str(tmp_path / "var"),
        "DEBUG": "true",
    }
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "readinggroup",
                "worker",
                "--pool=solo",
                "-Q",
                queue,
                "-n",
                f"{queue}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "info",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(lambda: b" ready." in log_path.read_bytes() or process.poll() is not None, READY_SECONDS)
        if process.poll() is not None or b" ready." not in log_path.read_bytes():
            pytest.fail("The Celery worker did not start:\n" + log_path.read_text(errors="replace")[-3000:])
        yield queue
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        print(log_path.read_text(errors="replace")[-5000:])  # shown by pytest when the test failed


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_real_worker_fetches_a_source_and_summarises_its_papers(worker_queue, redis_url, httpserver):
    httpserver.expect_request("/api/query").respond_with_data(fixture_bytes("arxiv_page1.xml"))
    source = SourceFactory(kind="arxiv", url=httpserver.url_for("/api/query"), auto_list=True)
    sender = Celery("integration-test", broker=redis_url)
    try:
        sender.send_task(
            "papers.tasks.fetch_source", args=[source.pk], kwargs={"force": True}, queue=worker_queue
        )
    finally:
        sender.close()

    def summarised() -> bool:
        papers = list(Paper.objects.values_list("summary", flat=True))
        return len(papers) == 2 and all(papers)

    assert _wait_for(summarised, DONE_SECONDS), "the worker did not fetch and summarise in time"
    run = FetchRun.objects.get(source=source)
    assert (run.status, run.new_count) == ("succeeded", 2)
    assert set(Paper.objects.values_list("summary_backend", "status")) == {("extractive", "listed")}
    assert Paper.objects.get(arxiv_id="2403.01234").authorships.count() == 3
