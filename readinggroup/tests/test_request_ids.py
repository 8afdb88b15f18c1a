"""Request ids: on the response, on every log line of the request and of the tasks it queued."""

import copy
import io
import json
import logging.config
import subprocess
import sys
from datetime import datetime

import pytest
from django.conf import settings

from outbox.models import Message
from readinggroup import requestid
from readinggroup.tests.observed_urls import log_line

pytestmark = [pytest.mark.django_db, pytest.mark.urls("readinggroup.tests.observed_urls")]


@pytest.fixture
def json_log():
    """The site's own logging configuration with LOG_FORMAT=json, written to a buffer; the lines."""
    config = copy.deepcopy(settings.LOGGING)
    buffer = io.StringIO()
    config["handlers"]["console"].update(formatter="json", stream=buffer)
    config["root"]["level"] = "INFO"
    logging.config.dictConfig(config)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        logging.config.dictConfig(settings.LOGGING)


def test_it_answers_with_a_new_id_when_the_proxy_sent_none(client):
    response = client.get("/healthz")
    assert len(response.headers["X-Request-ID"]) == 32


def test_it_keeps_a_proxys_id_and_replaces_one_that_is_not_an_id(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-1.2:3_x").headers["X-Request-ID"] == "lb-1.2:3_x"
    for bad in ["a b", "x" * 65, "id\nforged log line", '"quoted"']:
        answered = client.get("/healthz", HTTP_X_REQUEST_ID=bad).headers["X-Request-ID"]
        assert answered != bad and requestid.usable(answered)


def test_every_line_of_a_request_and_of_the_task_it_queued_carries_the_id(
    client, json_log, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/observed/queue", HTTP_X_REQUEST_ID="req-7")
    assert response.status_code == 200 and response.headers["X-Request-ID"] == "req-7"
    client.get("/no-such-page", HTTP_X_REQUEST_ID="req-404")  # Django logs it after the middleware
    lines = {line["message"]: line for line in json_log()}
    assert lines["view queues a task"]["request_id"] == "req-7"
    assert lines["Not Found: /no-such-page"]["request_id"] == "req-404"
    assert lines["task says hello"]["request_id"] == "req-7"
    assert {"timestamp", "levelname", "name"} <= lines["task says hello"].keys()
    assert datetime.fromisoformat(lines["task says hello"]["timestamp"]).tzinfo is not None
    assert Message.objects.get(task=log_line.name).request_id == "req-7"
    assert requestid.current() == ""  # nothing left behind for the next request


def test_a_worker_logs_a_task_under_the_id_its_message_carries(json_log):
    log_line.apply(["from the broker"], headers={requestid.TASK_HEADER: "req-8"})
    log_line.apply(["without an id"])
    lines = {line["message"]: line for line in json_log()}
    assert lines["task says from the broker"]["request_id"] == "req-8"
    assert lines["task says without an id"]["request_id"] == "-"


def test_log_format_json_writes_one_json_object_a_line():
    script = "import logging; logging.getLogger('ops').warning('disk at %s', '91%')"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        env={
            "PATH": "/usr/bin:/bin",
            "LOG_FORMAT": "json",
            "DJANGO_SETTINGS_MODULE": "readinggroup.settings",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    [line] = [json.loads(text) for text in result.stderr.splitlines() if text.startswith("{")]
    assert (line["message"], line["name"], line["levelname"], line["request_id"]) == (
        "disk at 91%",
        "ops",
        "WARNING",
        "-",
    )


def test_json_lines_leave_secret_urls_and_tokens_out_of_messages_tracebacks_and_extras(json_log):
    from django.test import Client

    from readinggroup.tests.observed_urls import TOKEN

    Client(raise_request_exception=False).get(f"/meetings/calendar/{TOKEN}/broken")
    [line] = [line for line in json_log() if line["name"] == "django.request"]
    assert line["message"] == "Internal Server Error: /meetings/calendar/[secret]/broken"
    assert "view failed" in line["exc_info"] and "[secret]/broken" in line["request"]
    assert TOKEN not in json.dumps(line)


@pytest.mark.integration
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_logs_the_tasks_a_request_queued_under_the_requests_id(tmp_path):
    """gunicorn -> outbox -> Redis -> Celery worker, as in production, with LOG_FORMAT=json."""
    import httpx
    from knox.models import AuthToken

    from members.tests.factories import UserFactory
    from readinggroup.tests import processes
    from readinggroup.tests.processes import wait_for
    from readinggroup.tests.standins import ArxivStandIn

    _, token = AuthToken.objects.create(user=UserFactory(username="ada"))
    with processes.redis_server(tmp_path) as redis, ArxivStandIn() as arxiv:
        env = processes.app_env(tmp_path, REDIS_URL=redis.url(0), ARXIV_API_URL=arxiv.url, LOG_FORMAT="json")
        with (
            processes.web_server(env, tmp_path) as (_, base),
            processes.celery_worker(env, tmp_path) as worker,
        ):
            response = httpx.post(
                f"{base}/api/v1/papers/",
                json={"reference": "2404.04321"},
                headers={"Authorization": f"Token {token}", "X-Request-ID": "it-req-1"},
                timeout=10,
            )
            assert response.status_code in {201, 202} and response.headers["X-Request-ID"] == "it-req-1"

            def task_lines() -> list[dict]:
                lines = [json.loads(text) for text in worker.log().splitlines() if text.startswith("{")]
                return [line for line in lines if line.get("request_id") == "it-req-1"]

            assert wait_for(lambda: any("succeeded" in line["message"] for line in task_lines()), 30, 0.2)
    assert "fetch_paper_metadata" in " ".join(line["message"] for line in task_lines())
    assert set(Message.objects.values_list("request_id", flat=True)) == {"it-req-1"}
