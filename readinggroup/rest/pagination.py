"""Keyset ("cursor") pagination over every column of the queryset's ORDER BY.

Hand-written because DRF's CursorPagination keeps only the first ordering column in
its cursor and skips ties with an OFFSET it caps at 1000: ordering by votes, where
most papers share a count of 0, would stop paging. Here the cursor carries the
values of every ordering column (each order ends in the primary key, so positions
are unique) and a page is one indexed query, however deep, with no COUNT(*): when every
column runs the same way (all orders here do) the position is one row-value comparison,
`(votes, score, id) < (…)`, which PostgreSQL seeks to in the index.
"""

import base64
import binascii
import json
import math
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, FloatField, Q, QuerySet, Value
from rest_framework import exceptions
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from readinggroup.sql import RowLess

_BIGINT = 2**63 - 1
# Ours are a few hundred characters; a longer one is not ours, and is never decoded.
_MAX_CURSOR_LENGTH = 1000
_INVALID_CURSOR = "Invalid cursor: use the next or previous link of an earlier page, unchanged."


def _json_value(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _valid_value(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) <= _BIGINT
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str) and "\x00" not in value and len(value) <= 1000


def encode_cursor(ordering: list[str], values: list, *, reverse: bool) -> str:
    raw = json.dumps(
        {"o": ordering, "v": [_json_value(v) for v in values], "r": reverse}, separators=(",", ":")
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, ordering: list[str]) -> tuple[list, bool]:
    """The values and direction a cursor holds; a 400 when it is not one of ours for this order."""
    if len(cursor) > _MAX_CURSOR_LENGTH:
        raise exceptions.ValidationError({"cursor": [_INVALID_CURSOR]})
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        values, reverse = data["v"], data["r"]
        valid = (
            data["o"] == ordering
            and isinstance(values, list)
            and len(values) == len(ordering)
            and all(_valid_value(v) for v in values)
            and isinstance(reverse, bool)
        )
    except (ValueError, TypeError, KeyError, UnicodeError, binascii.Error, RecursionError):
        valid = False
    if not valid:
        raise exceptions.ValidationError({"cursor": [_INVALID_CURSOR]})
    return values, reverse


def _typed(queryset: QuerySet, name: str, value) -> Value:
    """The cursor's value as the column's type (ValidationError / ValueError when it is not one)."""
    if name in queryset.query.annotations:  # search_rank, the only ordering annotation
        rank = float(value)
        if not math.isfinite(rank):  # "nan" or "inf" as text
            raise ValueError("not a rank")
        return Value(rank, output_field=FloatField())
    field, prepared = _column_value(queryset.model, name, value)
    return Value(prepared, output_field=field)


def _column_value(model, name: str, value):
    """The model field behind an ordering name, and the value as its column's type."""
    field = model._meta.get_field("id" if name == "pk" else name)
    typed = field.to_python(value)
    # Cursors are written with times in UTC. Another offset (or none) is not one of ours, and
    # PostgreSQL refuses offsets beyond 15:59 with a DataError (a crafted +20:00 was a 500).
    if isinstance(typed, datetime) and typed.utcoffset() != timedelta(0):
        raise ValueError("not a time in UTC")
    if isinstance(typed, int) and abs(typed) > _BIGINT:  # 1e300 as an id: an int beyond BIGINT
        raise ValueError("out of range")
    return field, field.get_prep_value(typed)


def after(ordering: list[str], values: list, *, reverse: bool = False, queryset: QuerySet | None = None):
    """Rows strictly after a position in this order (before it when reverse).

    With a queryset and one direction for every column: (a, b, id) < (x, y, z), which an
    index on the order can seek to. Otherwise the expanded form
    (a < x) OR (a = x AND b < y) OR (a = x AND b = y AND id < z) for "-a, -b, -id".
    """
    directions = {field.startswith("-") for field in ordering}
    if queryset is not None and len(directions) == 1:
        names = [field.lstrip("-") for field in ordering]
        descending = directions.pop()
        return RowLess(
            [F(name) for name in names],
            [_typed(queryset, name, value) for name, value in zip(names, values, strict=True)],
            greater=descending == reverse,
        )
    condition = Q()
    equal: dict = {}
    for field, value in zip(ordering, values, strict=True):
        name = field.lstrip("-")
        descending = field.startswith("-")
        lookup = "lt" if descending != reverse else "gt"
        condition |= Q(**equal, **{f"{name}__{lookup}": value})
        equal[name] = value
    return condition


class KeysetPagination(BasePagination):
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"

    def paginate_queryset(self, queryset: QuerySet, request: Request, view=None) -> list:
        """At most page_size rows after the cursor's position (before it, when the cursor
        points back), in the order's direction; the first page without a cursor."""
        self.request = request
        self.ordering = [str(field) for field in queryset.query.order_by]
        if not self.ordering or self.ordering[-1].lstrip("-") not in {"id", "pk"}:
            raise ValueError("Keyset pagination needs an ORDER BY ending in the primary key.")
        self.page_size = self._page_size(request)
        cursor = request.query_params.get(self.cursor_query_param)
        self.reverse, self.has_cursor = False, bool(cursor)
        if cursor:
            values, self.reverse = decode_cursor(cursor, self.ordering)
            try:
                queryset = queryset.filter(
                    after(self.ordering, values, reverse=self.reverse, queryset=queryset)
                )
            except (DjangoValidationError, ValueError, TypeError):
                raise exceptions.ValidationError({"cursor": [_INVALID_CURSOR]}) from None
            if self.reverse:
                queryset = queryset.reverse()
        rows = list(queryset[: self.page_size + 1])
        self.has_more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if self.reverse:
            rows.reverse()
        self.rows = rows
        return rows

    def _page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return settings.API_PAGE_SIZE
        high = settings.API_MAX_PAGE_SIZE
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= high:
            raise exceptions.ValidationError({"page_size": [f"Give a whole number from 1 to {high}."]})
        return int(raw)

    def _link(self, row, *, reverse: bool) -> str:
        values = [getattr(row, field.lstrip("-")) for field in self.ordering]
        cursor = encode_cursor(self.ordering, values, reverse=reverse)
        return replace_query_param(self.request.build_absolute_uri(), self.cursor_query_param, cursor)

    def get_next_link(self) -> str | None:
        more_after = self.has_more if not self.reverse else self.has_cursor
        if not self.rows or not more_after:
            return None
        return self._link(self.rows[-1], reverse=False)

    def get_previous_link(self) -> str | None:
        more_before = self.has_more if self.reverse else self.has_cursor
        if not self.rows or not more_before:
            return None
        return self._link(self.rows[0], reverse=True)

    def get_paginated_response(self, data) -> Response:
        return Response(self.get_paginated_data(data))

    def get_paginated_data(self, data) -> dict:
        return {"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data}

    def get_paginated_response_schema(self, schema: dict) -> dict:
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {**link, "description": "The next page, or null on the last one."},
                "previous": {**link, "description": "The previous page, or null on the first one."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.cursor_query_param,
                "in": "query",
                "required": False,
                "description": "Where the page starts: take it from a next or previous link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "in": "query",
                "required": False,
                "description": f"Items per page (default {settings.API_PAGE_SIZE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": settings.API_MAX_PAGE_SIZE},
            },
        ]
