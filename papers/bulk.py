"""Many-row INSERT ... ON CONFLICT DO NOTHING [RETURNING], fast on PostgreSQL, portable to SQLite.

Why not bulk_create: it cannot return the ids of rows inserted with
ignore_conflicts, and a multi-row VALUES list with thousands of placeholders
is slow to build and to parse. On PostgreSQL this sends one array per column
and inserts `SELECT * FROM unnest(...)`: a constant number of parameters
whatever the row count. SQLite gets plain VALUES lists, chunked under its
limit on bound variables. With no conflict target, a row that clashes with any
unique index is skipped rather than failing the statement.
"""

from collections.abc import Sequence

from django.db import connection
from django.db.models import JSONField, Model

SQLITE_MAX_VARIABLES = 30000


def _array_type(field) -> str:
    return f"{field.db_type(connection)}[]"


def _preparer(field, vendor: str):
    """How to turn a Python value into a parameter for this column (chosen once per column)."""
    if vendor == "postgresql" and not isinstance(field, JSONField):
        return None  # psycopg adapts str, int, float, None and aware datetimes itself
    return lambda value: field.get_db_prep_save(value, connection)


def insert_rows(
    model: type[Model], fields: Sequence[str], rows: Sequence[Sequence], *, returning: Sequence[str] = ()
) -> list[tuple]:
    """Insert rows (tuples in `fields` order), skipping conflicts; the RETURNING columns of inserted rows."""
    if not rows:
        return []
    opts = model._meta
    model_fields = [opts.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(f.column) for f in model_fields)}) "
    tail = " ON CONFLICT DO NOTHING"
    if returning:
        tail += " RETURNING " + ", ".join(quote(opts.get_field(name).column) for name in returning)
    vendor = connection.vendor
    preparers = [_preparer(f, vendor) for f in model_fields]
    prepared = [[p(v) if p else v for p, v in zip(preparers, row, strict=True)] for row in rows]
    results: list[tuple] = []
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            arrays = ", ".join(f"%s::{_array_type(f)}" for f in model_fields)
            cursor.execute(
                f"{head}SELECT * FROM unnest({arrays}){tail}", [list(c) for c in zip(*prepared, strict=True)]
            )
            return cursor.fetchall() if returning else []
        per_statement = max(1, SQLITE_MAX_VARIABLES // len(model_fields))
        placeholder = "(" + ", ".join(["%s"] * len(model_fields)) + ")"
        for start in range(0, len(prepared), per_statement):
            chunk = prepared[start : start + per_statement]
            values = ", ".join([placeholder] * len(chunk))
            cursor.execute(f"{head}VALUES {values}{tail}", [v for row in chunk for v in row])
            if returning:
                results += cursor.fetchall()
    return results
