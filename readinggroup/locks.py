"""Cross-process locks held by a PostgreSQL session.

A session advisory lock is exact (no two holders, unlike a cache add on the file
cache) and goes with its holder: a process that dies, or a connection that drops,
frees it at once, so no expiry has to be guessed.

Namespaces (the first key) in use: 0x6F62 outbox messages, 0x7061 paper ingest
buckets, 0x6673 source fetches.
"""

import contextlib
from collections.abc import Iterator

from django.db import connection


def advisory_locks_available() -> bool:
    return connection.vendor == "postgresql"


@contextlib.contextmanager
def try_advisory_lock(namespace: int, key: int) -> Iterator[bool]:
    """Take the lock (namespace, key) without waiting; yields whether this session holds it."""
    keys = [namespace, key % 2**31]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", keys)
        locked = cursor.fetchone()[0]
    try:
        yield locked
    finally:
        # A dropped connection took the lock with it; there is nothing left to release.
        if locked and connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", keys)
