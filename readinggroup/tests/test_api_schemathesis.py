"""Schemathesis against the live schema: every operation, authenticated, through the real WSGI app.

Generated requests go through Django's whole stack in-process (middleware included),
inside the test's database transaction, so they see the data made here; each one runs in a
savepoint that is rolled back, so every request starts from the same data (a logout or an
account deletion does not spoil the next one). A response fails the test when it is a 5xx
or does not match the schema (status code, content type, headers, body). Path ids are
steered to existing rows most of the time, so the success responses of every operation are
checked too, not only 404s. Strings may contain NUL bytes (generation allow_x00).

Every operation gets EXAMPLES valid examples as a member and as an organiser, and EXAMPLES
invalid ones (negative mode) as a member, derandomized (a fixed seed: the same requests on
every run, so CI is repeatable); the figures docs/reliability.md quotes are printed (`pytest -s`).
"""

import json
from collections import Counter
from contextlib import contextmanager
from unittest import mock

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from knox.models import AuthToken
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from discussions.services import comment_create
from meetings.tests.factories import AgendaItemFactory, MeetingFactory, RSVPFactory
from papers.services import paper_vote_set
from papers.tests.factories import PaperFactory, SourceFactory, TagFactory

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 100
# Every operation's run: EXAMPLES cases, a fixed seed (reproducible), no example database.
FUZZING = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
OPERATIONS = 43
PASSWORD = "correct horse battery staple"
# Valid bodies mixed into the generated ones, so success paths are checked too.
VALID_BODIES = {
    "auth_login": {"username": "member", "password": PASSWORD},
    "papers_suggest": {"reference": "2401.01234"},
    "meetings_rsvp_set": {"answer": "maybe"},
    "me_update": {"display_name": "Renamed", "digest_enabled": True, "notifications": {"reminders": False}},
    "me_delete": {"password": PASSWORD},
    "papers_comments_create": {"body": "A comment with $x^2$"},
    "meetings_comments_create": {"body": "See you there"},
    "comments_edit": {"body": "Edited"},
}
pytestmark = [pytest.mark.django_db]


@pytest.fixture
def world(member, other_member):
    """A little of everything, so generated requests find papers, tags and sessions."""
    tag = TagFactory(name="cs.LG", kind="category")
    papers = [PaperFactory(tags=[tag], source=SourceFactory(), keywords=["one", "two"]) for _ in range(3)]
    PaperFactory(status="pending", submitted_by=member)
    paper_vote_set(user=other_member, paper_id=papers[0].pk, voted=True)
    meeting = MeetingFactory(notes="*Notes*", capacity=3)
    items = [
        AgendaItemFactory(meeting=meeting, paper=p, presenter=other_member if not n else None)
        for n, p in enumerate(papers)
    ]
    RSVPFactory(meeting=meeting, user=other_member)
    comment = comment_create(author=member, target=papers[1], body="A comment by the member")
    comment_create(author=other_member, target=meeting, body="A comment on the session")
    return {
        "paper": papers[1].pk,
        "meeting": meeting.pk,
        "item": items[1].pk,
        "comment": comment.pk,
        "tag": tag.slug,
    }


def _live_schema():
    response = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = schemathesis.openapi.from_dict(json.loads(response.content))
    schema.config.generation.update(allow_x00=True)  # the default, said out loud: NUL bytes in strings
    return schema


def _has_nul(case) -> bool:
    parts = (case.path_parameters, case.query, case.headers, case.body)
    return "\\u0000" in json.dumps(parts, default=str) or any("\x00" in str(p) for p in parts)


def _steer(case, world: dict, token_key: str = "") -> None:
    """Two generated ids in three become ids of existing rows (and token keys the key of a token)."""
    params = case.path_parameters or {}
    if "token_key" in params and len(str(params["token_key"])) % 3:
        params["token_key"] = token_key
    if "slug" in params and len(str(params["slug"])) % 3:
        params["slug"] = world["tag"]
    kind = "comment" if "/comments/{id}" in case.path else "meeting" if "/meetings/" in case.path else "paper"
    for name, known in (("id", kind), ("item_id", "item")):
        value = params.get(name)
        if isinstance(value, int) and value % 3:
            params[name] = world[known]


@pytest.mark.parametrize("role", ["member", "organiser"])
def test_every_operation_conforms_to_the_schema(role, world, request, settings_override):
    user = request.getfixturevalue(role)
    app = get_wsgi_application()
    schema = _live_schema()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == OPERATIONS
    examples: Counter = Counter()
    statuses: Counter = Counter()
    with_nul = 0

    for operation in operations:
        operation_id = operation.definition.raw["operationId"]
        strategy = operation.as_strategy()
        if operation_id in VALID_BODIES:
            body = VALID_BODIES[operation_id]
            strategy = st.one_of(strategy, operation.as_strategy(body=body, media_type="application/json"))

        @given(case=strategy)
        @FUZZING
        def run(case) -> None:
            nonlocal with_nul
            examples[case.operation.definition.raw["operationId"]] += 1
            with transaction.atomic():
                instance, token = AuthToken.objects.create(user=user)
                _steer(case, world, instance.token_key)
                with_nul += _has_nul(case)
                response = case.call_and_validate(
                    app=app, headers={"Authorization": f"Token {token}"}, checks=CHECKS
                )
                statuses[response.status_code // 100 * 100] += 1
                transaction.set_rollback(True)

        with kept_connection():
            run()

    print(
        f"\nRELIABILITY schemathesis as {role}: {len(operations)} operations, "
        f"{sum(examples.values())} requests, "
        f"fewest examples {min(examples.values())} ({min(examples, key=examples.get)}), "
        f"{with_nul} with a NUL byte, status classes {dict(sorted(statuses.items()))}, 0 failures"
    )
    assert set(examples) == {op.definition.raw["operationId"] for op in operations}
    assert min(examples.values()) >= EXAMPLES, examples
    assert with_nul > 0 and statuses[500] == 0


def test_invalid_requests_are_refused_in_the_documented_format(member, world, settings_override):
    """Negative mode: inputs that break the schema (wrong types, out-of-range ids, odd paths,
    missing fields) must get a documented 4xx in the error format, never a 5xx or HTML."""
    app = get_wsgi_application()
    operations = [result.ok() for result in _live_schema().get_all_operations()]
    examples: Counter = Counter()
    no_invalid_input = []
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
        @FUZZING
        def run(case) -> None:
            _steer(case, world)
            examples[case.operation.definition.raw["operationId"]] += 1
            with transaction.atomic():
                _, token = AuthToken.objects.create(user=member)
                case.call_and_validate(app=app, headers={"Authorization": f"Token {token}"}, checks=CHECKS)
                transaction.set_rollback(True)

        with kept_connection():
            try:
                run()
            except Unsatisfiable:  # nothing to get wrong: no parameters and no body
                no_invalid_input.append(operation.definition.raw["operationId"])
    print(
        "\nRELIABILITY schemathesis negative as member: "
        f"{len(operations) - len(no_invalid_input)} operations, "
        f"{sum(examples.values())} requests, 0 failures; no invalid input possible: {no_invalid_input}"
    )
    assert set(no_invalid_input) <= {
        "me_retrieve",
        "me_export",
        "me_tokens_list",
        "me_tokens_revoke",  # any token_key is well-formed: an unknown one is a 404
        "tags_follow_retrieve",  # likewise any slug (and these take no body or query)
        "tags_follow",
        "tags_unfollow",
        "auth_logout",
        "auth_logout_all",
        "discussions_unread",
    }
    assert all(examples[op] >= EXAMPLES for op in set(examples) - set(no_invalid_input))


@pytest.fixture
def settings_override(settings):
    """No throttling and no outgoing metadata fetches while fuzzing."""
    rates = dict.fromkeys(("anon", "user", "login"), "100000/minute")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    # However the task is queued, it runs in-process in tests: stop it at the network.
    with mock.patch("papers.tasks.paper_fetch_metadata", return_value=False):
        yield


@contextmanager
def kept_connection():
    """Keep the database connection open between WSGI requests, as Django's test client does
    (the test's transaction lives on it); the test client reconnects the closer after each of
    its own requests, so this wraps only the generated ones."""
    request_signals = (signals.request_started, signals.request_finished)
    for signal in request_signals:
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in request_signals:
            signal.connect(close_old_connections)


def test_nul_bytes_anywhere_are_a_400_never_a_500(api, member, world):
    client = api(member)
    assert client.get("/api/v1/papers/", {"q": "a\x00b"}).status_code == 400
    assert client.get("/api/v1/papers/", {"cursor": "\x00"}).status_code == 400
    assert client.post("/api/v1/papers/", {"reference": "\x00"}, format="json").status_code == 400
    assert client.patch("/api/v1/me/", {"display_name": "\x00"}, format="json").status_code == 400
    assert (
        client.put(
            f"/api/v1/meetings/{world['meeting']}/rsvp/", {"answer": "\x00"}, format="json"
        ).status_code
        == 400
    )
    login = APIClient().post("/api/v1/auth/login/", {"username": "a\x00", "password": "b\x00"}, format="json")
    assert login.status_code == 400
    assert set(login.json()["errors"]) == {"username", "password"}


def test_an_unknown_path_with_a_line_break_is_a_json_404(api, member):
    # Found by the negative run: "." in the catch-all route did not match a line break,
    # so such paths fell through to the site's HTML 404 page.
    response = api(member).put("/api/v1/meetings/%0A/agenda/1.5/offer/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"
