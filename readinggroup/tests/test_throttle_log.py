"""The API throttles (DRF's SimpleRateThrottle) on the site's Redis cache."""

import os

import pytest
import time_machine
from django.utils import timezone

from readinggroup.cache import RedisCache


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL")
    if not url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true and this test needs Redis: set REDIS_URL=redis://…")
        pytest.skip("needs Redis (set REDIS_URL=redis://…)")
    RedisCache._down_until = 0.0
    return url


@pytest.mark.django_db
def test_the_api_throttle_keeps_its_log_in_redis_and_says_when_to_retry(api, member, settings, redis_url):
    settings.CACHES = {
        "default": {
            "BACKEND": "readinggroup.cache.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "test-throttle",
        }
    }
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "2/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    client = api(member)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert [client.get("/api/v1/me/").status_code for _ in range(2)] == [200, 200]
        clock.shift(20)
        refused = client.get("/api/v1/me/")
        assert refused.status_code == 429 and refused["Retry-After"] == "40"
        clock.shift(41)
        assert client.get("/api/v1/me/").status_code == 200


@pytest.mark.django_db
def test_without_redis_the_api_answers_unthrottled(api, member, settings):
    RedisCache._down_until = 0.0
    settings.CACHES = {
        "default": {
            "BACKEND": "readinggroup.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "1/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    client = api(member)
    try:
        assert [client.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 200]
    finally:
        RedisCache._down_until = 0.0
