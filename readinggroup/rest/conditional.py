"""Conditional GET (ETag / Last-Modified) decided from loaded rows, before serialising.

A view computes a version from what it loaded (ids, modified_at, vote counts, the
member's own votes, related names) and asks `not_modified()` before it builds any
JSON. The ETag is a hash of that version, so it changes with anything the response
shows, votes included, although a vote does not move Paper.modified_at.

Last-Modified cannot be read from the rows for the same reason (and an unvote leaves
no timestamp behind), so it is the time this server first saw the current version of
the resource: kept in the cache per resource, and moved forward whenever the ETag
changes. A lost cache entry only moves it forward too, which costs a full response,
never a wrong 304.

A repeated conditional request can be answered without loading anything
(`answer_unchanged_quickly`, for views whose output depends on stored data alone,
not on the clock): with each (member, path, format) the cache keeps the PostgreSQL
snapshot read before the rows were loaded. Equal snapshots mean the same committed
transactions, hence the same rows, so the ETag computed then still holds. Any
write anywhere moves the snapshot; then the request takes the full path, which
may still end in a 304. A snapshot is read before the rows, so rows that are newer
than their snapshot only ever cost a full response later, never a wrong 304.

With Redis, the entry is read by the throttle's script, in the request's one round trip
to Redis (`key_to_prefetch`); other caches read it with a plain get.
"""

import hashlib
import json
import math
from datetime import UTC, datetime, timedelta
from functools import wraps

from django.core.cache import cache
from django.db import connection
from django.http import HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, parse_etags, parse_http_date_safe
from rest_framework.request import Request
from rest_framework.response import Response

SEEN_TIMEOUT = int(timedelta(days=7).total_seconds())
VARY = ("Accept", "Authorization", "Cookie")


def _default(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"Cannot put {type(value).__name__} in a version.")


def etag_for(request: Request, version) -> str:
    """A weak ETag for this representation: the version, the format and who is asking
    (members see their own votes; organisers see more fields)."""
    user = request.user
    viewer = ("organiser" if user.is_organiser else "member") if user.is_authenticated else "anonymous"
    fmt = request.accepted_renderer.format if getattr(request, "accepted_renderer", None) else "json"
    raw = json.dumps([viewer, fmt, version], default=_default, separators=(",", ":"))
    return f'W/"{hashlib.sha256(raw.encode()).hexdigest()[:32]}"'


def _resource_key(request: Request) -> str:
    """The cache key of this (member, format, path); kept on the request, which asks up to
    three times (throttle, quick answer, Last-Modified)."""
    key = getattr(request, "_resource_key", None)
    if key is None:
        user = request.user.pk if request.user.is_authenticated else "-"
        fmt = request.accepted_renderer.format if getattr(request, "accepted_renderer", None) else "json"
        raw = f"{user}|{fmt}|{request.get_full_path()}"
        key = request._resource_key = "api:seen:" + hashlib.sha256(raw.encode()).hexdigest()
    return key


def _is_conditional(request: Request) -> bool:
    meta = request.META
    return request.method in ("GET", "HEAD") and (
        "HTTP_IF_NONE_MATCH" in meta or "HTTP_IF_MODIFIED_SINCE" in meta
    )


def remember_snapshot(request: Request, snapshot: str) -> None:
    """A snapshot read earlier in this request (token authentication reads one with the token)."""
    request._snapshot_at_authentication = snapshot


def _database_snapshot(request: Request) -> str | None:
    """The committed state PostgreSQL shows a new statement now ("xmin:xmax:in-progress"),
    or as it was when the token was read: earlier is as good, it only errs towards a 200."""
    if connection.vendor != "postgresql":
        return None  # SQLite has no equivalent: always the full path
    if connection.in_atomic_block:
        return None  # an open transaction's own writes do not move its snapshot
    if snapshot := getattr(request, "_snapshot_at_authentication", None):
        return snapshot
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_snapshot()::text")
        return cursor.fetchone()[0]


def key_to_prefetch(request: Request, view) -> str | None:
    """The cache key a GET of a conditional action reads first, for the throttle's round trip
    to Redis to bring along (readinggroup.rest.throttles); None for other requests."""
    conditional_action = getattr(view, "action", None) in getattr(view, "conditional_actions", ())
    return _resource_key(request) if conditional_action and request.method in ("GET", "HEAD") else None


def remember_prefetched(request: Request, fetched: dict) -> None:
    """{key: value or None} read from the cache earlier in this request."""
    request._prefetched_from_cache = fetched


def _seen(request: Request, key: str) -> tuple | None:
    """(etag, last modified, snapshot or None) last served for this resource key."""
    prefetched = getattr(request, "_prefetched_from_cache", {})
    seen = prefetched[key] if key in prefetched else cache.get(key)
    return (*seen, None)[:3] if seen else None  # entries written before snapshots had two parts


def _remember_seen(request: Request, key: str, seen: tuple) -> None:
    cache.set(key, seen, SEEN_TIMEOUT)
    getattr(request, "_prefetched_from_cache", {}).pop(key, None)  # no longer what the cache holds


def last_modified_for(request: Request, etag: str) -> datetime:
    key = _resource_key(request)
    seen = _seen(request, key)
    snapshot = getattr(request, "_snapshot_before_rows", None)
    if seen and seen[0] == etag:
        if snapshot is not None and seen[2] != snapshot:
            _remember_seen(request, key, (etag, seen[1], snapshot))
        return seen[1]
    now = datetime.now(UTC)
    stamp = now.replace(microsecond=0) + timedelta(seconds=math.ceil(now.microsecond / 1e6))
    if seen and stamp <= seen[1]:
        stamp = seen[1] + timedelta(seconds=1)  # HTTP dates have whole seconds: always move on
    _remember_seen(request, key, (etag, stamp, snapshot))
    return stamp


def answer_unchanged_quickly(handler):
    """Decorate a GET handler whose output depends on stored rows only: a conditional
    request for what this member already has, with nothing committed since, is a 304
    after one tiny query, before the handler loads anything."""

    @wraps(handler)
    def wrapper(view, request: Request, *args, **kwargs):
        if not _is_conditional(request):
            return handler(view, request, *args, **kwargs)
        snapshot = _database_snapshot(request)
        seen = _seen(request, _resource_key(request)) if snapshot is not None else None
        if seen and seen[2] == snapshot:
            validators = Validators.known(request, etag=seen[0], last_modified=seen[1])
            if validators.client_is_current():
                return validators.apply(HttpResponseNotModified())
        request._snapshot_before_rows = snapshot
        return handler(view, request, *args, **kwargs)

    return wrapper


class Validators:
    """The ETag and Last-Modified of one response, and whether the client already has it."""

    def __init__(self, request: Request, version) -> None:
        self.request = request
        self.etag = etag_for(request, version)
        self.last_modified = last_modified_for(request, self.etag)

    @classmethod
    def known(cls, request: Request, *, etag: str, last_modified: datetime) -> "Validators":
        validators = cls.__new__(cls)
        validators.request, validators.etag, validators.last_modified = request, etag, last_modified
        return validators

    def client_is_current(self) -> bool:
        meta = self.request.META
        if "HTTP_IF_NONE_MATCH" in meta:  # takes precedence over If-Modified-Since (RFC 9110)
            tags = parse_etags(meta["HTTP_IF_NONE_MATCH"])
            weak = self.etag.removeprefix("W/")
            return "*" in tags or any(tag.removeprefix("W/") == weak for tag in tags)
        since = parse_http_date_safe(meta.get("HTTP_IF_MODIFIED_SINCE", ""))
        return since is not None and int(self.last_modified.timestamp()) <= since

    def apply(self, response):
        response["ETag"] = self.etag
        response["Last-Modified"] = http_date(self.last_modified.timestamp())
        response["Cache-Control"] = "private, no-cache"
        patch_vary_headers(response, VARY)
        return response

    def not_modified(self) -> HttpResponseNotModified | None:
        if self.request.method not in ("GET", "HEAD") or not self.client_is_current():
            return None
        return self.apply(HttpResponseNotModified())

    def respond(self, data) -> Response:
        return self.apply(Response(data))
