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

Everything is computed here, in `Validators`, from the version the view hands over:
no state travels on the request.
"""

import hashlib
import json
import math
from datetime import UTC, datetime, timedelta

from django.core.cache import cache
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


def version_digest(version) -> str:
    """A short hash of a version (JSON of its parts): the ETag, and the cache key of a response
    part kept per version (papers.api_cache)."""
    raw = json.dumps(version, default=_default, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def etag_for(request: Request, version) -> str:
    """A weak ETag for this representation: the version, the format and who is asking
    (members see their own votes; organisers see more fields)."""
    user = request.user
    viewer = ("organiser" if user.is_organiser else "member") if user.is_authenticated else "anonymous"
    fmt = request.accepted_renderer.format if getattr(request, "accepted_renderer", None) else "json"
    return f'W/"{version_digest([viewer, fmt, version])}"'


def _resource_key(request: Request) -> str:
    """The cache key of this (member, format, path)."""
    user = request.user.pk if request.user.is_authenticated else "-"
    fmt = request.accepted_renderer.format if getattr(request, "accepted_renderer", None) else "json"
    raw = f"{user}|{fmt}|{request.get_full_path()}"
    return "api:seen:" + hashlib.sha256(raw.encode()).hexdigest()


def _seen(key: str) -> tuple | None:
    """(etag, last modified) last served for this resource key."""
    seen = cache.get(key)
    return tuple(seen[:2]) if seen else None  # entries of older versions had a third part


def last_modified_for(request: Request, etag: str) -> datetime:
    key = _resource_key(request)
    seen = _seen(key)
    if seen and seen[0] == etag:
        return seen[1]
    now = datetime.now(UTC)
    stamp = now.replace(microsecond=0) + timedelta(seconds=math.ceil(now.microsecond / 1e6))
    if seen and stamp <= seen[1]:
        stamp = seen[1] + timedelta(seconds=1)  # HTTP dates have whole seconds: always move on
    cache.set(key, (etag, stamp), SEEN_TIMEOUT)
    return stamp


class Validators:
    """The ETag and Last-Modified of one response, and whether the client already has it."""

    def __init__(self, request: Request, version) -> None:
        self.request = request
        self.etag = etag_for(request, version)
        self.last_modified = last_modified_for(request, self.etag)

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
