"""Django's PostgreSQL backend, with a cheaper health check for kept connections and a
cursor whose statements are prepared.

With CONN_HEALTH_CHECKS on, Django asks a kept connection `SELECT 1` before the first
query of every request: a round trip to PostgreSQL, about a fifth of the CPU of a cheap
API request (a 304, a paper's detail). An idle connection has nothing to say, though:
PostgreSQL writes to it unprompted only when it is going away (shutdown, restart,
pg_terminate_backend, idle_session_timeout send an error, then close the socket) or, on
connections that LISTEN, which the site's never do, a notification. So the socket is
looked at without waiting: nothing to read means the connection stands as the last
request left it; anything to read (or a closed socket) and the real `SELECT 1` decides,
as Django's own check does.

A connection dropped without a word (a cable, a firewall forgetting it) also shows
nothing to read; `SELECT 1` would not have helped there either: it would have hung on
the same socket. Its first query fails, the request answers 503
(readinggroup.outage), and Django closes the connection at the end of that request.

`prepared_cursor()` is for the few statements the API runs all day (the token lookup of
every request, a paper's detail): PostgreSQL parses and plans such a statement once per
connection instead of on every request, which took 0.35-0.40 ms of its CPU a request for
the token lookup, against 0.10-0.14 ms prepared, and 0.64-0.69 ms for a paper's detail,
against 0.17 ms. A list page is not prepared: its plan depends on the cursor's position,
and preparing it saved under a tenth. (On a connection opened for a single request,
DB_CONN_MAX_AGE=0, preparing only adds a round trip, small beside opening the connection.)
`readinggroup.postgresql.prepared_cursor(connection)` falls back to the plain cursor on
other backends.
Django's own cursors bind parameters on the client and are never prepared; this one binds
on the server, so psycopg can prepare it (protocol-level, as PgBouncer 1.21+ supports) and
keep track of it (it prepares again after a rollback or DISCARD). With
DB_PREPARED_STATEMENTS off (psycopg's prepare_threshold None, Django's default) the
statements run unprepared, as they would through any other cursor.
"""

import select

from django.db.backends.postgresql import base
from django.db.backends.postgresql.operations import DatabaseOperations as BaseOperations
from django.utils.asyncio import async_unsafe


class PreparingCursor(base.ServerBindingCursor):
    """Server-side binding, and every statement prepared (when the connection allows it)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True if prepare is None else prepare, binary=binary)


class DatabaseOperations(BaseOperations):
    def last_executed_query(self, cursor, sql, params):
        # Django reads a client-side cursor's merged query, which a prepared one does not have:
        # without this, the debug log and captured queries would show None for it.
        if isinstance(cursor, PreparingCursor):
            return self.compose_sql(sql, params)
        return super().last_executed_query(cursor, sql, params)


# With prepared statements on, psycopg also counts the statements of client-side cursors (in
# case it should prepare them, which it never does for those): keys are their whole text,
# values included, so a few bulk inserts could hold megabytes. This caps what it keeps.
_PREPARED_MAX = 8


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    @async_unsafe
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if connection.prepare_threshold is not None:
            connection.prepared_max = _PREPARED_MAX
        return connection

    @async_unsafe
    def prepared_cursor(self):
        """Like cursor() (Django's wrapper: errors translated, queries logged and counted),
        over a PreparingCursor."""
        # The steps of BaseDatabaseWrapper._cursor(), with another cursor class.
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            return self._prepare_cursor(PreparingCursor(self.connection))

    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        try:
            readable, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):  # the socket is gone
            return False
        return not readable or super().is_usable()
