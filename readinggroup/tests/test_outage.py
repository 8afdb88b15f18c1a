"""A cache or database that does not answer: the site says so instead of failing with a 500."""

import socket
from unittest import mock

import pytest
from django.db.utils import InterfaceError, OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

from readinggroup.cache import RedisCache

pytestmark = pytest.mark.django_db


@pytest.fixture
def dead_redis_cache():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    RedisCache._down_until = 0.0
    cache = RedisCache(
        f"redis://127.0.0.1:{port}/0", {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}
    )
    yield cache
    RedisCache._down_until = 0.0


def test_a_cache_without_redis_misses_on_reads_and_drops_writes(dead_redis_cache):
    cache = dead_redis_cache
    assert cache.get("key", "default") == "default"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("key") is False
    assert cache.set("key", 1) is None
    assert cache.set_many({"a": 1}) == ["a"]
    assert cache.touch("key") is False
    assert cache.delete("key") is False
    cache.delete_many(["a"])


def test_a_cache_without_redis_still_refuses_to_fake_a_lock(dead_redis_cache):
    RedisCache._down_until = 0.0
    with pytest.raises(RedisConnectionError):
        dead_redis_cache.add("lock", "token")


def test_after_a_failure_the_cache_does_not_ask_redis_for_a_while(dead_redis_cache):
    assert dead_redis_cache.get("key") is None
    with mock.patch("django.core.cache.backends.redis.RedisCacheClient.get") as get:
        assert dead_redis_cache.get("key", 5) == 5
    get.assert_not_called()


@pytest.mark.parametrize("error", [OperationalError("connection refused"), InterfaceError("closed")])
def test_a_page_answers_503_when_the_database_is_unreachable(client, error):
    with mock.patch("papers.views.HomeView.get_queryset", side_effect=error):
        response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert b"Back shortly" in response.content


@pytest.mark.parametrize("path", ["/api/v1/papers/?tag=any", "/api/v1/papers/"])
def test_the_api_answers_503_in_its_error_format_when_the_database_is_unreachable(client, path):
    down = OperationalError("down")
    with mock.patch("papers.api.PaperViewSet.get_queryset", side_effect=down):
        response = client.get(path)
    assert response.status_code == 503
    assert response.json() == {
        "detail": "The database is unavailable just now; try again shortly.",
        "code": "unavailable",
        "errors": {},
    }


def test_other_errors_are_left_alone(client):
    broken = mock.patch("papers.views.HomeView.get_queryset", side_effect=ValueError("a bug"))
    with broken, pytest.raises(ValueError, match="a bug"):
        client.get("/")
