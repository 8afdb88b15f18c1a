"""A suggestion's failed details in the API: metadata_state for everyone who may see the paper,
the error and its time for its suggester and the organisers only."""

import pytest

from outbox.tests.helpers import first_args
from papers import tasks
from papers.models import Paper
from papers.services import paper_metadata_failed, paper_suggest
from papers.tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed(member, monkeypatch):
    first_args(monkeypatch, tasks.fetch_paper_metadata)  # no fetch: it fails below
    paper, _ = paper_suggest(user=member, reference="2401.04088")
    paper_metadata_failed(paper_id=paper.pk, error="arXiv answered 500.")
    return Paper.objects.get(pk=paper.pk)


def test_the_suggester_sees_why_their_suggestion_failed(api, member, failed):
    body = api(member).get(f"/api/v1/papers/{failed.pk}/").json()
    assert body["metadata_state"] == "failed"
    assert body["metadata_error"] == "arXiv answered 500."
    assert body["metadata_failed_at"].startswith(str(failed.metadata_failed_at.year))


def test_organisers_see_the_error_in_the_list_and_the_detail(api, organiser, failed):
    client = api(organiser)
    (listed,) = client.get("/api/v1/papers/", {"status": "pending"}).json()["results"]
    detail = client.get(f"/api/v1/papers/{failed.pk}/").json()
    for body in (listed, detail):
        assert (body["metadata_state"], body["metadata_error"]) == ("failed", "arXiv answered 500.")


def test_others_see_the_state_alone(api, other_member, failed):
    Paper.objects.filter(pk=failed.pk).update(status=Paper.Status.LISTED)  # listed by hand
    body = api(other_member).get(f"/api/v1/papers/{failed.pk}/").json()
    assert body["metadata_state"] == "failed"
    assert "metadata_error" not in body and "metadata_failed_at" not in body
    assert "metadata_error" not in api().get(f"/api/v1/papers/{failed.pk}/").json()


def test_a_pending_suggestion_and_a_fetched_paper(api, member, monkeypatch):
    first_args(monkeypatch, tasks.fetch_paper_metadata)
    waiting, _ = paper_suggest(user=member, reference="2401.04089")
    fetched = PaperFactory()
    client = api(member)
    assert client.get(f"/api/v1/papers/{waiting.pk}/").json()["metadata_state"] == "pending"
    body = client.get(f"/api/v1/papers/{fetched.pk}/").json()
    assert body["metadata_state"] == "fetched"
    (row,) = client.get("/api/v1/papers/").json()["results"]
    assert row["metadata_state"] == "fetched" and "metadata_error" not in row  # not mine


def test_the_state_costs_no_query_per_paper(api, organiser, failed):
    PaperFactory.create_batch(3, status="pending", metadata_pending=True, metadata_error="Gone.")
    client = api(organiser)
    client.get("/api/v1/papers/")  # the first request of a client logs its token's use
    one = _queries(client, {"status": "pending", "page_size": 1})
    assert _queries(client, {"status": "pending"}) == one


def _queries(client, params: dict) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        rows = client.get("/api/v1/papers/", params).json()["results"]
    assert {row["metadata_state"] for row in rows} == {"failed"}
    return len(captured)


def test_the_schema_documents_the_state_and_marks_the_error_optional(api, member):
    schema = api(member).get("/api/v1/schema/", {"format": "json"}).json()
    paper = schema["components"]["schemas"]["Paper"]
    assert paper["properties"]["metadata_state"]["allOf"] == [
        {"$ref": "#/components/schemas/MetadataStateEnum"}
    ]
    assert schema["components"]["schemas"]["MetadataStateEnum"]["enum"] == ["fetched", "pending", "failed"]
    assert "metadata_state" in paper["required"]
    assert "metadata_error" not in paper["required"] and "metadata_failed_at" not in paper["required"]
