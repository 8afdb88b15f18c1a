"""What psycopg has prepared on the test's connection (readinggroup.postgresql's prepared cursor)."""

from django.db import connection


def prepared_statements(fragment: str) -> int:
    """Protocol-level prepared statements of this connection whose SQL contains `fragment`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE NOT from_sql AND statement LIKE %s",
            [f"%{fragment}%"],
        )
        return cursor.fetchone()[0]
