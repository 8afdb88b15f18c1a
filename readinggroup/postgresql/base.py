"""Django's PostgreSQL backend, with a cheaper health check for kept connections.

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
"""

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        try:
            readable, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):  # the socket is gone
            return False
        return not readable or super().is_usable()
