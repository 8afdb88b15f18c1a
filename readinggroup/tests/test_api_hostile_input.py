"""Hostile input through every API operation: never a 5xx, and every error in the API's format.

The operations come from the live OpenAPI schema (paths, methods, query parameters, body
fields), and the API routes the schema leaves out (the root, the schema and docs views, the
catch-all for unknown paths) from the URLconf: a new operation is walked without anyone
listing it here. Each one gets, as an anonymous client and as a member (by token):

- bodies: nested 3,000 deep, larger than DATA_UPLOAD_MAX_MEMORY_SIZE, not UTF-8, not JSON;
  in each body field: NUL bytes, lone surrogates, wrong types, huge numbers, bad dates;
- query parameters: the same values in each documented parameter, and cursors crafted from
  a real next link (a +20:00 time offset, numbers beyond BIGINT, NaN, nesting, garbage);
- path ids beyond BIGINT, and headers with garbage validators and tokens.

Every request runs in a rolled-back savepoint, so a logout or a deletion does not spoil the
next one. The walk prints how many requests it sent (`pytest -s`).
"""

import base64
import json
import time
from collections import Counter
from unittest import mock
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from discussions.services import comment_create
from meetings.tests.factories import AgendaItemFactory, MeetingFactory, RSVPFactory
from papers.tests.factories import PaperFactory, TagFactory
from readinggroup.rest.parsers import MAX_DEPTH, nesting_depth
from readinggroup.rest.renderers import JSONRenderer
from readinggroup.tests.hostile import quiet_4xx_logs
from readinggroup.tests.test_access_matrix import all_routes

pytestmark = pytest.mark.django_db
METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE")
WITH_BODY = ("POST", "PUT", "PATCH", "DELETE")
BODY_LIMIT = 64 * 1024  # DATA_UPLOAD_MAX_MEMORY_SIZE during the walk, so "huge" stays quick to send
BIG = 2**63

# Values for any field or parameter: text that is no text, wrong types, numbers and dates
# beyond what the database or datetime hold.
VALUES: list = [
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "",
    "x" * 5000,
    0,
    -1,
    BIG,
    10**30,
    1e308,
    True,
    None,
    [],
    {"a": [1, 2]},
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "9999-12-31T23:59:59+20:00",
]


def _encodable(value) -> bool:
    if isinstance(value, bool):
        return False
    try:
        str(value).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# A query string is bytes: its surrogates come percent-encoded (below), never as characters.
QUERY_VALUES = [v for v in VALUES if isinstance(v, str | int | float) and _encodable(v)] + [
    "%ED%A0%80",  # a surrogate's UTF-8 bytes, as a client could percent-encode them
    "1e3",
    "NaN",
    "true",
]
RAW_BODIES: dict[str, bytes] = {
    "deep array": b"[" * 3000 + b"]" * 3000,
    "deep object": b'{"a":' * 3000 + b"1" + b"}" * 3000,
    "deep inside a string is fine": json.dumps({"reference": "[" * 3000}).encode(),
    "huge": json.dumps({"reference": "x" * (BODY_LIMIT + 10)}).encode(),
    "not UTF-8": b'{"reference": "\xff\xfe"}',
    "not JSON": b"{'reference': 1}",
    "huge integer": b'{"reference": ' + b"9" * 5000 + b"}",
    "NaN": b'{"answer": NaN}',
    "lone surrogate": b'{"answer": "\\ud800", "reference": "\\udfff", "display_name": "\\ud800"}',
    "NUL": b'{"answer": "\\u0000", "reference": "\\u0000", "display_name": "\\u0000"}',
    "empty": b"",
    "array": b"[]",
    "string": b'"x"',
}
CONTENT_TYPES = ["application/json", "application/json; charset=utf-16", "text/plain"]
CURSOR_VALUES: list = [
    "2026-01-01T00:00:00+20:00",
    "2026-01-01T00:00:00",
    "9999-12-31T23:59:59.999999+00:00",
    "0001-01-01T00:00:00+00:00",
    "nan",
    "inf",
    BIG,
    -BIG - 1,
    1e300,
    "x",
    "\x00",
    True,
    None,
    [],
]
HEADERS = [
    {"HTTP_AUTHORIZATION": "Token " + "f" * 10_000},
    {"HTTP_AUTHORIZATION": "Token \x00"},
    {"HTTP_AUTHORIZATION": "Token é"},
    {"HTTP_IF_NONE_MATCH": 'W/"' + "x" * 5000},
    {"HTTP_IF_MODIFIED_SINCE": "Mon, 99 Foo 99999 99:99:99 GMT"},
    {"HTTP_ACCEPT": "application/json; indent=99999"},
    {"HTTP_ACCEPT": "text/html"},
]


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.fixture
def world(member, other_member):
    """Two of everything a list shows, so every list has a next link to tamper with."""
    tags = [TagFactory(name="Graphs"), TagFactory(name="cs.LG", kind="category")]
    papers = [PaperFactory(tags=tags) for _ in range(3)]
    meetings = [MeetingFactory(capacity=3) for _ in range(2)]
    item = AgendaItemFactory(meeting=meetings[0], paper=papers[0], presenter=other_member)
    RSVPFactory(meeting=meetings[0], user=member)
    for gone in (PaperFactory(), PaperFactory()):  # two tombstones, so /papers/deleted/ pages too
        gone.delete()
    comments = [
        comment_create(author=member, target=target, body=f"Comment {n}.")
        for target in (papers[0], meetings[0])
        for n in range(2)
    ]
    return {
        "paper": papers[0].pk,
        "meeting": meetings[0].pk,
        "item": item.pk,
        "comment": comments[0].pk,
        "tag": tags[0].slug,
    }


@pytest.fixture
def fast(settings):
    """No throttling, no outgoing metadata fetches, and a small body limit (the same code path)."""
    rates = dict.fromkeys(("anon", "user", "login"), "100000/minute")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = BODY_LIMIT
    with mock.patch("papers.tasks.paper_fetch_metadata", return_value=False), quiet_4xx_logs():
        yield settings


def _schema() -> dict:
    response = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    return json.loads(response.content)


def _resolve(schema: dict, ref_or_schema: dict) -> dict:
    ref = ref_or_schema.get("$ref")
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else ref_or_schema


def _operations(world: dict) -> list[dict]:
    """Every documented operation (path with real ids, method, query names, body field names),
    then each API route outside the schema with every method."""
    schema = _schema()
    operations = []
    for template, methods in schema["paths"].items():
        path = template.replace("{item_id}", str(world["item"])).replace("{slug}", world["tag"])
        kind = (
            "comment" if "/comments/{id}" in template else "meeting" if "/meetings/" in template else "paper"
        )
        path = path.replace("{id}", str(world[kind]))
        for method, operation in methods.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            fields = list(_resolve(schema, body["schema"]).get("properties", {})) if body else []
            query = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
            operations.append(
                {
                    "path": path,
                    "template": template,
                    "method": method.upper(),
                    "query": query,
                    "fields": fields,
                }
            )
    documented = {op["path"] for op in operations}
    for name in all_routes():
        if not name.startswith("api:"):
            continue
        try:
            path = reverse(name)
        except NoReverseMatch:  # takes ids: in the schema
            continue
        if path not in documented:
            operations += [{"path": path, "method": m, "query": [], "fields": []} for m in METHODS]
    unknown = "/api/v1/no/such/thing/"
    operations += [{"path": unknown, "method": m, "query": [], "fields": []} for m in METHODS]
    return operations


class Walk:
    """Sends requests as one client kind and checks each answer; counts what it saw."""

    def __init__(self, user) -> None:
        self.client = Client()  # one for the walk: a new client loads every middleware again
        self.headers = {}
        if user is not None:  # each request rolls back, so a logout does not end this token
            _, token = AuthToken.objects.create(user=user)
            self.headers["HTTP_AUTHORIZATION"] = f"Token {token}"
        self.statuses: Counter = Counter()

    def send(self, method: str, path: str, *, body: bytes = b"", content_type="application/json", **extra):
        what = f"{method} {path[:300]} {body[:80]!r} {extra}"[:600]
        with transaction.atomic():
            try:
                response = self.client.generic(
                    method, path, body, content_type=content_type, **(self.headers | extra)
                )
            except Exception as error:  # the test client re-raises a view's exception: say which request
                raise AssertionError(what) from error
            transaction.set_rollback(True)
        self.check(response, what)
        return response

    def check(self, response, what: str) -> None:
        self.statuses[response.status_code // 100 * 100] += 1
        assert response.status_code < 500, what
        if response.status_code < 400 or response.request["REQUEST_METHOD"] == "HEAD":
            return
        if response.get("Content-Type", "").startswith("text/html"):  # the browsable API, when asked
            assert response.wsgi_request.META.get("HTTP_ACCEPT") == "text/html", what
            return
        assert response["Content-Type"] == "application/json", what
        body = json.loads(response.content.decode("utf-8"))
        expected = {"detail", "code", "errors"} | ({"retry_after"} if response.status_code == 429 else set())
        assert set(body) == expected, what
        assert isinstance(body["detail"], str) and isinstance(body["code"], str), what
        assert isinstance(body["errors"], dict), what


def _field_bodies(fields: list[str]):
    for field in fields:
        for value in VALUES:
            yield json.dumps({field: value}).encode()
    yield json.dumps(dict.fromkeys(fields, "\ud800")).encode()
    yield json.dumps(dict.fromkeys(fields, None)).encode()


def _cursor_data(link: str) -> dict:
    (cursor,) = parse_qs(urlsplit(link).query)["cursor"]
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


def _crafted_cursors(walk: Walk, path: str, query: list[str]) -> list[str]:
    """Cursors from a real next link of this list (in each order it offers), each value replaced."""
    # The default order, then one order per kind of column (a float, an integer, a time).
    orders = [None] + (["votes", "newest"] if "ordering" in query else [])
    cursors = ["", "%%%", "x" * 5000, b64(b"[]"), b64(b'{"o": 1}'), b64(b"\xff\xfe"), b64(b"[" * 100_000)]
    for order in orders:
        params = {"page_size": 1} | ({"ordering": order} if order else {})
        if "when" in query:
            params["when"] = "upcoming"
        link = APIClient().get(path, params).json().get("next")
        assert link, f"{path} {params}: the walk needs a second page"
        data = _cursor_data(link)
        for index in range(len(data["v"])):
            for value in CURSOR_VALUES:
                values = list(data["v"])
                values[index] = value
                cursors.append(b64(json.dumps({**data, "v": values}).encode()))
        cursors.append(b64(json.dumps({**data, "v": data["v"][:-1]}).encode()))
        cursors.append(b64(json.dumps({**data, "r": "yes"}).encode()))
    return cursors


@pytest.mark.parametrize("role", ["anonymous", "member"])
def test_hostile_input_never_gets_a_5xx_and_errors_keep_their_format(role, world, fast, request, capsys):
    walk = Walk(request.getfixturevalue("member") if role == "member" else None)
    operations = _operations(world)
    assert {op["method"] for op in operations} >= {"GET", "POST", "PUT", "PATCH", "DELETE"}
    paths_seen: set[str] = set()
    for op in operations:
        method, path = op["method"], op["path"]
        walk.send(method, path)
        if path not in paths_seen:  # the headers once per path: they are read before the method
            paths_seen.add(path)
            for extra in HEADERS:
                walk.send("GET", path, **extra)
        if method in WITH_BODY:
            # Every body on the documented operations; elsewhere the method is refused unread.
            bodies = RAW_BODIES if "template" in op else {k: RAW_BODIES[k] for k in ("deep array", "huge")}
            for body in bodies.values():
                walk.send(method, path, body=body)
            for content_type in CONTENT_TYPES[1:]:
                walk.send(method, path, body=b'{"answer": "yes"}', content_type=content_type)
            for body in _field_bodies(op["fields"]):
                walk.send(method, path, body=body)
        for name in op["query"]:
            for value in QUERY_VALUES:
                raw = value if value == "%ED%A0%80" else None
                url = f"{path}?{name}={raw}" if raw else path + "?" + _encode({name: value})
                walk.send(method, url)
        if "cursor" in op["query"]:
            for cursor in _crafted_cursors(walk, path, op["query"]):
                walk.send(method, path + "?" + _encode({"cursor": cursor}))
        if "{id}" in op.get("template", ""):
            for bad in (0, BIG, 10**30):
                walk.send(method, op["template"].replace("{id}", str(bad)).replace("{item_id}", str(bad)))
    sent = sum(walk.statuses.values())
    with capsys.disabled():
        print(
            f"\nhostile API input as {role}: {len(operations)} operations, {sent} requests, "
            f"status classes {dict(sorted(walk.statuses.items()))}"
        )
    assert walk.statuses[400] > 0 and walk.statuses[500] == 0


def _encode(params: dict) -> str:
    return urlencode(params)


# --- The cases the walk found, one by one ---------------------------------------------------------


def test_a_deeply_nested_body_is_a_400_not_a_recursion_error(api, member):
    deep = "[" * 3000 + "]" * 3000  # about 6 KB
    response = api(member).generic("POST", "/api/v1/papers/", deep, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": f"JSON parse error - arrays and objects nest at most {MAX_DEPTH} deep.",
        "code": "parse_error",
        "errors": {},
    }


def test_a_body_over_the_size_limit_is_a_400_before_it_is_parsed(api, member, settings):
    body = json.dumps({"reference": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE})
    with mock.patch("json.loads") as loads:
        response = api(member).generic("POST", "/api/v1/papers/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("The body is too large")
    loads.assert_not_called()


def test_depth_counts_brackets_outside_strings_only():
    assert nesting_depth('{"a": [1, {"b": "[[[[{{{{"}], "c": "\\"]]]]"}') == 3
    assert nesting_depth("[]" * 1000) == 1
    assert nesting_depth("") == 0
    assert nesting_depth('["\\\\", [[]]]') == 3  # an escaped backslash ends before the quote


def test_the_depth_scan_stays_linear_on_unclosed_strings():
    # Quote, then escaped quotes with no end: a scan that restarted at every quote took minutes.
    started = time.perf_counter()
    assert nesting_depth('"' + '\\"' * 500_000 + "\\") == 0
    assert time.perf_counter() - started < 2


def test_a_lone_surrogate_in_a_body_is_a_400(api, member, world):
    client = api(member)
    rsvp = f"/api/v1/meetings/{world['meeting']}/rsvp/"
    response = client.generic("PUT", rsvp, '{"answer": "\\ud800"}', content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"
    # A valid pair of surrogates is one character, and fine.
    response = client.generic(
        "PATCH", "/api/v1/me/", '{"display_name": "\\ud83d\\ude00"}', content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["display_name"] == "\U0001f600"


def test_text_that_is_not_unicode_is_echoed_as_the_replacement_character():
    data = {"errors": {"answer": ['"\ud800" is not a valid choice.']}, "x\udfff": "ok"}
    assert json.loads(JSONRenderer().render(data)) == {
        "errors": {"answer": ['"\ufffd" is not a valid choice.']},
        "x\ufffd": "ok",
    }
    assert JSONRenderer().render({"fine": "é"}) == '{"fine":"é"}'.encode()


@pytest.mark.parametrize("offset", ["+20:00", "-16:00", "+01:00", ""])
@pytest.mark.parametrize("extra", [{}, {"discussed": "false"}], ids=["plain list", "filtered list"])
def test_a_cursor_with_a_time_not_in_utc_is_a_400(api, member, world, offset, extra):
    """Both ways a list is read: the plain list (on PostgreSQL, SQL written by hand, where the
    +20:00 was a DataError) and the filtered one (the ORM)."""
    params = {"ordering": "newest", **extra}
    link = api().get("/api/v1/papers/", {**params, "page_size": 1}).json()["next"]
    data = _cursor_data(link)
    data["v"][0] = "2026-01-01T00:00:00" + offset
    for client in (api(), api(member)):
        response = client.get("/api/v1/papers/", {**params, "cursor": b64(json.dumps(data).encode())})
        assert response.status_code == 400
        assert response.json()["errors"] == {"cursor": [mock.ANY]}


def test_a_cursor_nested_deep_or_too_long_is_a_400(api):
    for cursor in (b64(b"[" * 100_000), "A" * 5000):
        response = api().get("/api/v1/papers/", {"cursor": cursor})
        assert response.status_code == 400 and set(response.json()["errors"]) == {"cursor"}


def test_options_and_errors_on_the_docs_answer_in_json(api):
    for path in ("/api/v1/docs/", "/api/v1/redoc/", "/api/v1/schema/"):
        options = api().options(path)
        assert options.status_code == 200 and options["Content-Type"] == "application/json"
        refused = api().post(path)
        assert refused.status_code == 405
        assert refused.json()["code"] == "method_not_allowed"
    assert api().get("/api/v1/docs/")["Content-Type"].startswith("text/html")  # the page itself


def test_a_nul_byte_in_an_api_path_is_a_json_400(api):
    response = api().get("/api/v1/papers/%00/")
    assert response.status_code == 400
    assert response.json() == {"detail": "The request holds a NUL byte.", "code": "parse_error", "errors": {}}


def test_an_unexpected_error_in_the_api_is_a_json_500(client, settings):
    """The last resort only (nothing known reaches it): a 500 under /api/ keeps the error format."""
    client.raise_request_exception = False
    with mock.patch("members.api.MeView.get", side_effect=RuntimeError("boom")):
        from members.tests.factories import UserFactory

        client.force_login(UserFactory())
        response = client.get("/api/v1/me/")
    assert response.status_code == 500
    assert response.json() == {
        "detail": "Something went wrong on our side.",
        "code": "server_error",
        "errors": {},
    }
