"""Django's health check for kept connections (CONN_HEALTH_CHECKS): a connection the server
dropped is replaced before a request uses it."""

import time

import pytest
from django.db import connection, connections

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def kept():
    """A second connection to the test database, as a web worker keeps one between requests."""
    kept = connections.create_connection("default")
    kept.ensure_connection()
    kept.health_check_enabled = True
    yield kept
    kept.close()


def _check(kept) -> None:
    kept.health_check_done = False  # as at the start of each request
    kept.close_if_health_check_failed()


def _backend_pid(kept) -> int:
    with kept.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_a_connection_the_server_ended_is_replaced_before_the_request_uses_it(kept):
    pid = _backend_pid(kept)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the server's goodbye arrives a moment later
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone()[0] == 0:
                break
        time.sleep(0.02)
    _check(kept)
    assert kept.connection is None  # closed by the check, not by a failed query
    assert _backend_pid(kept) != pid  # the request's first query opens a new one


def test_a_closed_connection_fails_the_check(kept):
    kept.connection.close()
    _check(kept)
    assert kept.connection is None
