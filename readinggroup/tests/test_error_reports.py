"""Errors reach someone: mail to ADMINS and a Sentry endpoint (a local one), without secrets."""

import gzip
import json
from wsgiref.util import setup_testing_defaults

import pytest
import sentry_sdk
from django.core import mail
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client

from readinggroup.error_reports import scrub
from readinggroup.tests.observed_urls import ADDRESS, TOKEN, explode

pytestmark = [pytest.mark.django_db, pytest.mark.urls("readinggroup.tests.observed_urls")]
SECRET_PATH = f"/meetings/calendar/{TOKEN}/broken"
COOKIE = "cookie-value-nobody-may-see"
SECRETS = [TOKEN, ADDRESS, COOKIE]


def _fail_a_request() -> None:
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = COOKIE
    response = client.get(SECRET_PATH, {"email": ADDRESS}, HTTP_AUTHORIZATION=f"Token {TOKEN}")
    assert response.status_code == 500


def _fail_a_request_through_wsgi() -> None:
    """As gunicorn calls the site (Sentry's Django integration hooks in there, not in the test client)."""
    environ = {
        "PATH_INFO": SECRET_PATH,
        "QUERY_STRING": f"email={ADDRESS}",
        "HTTP_AUTHORIZATION": f"Token {TOKEN}",
        "HTTP_COOKIE": f"sessionid={COOKIE}",
    }
    setup_testing_defaults(environ)
    statuses = []
    WSGIHandler()(environ, lambda status, headers: statuses.append(status))
    assert statuses == ["500 Internal Server Error"]


def _fail_a_task() -> None:
    # As a worker runs it: the error is handled (logged, signalled), not raised to the caller.
    assert explode.apply([TOKEN], throw=False).failed()


def test_a_server_error_mails_the_admins_without_secrets_and_is_still_logged(settings, caplog):
    settings.ADMINS = [("Ops", "ops@example.net")]
    _fail_a_request()
    [message] = mail.outbox
    assert message.to == ["ops@example.net"]
    assert "Internal Server Error: /meetings/calendar/[secret]/broken" in message.subject
    assert "view failed for [email] with [secret]" in message.body
    assert not any(secret in message.subject + message.body for secret in SECRETS)
    assert "Internal Server Error" in caplog.text  # the site's own handlers still get the line


def test_a_failing_task_mails_the_admins_without_secrets(settings):
    settings.ADMINS = [("Ops", "ops@example.net")]
    _fail_a_task()
    [message] = mail.outbox
    assert "readinggroup.tests.explode" in message.subject
    assert not any(secret in message.subject + message.body for secret in SECRETS)


def test_without_admins_nobody_is_mailed(settings):
    settings.ADMINS = []
    _fail_a_request()
    assert mail.outbox == []


@pytest.fixture
def sentry(httpserver):
    """Sentry's SDK set up as SENTRY_DSN would, sending to a local endpoint; the events it got."""
    from readinggroup.error_reports import sentry_init

    httpserver.expect_request("/api/1/envelope/", method="POST").respond_with_json({})
    sentry_init(dsn=f"http://public@127.0.0.1:{httpserver.port}/1", environment="test")

    def received() -> tuple[list[dict], str]:
        sentry_sdk.flush(timeout=10)
        bodies = []
        for request, _ in httpserver.log:
            body = request.get_data()
            gzipped = request.headers.get("Content-Encoding") == "gzip"
            bodies.append(gzip.decompress(body) if gzipped else body)
        text = b"\n".join(bodies).decode()
        events = [json.loads(line) for line in text.splitlines() if '"exception"' in line]
        return events, text

    yield received
    sentry_sdk.get_client().close()
    sentry_sdk.init()


@pytest.mark.django_db(transaction=True)  # the WSGI handler closes the connection after the request
def test_a_server_error_reaches_sentry_without_secrets(sentry):
    _fail_a_request_through_wsgi()
    [event], raw = sentry()
    assert event["exception"]["values"][-1]["value"] == "view failed for [email] with [secret]"
    assert event["request"]["url"].endswith("/meetings/calendar/[secret]/broken")
    assert event["environment"] == "test" and event["tags"]["request_id"]
    assert not any(secret in raw for secret in SECRETS)


def test_a_failing_task_reaches_sentry_without_secrets(sentry):
    _fail_a_task()
    events, raw = sentry()
    assert events and events[0]["exception"]["values"][-1]["value"] == "task failed for [email] with [secret]"
    assert not any(secret in raw for secret in SECRETS)


def test_scrub_drops_secret_keys_and_rewrites_texts():
    event = {
        "request": {"headers": {"Authorization": f"Token {TOKEN}", "Cookie": "a=b", "Accept": "text/html"}},
        "extra": [f"mail {ADDRESS}", 3, None],
        "vars": {"api_key": "k", "password": "p", "count": 2},
    }
    assert scrub(event) == {
        "request": {"headers": {"Authorization": "[secret]", "Cookie": "[secret]", "Accept": "text/html"}},
        "extra": ["mail [email]", 3, None],
        "vars": {"api_key": "[secret]", "password": "[secret]", "count": 2},
    }
