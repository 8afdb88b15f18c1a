"""Helpers for migrations that only do something on PostgreSQL (the embedded default is SQLite)."""


def run_on_postgres(sql: str):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return operation
