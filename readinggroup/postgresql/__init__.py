"""Django's PostgreSQL backend with a health check that costs no round trip and a cursor
whose statements are prepared (see base.py)."""


def prepared_cursor(connection):
    """A cursor whose statements PostgreSQL prepares (this backend's), or the connection's
    plain cursor on any other backend (SQLite, another PostgreSQL backend)."""
    return getattr(connection, "prepared_cursor", connection.cursor)()
