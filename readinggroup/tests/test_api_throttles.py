"""Request rates: per member, per anonymous IP address, stricter for login; time is mocked."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    def set_rates(**rates: str) -> None:
        current = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**current, **rates}}

    return set_rates


def test_a_member_is_limited_across_devices_and_freed_after_the_period(api, member, other_member, rates):
    rates(user="3/minute")
    phone, tablet = api(member), api(member)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert [c.get("/api/v1/me/").status_code for c in (phone, tablet, phone)] == [200, 200, 200]
        limited = tablet.get("/api/v1/me/")
        assert limited.status_code == 429
        assert limited.json()["code"] == "throttled"
        assert 0 < limited.json()["retry_after"] <= 60
        assert limited["Retry-After"] == str(limited.json()["retry_after"])
        assert api(other_member).get("/api/v1/me/").status_code == 200  # someone else is not limited
        clock.shift(timedelta(seconds=61))
        assert phone.get("/api/v1/me/").status_code == 200


def test_anonymous_clients_are_limited_per_ip_address(db, rates):
    rates(anon="2/minute")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        here = APIClient(REMOTE_ADDR="192.0.2.1")
        assert [here.get("/api/v1/papers/").status_code for _ in range(3)] == [200, 200, 429]
        assert APIClient(REMOTE_ADDR="192.0.2.2").get("/api/v1/papers/").status_code == 200
        # A client cannot dodge the limit with its own X-Forwarded-For (no trusted proxy here).
        spoofed = APIClient(REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
        assert spoofed.get("/api/v1/papers/").status_code == 429
        clock.shift(timedelta(minutes=1, seconds=1))
        assert here.get("/api/v1/papers/").status_code == 200


def test_login_is_limited_per_address_whatever_the_outcome(member, rates):
    rates(login="2/minute", anon="100/minute")
    client = APIClient(REMOTE_ADDR="192.0.2.9")
    body = {"username": "member", "password": "wrong"}
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert client.post("/api/v1/auth/login/", body, format="json").status_code == 400
        assert client.post("/api/v1/auth/login/", body, format="json").status_code == 400
        right = {"username": "member", "password": "correct horse battery staple"}
        assert client.post("/api/v1/auth/login/", right, format="json").status_code == 429
        clock.shift(timedelta(seconds=61))
        assert client.post("/api/v1/auth/login/", right, format="json").status_code == 200


def test_the_default_login_rate_is_stricter_than_the_others(settings):
    def per_minute(rate: str) -> float:
        count, period = rate.split("/")
        return int(count) / {"s": 1 / 60, "m": 1, "h": 60, "d": 1440}[period[0]]

    configured = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert per_minute(configured["login"]) < per_minute(configured["anon"]) < per_minute(configured["user"])
