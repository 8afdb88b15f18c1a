"""The API token lookup as a prepared statement (readinggroup.postgresql): prepared once per
connection, answering from the current data, prepared again after what drops it, and
left unprepared when DB_PREPARED_STATEMENTS is off."""

import pytest
from django.db import DataError, connection, transaction
from knox.models import AuthToken

from readinggroup.tests.prepared import prepared_statements

pytestmark = [pytest.mark.postgres, pytest.mark.django_db, pytest.mark.usefixtures("preparing")]


def _prepared_token_lookups() -> int:
    return prepared_statements("token_key")


def test_the_token_lookup_is_prepared_once_and_reused(api, member):
    client = api(member)
    assert _prepared_token_lookups() == 0
    for _ in range(3):
        assert client.get("/api/v1/papers/").status_code == 200
    assert _prepared_token_lookups() == 1


def test_the_prepared_lookup_is_logged_and_counted_with_its_sql(api, member, django_assert_num_queries):
    client = api(member)
    token_key = AuthToken.objects.get(user=member).token_key
    with django_assert_num_queries(2) as captured:  # the token, then the page
        assert client.get("/api/v1/papers/").status_code == 200
    lookup = captured.captured_queries[0]["sql"]
    assert "token_key" in lookup and f"'{token_key}'" in lookup


def test_the_prepared_lookup_sees_a_token_revoked_since(api, member):
    client = api(member)
    assert client.get("/api/v1/papers/").status_code == 200
    AuthToken.objects.filter(user=member).delete()  # as logging out does
    assert client.get("/api/v1/papers/").status_code == 401


def test_a_rolled_back_transaction_leaves_the_lookup_working(api, member):
    client = api(member)
    assert client.get("/api/v1/papers/").status_code == 200
    with pytest.raises(DataError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT 1 / 0")  # psycopg forgets what it prepared on a rollback
    for _ in range(2):
        assert client.get("/api/v1/papers/").status_code == 200
    assert _prepared_token_lookups() == 1


def test_with_prepared_statements_off_the_lookup_runs_unprepared(api, member, monkeypatch):
    connection.ensure_connection()
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)  # what the setting sets
    client = api(member)
    for _ in range(3):
        assert client.get("/api/v1/papers/").status_code == 200
    assert _prepared_token_lookups() == 0


def test_new_connections_cap_what_psycopg_remembers_of_other_statements():
    # Client-side statements are counted by their whole text: bulk inserts must not pile up.
    new = connection.get_new_connection({**connection.get_connection_params(), "prepare_threshold": 5})
    try:
        assert new.prepare_threshold == 5 and new.prepared_max == 8
    finally:
        new.close()
