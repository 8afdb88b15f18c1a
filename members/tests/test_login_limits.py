"""The web log-in is limited per client address whatever the username (WEB_LOGIN_RATE), as the
API's is: trying one password on many accounts from one address gets no answers past the limit."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
HERE = "192.0.2.1"


@pytest.fixture(autouse=True)
def axes_on(settings):
    settings.AXES_ENABLED = True  # the lock-out per username stays in force beside the limit


def _login(client, username: str, password: str = "Summer2026!", address: str = HERE, url: str = ""):
    credentials = {"username": username, "password": password}
    return client.post(url or reverse("login"), credentials, REMOTE_ADDR=address)


def test_thirty_usernames_from_one_address_are_not_all_checked(client, member, settings):
    assert settings.WEB_LOGIN_RATE == "10/minute"
    with time_machine.travel(timezone.now(), tick=False) as clock:
        statuses = [_login(client, f"user{n}").status_code for n in range(30)]
        assert statuses == [200] * 10 + [429] * 20
        assert AccessAttempt.objects.count() == 10  # the others never reached a password check
        refused = _login(client, "member", PASSWORD)
        assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 60
        message = "Too many log-in attempts from your address. Try again in 1 minute."
        assert message in refused.content.decode()
        assert _login(client, "member", PASSWORD, address="192.0.2.2").status_code == 302
        clock.shift(timedelta(seconds=61))
        assert _login(client, "member", PASSWORD).status_code == 302


def test_the_limit_counts_per_address_behind_a_trusted_proxy(client, member, settings):
    settings.WEB_LOGIN_RATE = "1/minute"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    wrong = {"username": "a", "password": "x"}
    first = client.post(reverse("login"), wrong, HTTP_X_FORWARDED_FOR=HERE, **proxy)
    assert first.status_code == 200
    other = {"username": "member", "password": PASSWORD}
    assert client.post(reverse("login"), other, HTTP_X_FORWARDED_FOR="192.0.2.2", **proxy).status_code == 302


def test_the_admin_log_in_counts_against_the_same_limit(client, organiser, settings):
    settings.WEB_LOGIN_RATE = "2/minute"
    for n in range(2):
        _login(client, f"user{n}")
    refused = _login(client, "organiser", PASSWORD, url=reverse("admin:login"))
    assert "Too many log-in attempts from your address." in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_empty_form_is_not_counted(client, member, settings):
    settings.WEB_LOGIN_RATE = "1/minute"
    assert client.post(reverse("login"), {}, REMOTE_ADDR=HERE).status_code == 200
    assert _login(client, "member", PASSWORD).status_code == 302
