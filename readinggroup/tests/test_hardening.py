"""Hardening: security headers and cookies on production settings, and no secret in any log.

The headers are read from real responses of the site started with production settings
(DEBUG off) in a fresh process. The log tests log at DEBUG through the site's own logging
configuration while members log in, create and use API tokens, accept an invitation,
reset a password, use an unsubscribe link and read their private calendar, then look for
every secret involved in what was logged; a real gunicorn shows its access log is clean too.
"""

import copy
import io
import json
import logging
import logging.config
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import httpx
import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.core import mail
from django.core.servers.basehttp import WSGIRequestHandler
from django.urls import reverse
from knox.models import AuthToken

from meetings.notifications import unsubscribe_token
from meetings.services import calendar_token_regenerate
from meetings.tests.factories import AgendaItemFactory, RSVPFactory
from members.models import User
from readinggroup.logs import SECRET, redact
from readinggroup.tests import processes
from readinggroup.tests.test_settings import PRODUCTION

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"

# --- Headers and cookies with production settings ----------------------------------------------------

_PROBE = r"""
import json
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("collectstatic", "--noinput", verbosity=0)
from django.test import Client
from members.models import User
User.objects.create_user("ada", "ada@example.org", "a long passphrase for ada")
client = Client(headers={"host": "rg.example.org"})
seen = {}
def keep(name, response):
    seen[name] = {
        "status": response.status_code,
        "headers": dict(response.headers),
        "cookies": {
            name: {"secure": bool(m["secure"]), "httponly": bool(m["httponly"]), "samesite": m["samesite"]}
            for name, m in response.cookies.items()
        },
    }
keep("plain_http", client.get("/"))
keep("home", client.get("/", secure=True))
keep("login_page", client.get("/accounts/login/", secure=True))
keep("login", client.post("/accounts/login/", {"username": "ada", "password": "a long passphrase for ada"},
                          secure=True))
keep("api", client.get("/api/v1/papers/", secure=True))
keep("api_error", client.get("/api/v1/me/", secure=True, headers={"authorization": "Token nope"}))
keep("healthz_plain_http", client.get("/healthz"))
print("PROBE" + json.dumps(seen))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """What the site answers with production settings (DEBUG off), in a process of its own."""
    var = tmp_path_factory.mktemp("production")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}}
    env.update(PRODUCTION, DJANGO_SETTINGS_MODULE="readinggroup.settings", VAR_DIR=str(var))
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.split("PROBE", 1)[1])


def test_plain_http_is_sent_to_https_except_the_health_check(production):
    assert production["plain_http"]["status"] == 301
    assert production["plain_http"]["headers"]["Location"] == "https://rg.example.org/"
    assert production["healthz_plain_http"]["status"] == 200


@pytest.mark.parametrize("page", ["home", "login_page", "login", "api", "api_error"])
def test_every_response_carries_the_security_headers(production, page):
    headers = production[page]["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'" and policy["object-src"] == "'none'"
    # Scripts from the site only; a per-request nonce appears only where a template asks for one.
    assert re.fullmatch(r"'self'( 'nonce-[\w+/=-]+')?", policy["script-src"])
    assert policy["style-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'" and policy["base-uri"] == "'self'"


def test_cookies_are_secure_http_only_and_same_site(production):
    assert production["login"]["status"] == 302  # logged in
    session = production["login"]["cookies"]["sessionid"]
    assert session == {"secure": True, "httponly": True, "samesite": "Lax"}
    csrf = production["login_page"]["cookies"]["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax"


# --- No secret in the logs ---------------------------------------------------------------------------


@pytest.fixture
def site_logs(settings):
    """Everything the site's own logging configuration writes, at DEBUG, into a string."""
    stream = io.StringIO()
    config = copy.deepcopy(settings.LOGGING)
    config["handlers"]["console"]["stream"] = stream
    config["root"]["level"] = "DEBUG"
    # Stricter than LOG_LEVEL=DEBUG: the loggers the settings keep quieter talk too.
    for name in ("axes", "django", "django.request", "django.server", "django.template", "knox"):
        config["loggers"].setdefault(name, {}).update(level="DEBUG")
    logging.config.dictConfig(config)
    yield stream
    logging.config.dictConfig(settings.LOGGING)


def _runserver_line(path: str, status: int) -> None:
    """Log a request the way `manage.py runserver` does (its handler's own log_message)."""
    handler = types.SimpleNamespace(request=None, log_date_time_string=lambda: "now")
    WSGIRequestHandler.log_message(handler, '"%s" %s %s', f"GET {path} HTTP/1.1", str(status), "123")


def test_no_secret_reaches_the_logs(
    client, api, settings, site_logs, member, organiser, django_capture_on_commit_callbacks
):
    settings.AXES_ENABLED = True
    secrets = {"SECRET_KEY": settings.SECRET_KEY, "password": PASSWORD}
    paths = []

    # Log-ins on the web, wrong then right, and the lock-out records.
    client.post(reverse("login"), {"username": "member", "password": "a wrong password, not logged"})
    secrets["wrong password"] = "a wrong password, not logged"
    assert client.post(reverse("login"), {"username": "member", "password": PASSWORD}).status_code == 302
    assert all(PASSWORD not in str(a.post_data) for a in AccessAttempt.objects.all())

    # API tokens: made on the web and by the API, used, and one that is wrong.
    page = client.post(reverse("members:token-create")).content.decode()
    secrets["web token"] = re.search(r'id="new-token">([0-9a-f]{64})<', page)[1]
    login = api().post("/api/v1/auth/login/", {"username": "member", "password": PASSWORD}, format="json")
    secrets["API token"] = login.json()["token"]
    for token in (secrets["web token"], secrets["API token"], "f" * 64):
        api().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")

    # An invitation: sent, opened, accepted.
    organiser_client = type(client)()
    organiser_client.force_login(organiser)
    with django_capture_on_commit_callbacks(execute=True):
        organiser_client.post(reverse("members:invitations"), {"email": "new@example.org"})
    join = re.search(r"(/members/join/[^/\s]+/)", mail.outbox[-1].body)[1]
    secrets["invitation"] = join.split("/")[3]
    paths.append(join)
    client.logout()
    client.get(join)
    client.post(join, {"username": "newcomer", "password1": PASSWORD, "password2": PASSWORD})
    client.logout()

    # A password reset link.
    with django_capture_on_commit_callbacks(execute=True):  # the e-mail goes out from a task
        client.post(reverse("password_reset"), {"email": "member@example.org"})
    reset = re.search(r"(/accounts/reset/[^/\s]+/[^/\s]+/)", mail.outbox[-1].body)[1]
    secrets["reset"] = reset.split("/")[4]
    paths.append(reset)
    client.get(reset)

    # Unsubscribe links: a good one, a tampered one (404, which Django logs with its path).
    good = unsubscribe_token(user=member, kind="reminder")
    secrets["unsubscribe"] = good
    for token in (good, good[:-3] + "xyz"):
        path = reverse("meetings:unsubscribe", args=[token])
        paths.append(path)
        client.get(path)
        client.post(path)

    # The private calendar: the current address, and an old one (404).
    RSVPFactory(meeting=AgendaItemFactory().meeting, user=member)
    old = member.calendar_token
    secrets["old calendar"] = old
    secrets["calendar"] = calendar_token_regenerate(user=member)
    for token in (old, secrets["calendar"]):
        path = reverse("meetings:member-calendar", args=[token])
        paths.append(path)
        client.get(path)

    for path in paths:  # the request lines a development server writes
        _runserver_line(path, 200)
        _runserver_line(path, 404)

    logged = site_logs.getvalue()
    assert "Not Found: /meetings/calendar/" in logged and f"/meetings/calendar/{SECRET}.ics" in logged
    assert "GET /members/join/" in logged  # the request lines are there, without their secret
    leaked = {name: value for name, value in secrets.items() if value and value in logged}
    assert not leaked, f"secrets in the logs: {sorted(leaked)}"
    assert AuthToken.objects.filter(user=member).count() == 2


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("GET /meetings/calendar/AbC-d_9.ics HTTP/1.1", f"GET /meetings/calendar/{SECRET}.ics HTTP/1.1"),
        ("Not Found: /meetings/unsubscribe/eyJ1Ijo:1x:sig/", f"Not Found: /meetings/unsubscribe/{SECRET}/"),
        ("/members/join/eyJp:1x:abc/?next=/", f"/members/join/{SECRET}/?next=/"),
        ("/members/join/.eJyrVkos:1x:a-b/", f"/members/join/{SECRET}/"),
        ("GET /meetings/calendar/typo-without-suffix HTTP/1.1", f"GET /meetings/calendar/{SECRET} HTTP/1.1"),
        ("GET /meetings/calendar.ics HTTP/1.1", "GET /meetings/calendar.ics HTTP/1.1"),
        ("/accounts/reset/MQ/cz5f-0a1b2c/", f"/accounts/reset/MQ/{SECRET}/"),
        ("/accounts/reset/MQ/set-password/", f"/accounts/reset/MQ/{SECRET}/"),
        ("Authorization: Token " + "ab" * 32, f"Authorization: Token {SECRET}"),
        ("GET /papers/42/ HTTP/1.1", "GET /papers/42/ HTTP/1.1"),
    ],
)
def test_redaction(line, expected):
    assert redact(line) == expected


# --- A real gunicorn's access log --------------------------------------------------------------------

MY_PORTS = range(18700, 18800)


@pytest.mark.integration
@pytest.mark.postgres
def test_gunicorn_access_log_keeps_secrets_out(transactional_db, tmp_path):
    member = User.objects.create_user("reader", "reader@example.org", PASSWORD)
    token = member.calendar_token
    unsubscribe = unsubscribe_token(user=member, kind="digest")
    env = processes.app_env(tmp_path)
    port = processes.free_port(MY_PORTS)
    access_log = tmp_path / "access.log"
    argv = [
        sys.executable, "-m", "gunicorn", "readinggroup.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", "1", "--access-logfile", str(access_log), "--no-control-socket",
    ]  # fmt: skip
    web = processes.Process("gunicorn", argv, env, tmp_path / "gunicorn.log")
    base = f"http://127.0.0.1:{port}"
    try:
        assert processes.wait_for(lambda: _answers(base), 60, 0.1), web.log()
        assert httpx.get(f"{base}/meetings/calendar/{token}.ics").status_code == 200
        assert httpx.get(f"{base}/meetings/calendar/{token[::-1]}.ics").status_code == 404
        assert httpx.get(f"{base}/meetings/unsubscribe/{unsubscribe}/").status_code == 200
        assert processes.wait_for(lambda: access_log.exists() and access_log.read_text().count("\n") >= 4, 10)
    finally:
        web.stop()
    logged = access_log.read_text() + web.log()
    assert f"GET /meetings/calendar/{SECRET}.ics" in logged and "/meetings/unsubscribe/" in logged
    for secret in (token, token[::-1], unsubscribe, django_settings.SECRET_KEY):
        assert secret not in logged


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code in {200, 503}
    except httpx.HTTPError:
        return False
