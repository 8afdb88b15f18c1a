"""The papers of an API list page, each serialized once per version and kept in the cache.

A page's ETag is made of its papers' versions (papers.api.paper_version): the paper's row,
whose modified_at moves with anything shown of it (its tags and authors included: the
services, the ingest and papers.signals move it), its counts, the member's vote and who asks.
Each paper's JSON is cached under the digest of that same version, so a cached one is exactly
as current as a 304 is; a page then costs the one query for its rows, and the authors, tags
and serializers run only for the papers whose version is new.

A search's rank and a For you list's score and reason belong to the list, not the paper: the
cached JSON is keyed without them and each list writes its own, so a paper shown once is
served from the cache in any search or list after.

Nothing is deleted: a new version is a new key, and old ones expire (JSON_TIMEOUT, short: an
entry is about 1 KB, and a member's vote makes a variant of its own). An app syncing with
?updated_since= reads each paper once, so what it makes is not kept. When the cache is away
(readinggroup.cache) every paper misses and the page is built whole.
"""

from collections.abc import Callable
from datetime import timedelta

from django.core.cache import cache
from rest_framework.fields import Field
from rest_framework.request import Request

from papers.models import Paper
from papers.selectors import prefetch_list_relations
from readinggroup.rest.conditional import version_digest

JSON_TIMEOUT = int(timedelta(minutes=10).total_seconds())


def papers_json(
    papers: list[Paper],
    versions: list,
    *,
    request: Request,
    serialize: Callable[[list[Paper]], list],
    list_fields: dict[str, Field],
    keep: bool = True,
) -> list[dict]:
    """Each paper's JSON, from the cache or from `serialize` (the list's serializer) for the
    papers missing, whose authors and tags are loaded first; kept in the cache if `keep`.
    `versions` leave out `list_fields`, which are written on each paper's JSON afterwards, by
    the serializer's own fields (left out when the paper has none, as the serializer does)."""
    # web_url is absolute: the site answering under another name has JSON of its own.
    site = request.build_absolute_uri("/")
    keys = [f"papers:json:{version_digest([site, version])}" for version in versions]
    found = cache.get_many(keys)
    missing = {key: paper for key, paper in zip(keys, papers, strict=True) if key not in found}
    if missing:
        prefetch_list_relations(list(missing.values()))
        fresh = dict(zip(missing, serialize(list(missing.values())), strict=True))
        if keep:
            cache.set_many(fresh, JSON_TIMEOUT)
        found.update(fresh)
    return [
        _with_list_fields(found[key], paper, list_fields) for key, paper in zip(keys, papers, strict=True)
    ]


def _with_list_fields(cached: dict, paper: Paper, fields: dict[str, Field]) -> dict:
    data = dict(cached)  # the cached dict may be another list's (the local-memory fallback)
    for name, field in fields.items():
        if not hasattr(paper, name):
            data.pop(name, None)
            continue
        value = getattr(paper, name)
        # In the serializer's own order: these are its last fields, so a missing key goes last.
        data[name] = None if value is None else field.to_representation(value)
    return data
