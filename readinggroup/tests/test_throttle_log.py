"""The throttles' request log kept in Redis (RedisCache.sliding_log): DRF's rule, one round trip."""

import os
from unittest import mock

import pytest
import time_machine
from django.core.cache import cache as django_cache
from django.utils import timezone

from papers.tests.factories import PaperFactory
from readinggroup.cache import RedisCache


@pytest.fixture
def redis_cache():
    url = os.environ.get("REDIS_URL")
    if not url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true and this test needs Redis: set REDIS_URL=redis://…")
        pytest.skip("needs Redis (set REDIS_URL=redis://…)")
    RedisCache._down_until = 0.0
    cache = RedisCache(url, {"KEY_PREFIX": "test-sliding-log"})
    cache.delete("sliding:k")
    yield cache
    cache.delete("sliding:k")


def test_requests_within_the_limit_pass_and_the_next_one_learns_when_a_place_frees(redis_cache):
    log = redis_cache.sliding_log
    assert log("k", now=1000.0, window=60, limit=2) == (True, None, {})
    assert log("k", now=1000.0, window=60, limit=2) == (True, None, {})  # same instant: two entries
    assert log("k", now=1030.5, window=60, limit=2) == (False, 1000.0, {})  # refused, not logged
    assert log("k", now=1060.0, window=60, limit=2) == (True, None, {})  # at now - window: left (as DRF)
    assert log("k", now=1060.1, window=60, limit=2) == (True, None, {})
    assert log("k", now=1060.2, window=60, limit=2) == (False, 1060.0, {})


def test_each_check_is_one_round_trip(redis_cache, monkeypatch):
    redis_cache.sliding_log("k", now=1.0, window=60, limit=5)  # loads the script once
    client_class = type(redis_cache._cache.get_client(write=True))
    execute, sent = client_class.execute_command, []

    def counting(self, *args, **options):
        sent.append(args[0])
        return execute(self, *args, **options)

    monkeypatch.setattr(client_class, "execute_command", counting)
    assert redis_cache.sliding_log("k", now=2.0, window=60, limit=5) == (True, None, {})
    assert sent == ["EVALSHA"]


def test_the_same_round_trip_reads_another_key_when_asked(redis_cache, monkeypatch):
    redis_cache.set("seen", ("etag", 1234, None))
    redis_cache.delete("never-set")
    client_class = type(redis_cache._cache.get_client(write=True))
    execute, sent = client_class.execute_command, []
    monkeypatch.setattr(
        client_class, "execute_command", lambda self, *a, **o: sent.append(a[0]) or execute(self, *a, **o)
    )
    log = redis_cache.sliding_log
    assert log("k", now=1.0, window=60, limit=1, read="seen") == (True, None, {"seen": ("etag", 1234, None)})
    assert log("k", now=2.0, window=60, limit=1, read="seen") == (False, 1.0, {"seen": ("etag", 1234, None)})
    assert log("k2", now=1.0, window=60, limit=1, read="never-set") == (True, None, {"never-set": None})
    assert set(sent) <= {"EVALSHA", "EVAL", "SCRIPT LOAD"} and sent.count("EVALSHA") == 3
    redis_cache.delete_many(["seen", "sliding:k2"])


def test_without_redis_requests_pass():
    RedisCache._down_until = 0.0
    dead = RedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.5}})
    try:
        assert dead.sliding_log("k", now=1.0, window=60, limit=1, read="seen") == (True, None, {})
    finally:
        RedisCache._down_until = 0.0


@pytest.mark.django_db
def test_the_api_throttle_uses_the_redis_log_and_says_when_to_retry(api, member, settings, redis_cache):
    settings.CACHES = {
        "default": {"BACKEND": "readinggroup.cache.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
    }
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "2/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    client = api(member)
    logged = mock.patch.object(RedisCache, "sliding_log", autospec=True, side_effect=RedisCache.sliding_log)
    with time_machine.travel(timezone.now(), tick=False) as clock, logged as log:
        assert [client.get("/api/v1/me/").status_code for _ in range(2)] == [200, 200]
        clock.shift(20)
        refused = client.get("/api/v1/me/")
        assert refused.status_code == 429 and refused["Retry-After"] == "40"
        clock.shift(41)
        assert client.get("/api/v1/me/").status_code == 200
    assert log.call_count == 4


@pytest.mark.django_db
def test_a_repeated_conditional_get_costs_one_redis_round_trip(
    api, member, settings, redis_cache, monkeypatch
):
    """The throttle's script brings the validators the paper's detail last had (conditional.py)."""
    settings.CACHES = {
        "default": {"BACKEND": "readinggroup.cache.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
    }
    paper, client = PaperFactory(), api(member)
    first = client.get(f"/api/v1/papers/{paper.pk}/")
    client_class = type(django_cache._cache.get_client(write=True))
    execute, sent = client_class.execute_command, []
    monkeypatch.setattr(
        client_class, "execute_command", lambda self, *a, **o: sent.append(a[0]) or execute(self, *a, **o)
    )
    again = client.get(f"/api/v1/papers/{paper.pk}/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert (again["ETag"], again["Last-Modified"]) == (first["ETag"], first["Last-Modified"])
    assert sent == ["EVALSHA"]
    sent.clear()
    assert client.get(f"/api/v1/papers/{paper.pk}/").status_code == 200
    assert sent == ["EVALSHA"]  # the 200 reads the same entry in the same run

    other = PaperFactory()  # another resource: its first answer writes its entry
    sent.clear()
    assert client.get(f"/api/v1/papers/{other.pk}/").status_code == 200
    assert sent == ["EVALSHA", "SET"]
