"""Schemathesis against the live schema: every operation, authenticated, through the real WSGI app.

Generated requests go through Django's whole stack in-process (middleware included),
inside the test's database transaction, so they see the data made here. A response
fails the test when it is a 5xx or does not match the schema (status code, content
type, headers, body). Path ids are steered to existing rows most of the time, so the
success responses of every operation are checked too, not only 404s.
"""

import json
from contextlib import contextmanager
from unittest import mock

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from knox.models import AuthToken
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

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
EXAMPLES = 25
# Valid bodies mixed into the generated ones, so success paths are checked too.
VALID_BODIES = {
    "auth_login": {"username": "member", "password": "correct horse battery staple"},
    "papers_suggest": {"reference": "2401.01234"},
    "meetings_rsvp_set": {"answer": "maybe"},
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
    return {"paper": papers[1].pk, "meeting": meeting.pk, "item": items[1].pk}


def _live_schema():
    response = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return schemathesis.openapi.from_dict(json.loads(response.content))


def _steer(case, world: dict) -> None:
    """Two generated ids in three become ids of existing rows."""
    params = case.path_parameters or {}
    for name, known in (("id", "meeting" if "/meetings/" in case.path else "paper"), ("item_id", "item")):
        value = params.get(name)
        if isinstance(value, int) and value % 3:
            params[name] = world[known]


@pytest.mark.parametrize("role", ["member", "organiser"])
def test_every_operation_conforms_to_the_schema(role, world, request, settings_override):
    user = request.getfixturevalue(role)
    app = get_wsgi_application()
    schema = _live_schema()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 16

    for operation in operations:
        strategy = operation.as_strategy()
        if operation.definition.raw["operationId"] in VALID_BODIES:
            body = VALID_BODIES[operation.definition.raw["operationId"]]
            strategy = st.one_of(strategy, operation.as_strategy(body=body, media_type="application/json"))

        @given(case=strategy)
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def run(case) -> None:
            _steer(case, world)
            _, token = AuthToken.objects.create(user=user)  # logout/logoutall end earlier tokens
            case.call_and_validate(app=app, headers={"Authorization": f"Token {token}"}, checks=CHECKS)

        with kept_connection():
            run()


@pytest.fixture
def settings_override(settings):
    """No throttling and no outgoing metadata fetches while fuzzing."""
    rates = dict.fromkeys(("anon", "user", "login"), "100000/minute")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    with mock.patch("papers.tasks.fetch_paper_metadata.delay_on_commit"):
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
