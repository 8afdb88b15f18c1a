"""Token authentication for the API (django-rest-knox), cheap enough for every request.

It costs one query (the token with its user, by key) and no write: AUTO_REFRESH is
off, so a token lives TOKEN_TTL from login and then the member logs in again. knox's
own check also scans the member's other tokens for expired ones on every request (a
second query); here that sweep happens at login instead (readinggroup.rest.auth).

The token and member are read with SQL written once per process (_TokenQuery): the
ORM spent more CPU compiling that one select_related query than the rest of the
request's authentication (about 0.5 ms of every API request).

Kept apart from the views: DRF imports this module while rest_framework.views loads.
"""

import re
from functools import cache
from hmac import compare_digest

from django.db import connections, router
from django.utils import timezone
from knox import auth as knox_auth
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS, knox_settings
from rest_framework import exceptions

from readinggroup.postgresql import prepared_cursor
from readinggroup.rest.conditional import remember_snapshot


class _TokenQuery:
    """`AuthToken.objects.filter(token_key=key).select_related("user")`, its SQL built once."""

    def __init__(self) -> None:
        self.token_model = get_token_model()
        self.user_model = self.token_model._meta.get_field("user").related_model
        self.db = router.db_for_read(self.token_model)
        connection = connections[self.db]
        quote = connection.ops.quote_name
        token_table, user_table = self.token_model._meta.db_table, self.user_model._meta.db_table
        self.token_fields = self.token_model._meta.concrete_fields
        self.user_fields = self.user_model._meta.concrete_fields
        columns = [f"{quote(token_table)}.{quote(f.column)}" for f in self.token_fields]
        columns += [f"{quote(user_table)}.{quote(f.column)}" for f in self.user_fields]
        user_fk = f"{quote(token_table)}.{quote(self.token_model._meta.get_field('user').column)}"
        user_pk = f"{quote(user_table)}.{quote(self.user_model._meta.pk.column)}"
        key = f"{quote(token_table)}.{quote(self.token_model._meta.get_field('token_key').column)}"
        # On PostgreSQL the same statement reads the database snapshot that a conditional GET
        # compares (readinggroup.rest.conditional): one round trip fewer for every repeat.
        self.with_snapshot = connection.vendor == "postgresql"
        if self.with_snapshot:
            columns.append("pg_current_snapshot()::text")
        self.sql = (
            f"SELECT {', '.join(columns)} FROM {quote(token_table)} "
            f"INNER JOIN {quote(user_table)} ON {user_fk} = {user_pk} WHERE {key} = %s"
        )
        # The same conversions the ORM applies to these columns (e.g. dates and booleans on SQLite).
        cols = [f.get_col(token_table) for f in self.token_fields] + [
            f.get_col(user_table) for f in self.user_fields
        ]
        self.converters = [
            (index, converters, col)
            for index, col in enumerate(cols)
            if (converters := connection.ops.get_db_converters(col) + col.get_db_converters(connection))
        ]

    def __call__(self, key: str) -> tuple[list, str | None]:
        """The tokens with this key, each with its user, and the snapshot (None on SQLite)."""
        connection = connections[self.db]
        # Prepared on PostgreSQL: planning this join cost PostgreSQL more than running it.
        with prepared_cursor(connection) as cursor:
            cursor.execute(self.sql, [key])
            rows = cursor.fetchall()
        tokens, split = [], len(self.token_fields)
        snapshot = rows[0][-1] if rows and self.with_snapshot else None
        for row in rows:
            row = list(row[:-1] if self.with_snapshot else row)
            for index, converters, col in self.converters:
                for converter in converters:
                    row[index] = converter(row[index], col, connection)
            token = self.token_model.from_db(self.db, [f.attname for f in self.token_fields], row[:split])
            token.user = self.user_model.from_db(self.db, [f.attname for f in self.user_fields], row[split:])
            tokens.append(token)
        return tokens, snapshot


@cache
def _token_query() -> _TokenQuery:
    return _TokenQuery()


class TokenAuthentication(knox_auth.TokenAuthentication):
    snapshot: str | None = None

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is not None and self.snapshot is not None:
            remember_snapshot(request, self.snapshot)
        return found

    def authenticate_credentials(self, token: bytes):
        try:
            text = token.decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        # A well-formed token is the prefix and hex digits; anything else never reaches the database.
        shape = (
            re.escape(knox_settings.TOKEN_PREFIX) + f"[0-9a-f]{{{knox_settings.AUTH_TOKEN_CHARACTER_LENGTH}}}"
        )
        if not re.fullmatch(shape, text):
            raise exceptions.AuthenticationFailed("Invalid token.")
        # knox's own loop, over tokens read by _token_query.
        tokens, self.snapshot = _token_query()(text[: CONSTANTS.TOKEN_KEY_LENGTH])
        for auth_token in tokens:
            if self._cleanup_token(auth_token):
                continue
            if compare_digest(hash_token(text), auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed("Invalid token.")

    def _cleanup_token(self, auth_token) -> bool:
        """True (and the token deleted) when it has expired; other tokens are left to login."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False
