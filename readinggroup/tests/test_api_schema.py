"""The OpenAPI schema: valid, complete enough to generate a client, and served with local docs."""

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("post", "/api/v1/auth/login/"): "auth_login",
    ("post", "/api/v1/auth/logout/"): "auth_logout",
    ("post", "/api/v1/auth/logoutall/"): "auth_logout_all",
    ("get", "/api/v1/me/"): "me_retrieve",
    ("patch", "/api/v1/me/"): "me_update",
    ("get", "/api/v1/me/export/"): "me_export",
    ("post", "/api/v1/me/delete/"): "me_delete",
    ("get", "/api/v1/me/tokens/"): "me_tokens_list",
    ("delete", "/api/v1/me/tokens/{token_key}/"): "me_tokens_revoke",
    ("get", "/api/v1/papers/deleted/"): "papers_deleted",
    ("get", "/api/v1/papers/"): "papers_list",
    ("post", "/api/v1/papers/"): "papers_suggest",
    ("get", "/api/v1/papers/{id}/"): "papers_retrieve",
    ("get", "/api/v1/papers/{id}/related/"): "papers_related",
    ("put", "/api/v1/papers/{id}/vote/"): "papers_vote_set",
    ("delete", "/api/v1/papers/{id}/vote/"): "papers_vote_remove",
    ("post", "/api/v1/papers/{id}/dismiss/"): "papers_dismiss",
    ("delete", "/api/v1/papers/{id}/dismiss/"): "papers_dismiss_undo",
    ("get", "/api/v1/tags/"): "tags_list",
    ("get", "/api/v1/tags/{slug}/follow/"): "tags_follow_retrieve",
    ("put", "/api/v1/tags/{slug}/follow/"): "tags_follow",
    ("delete", "/api/v1/tags/{slug}/follow/"): "tags_unfollow",
    ("get", "/api/v1/meetings/"): "meetings_list",
    ("get", "/api/v1/meetings/{id}/"): "meetings_retrieve",
    ("put", "/api/v1/meetings/{id}/rsvp/"): "meetings_rsvp_set",
    ("put", "/api/v1/meetings/{id}/agenda/{item_id}/offer/"): "meetings_offer_set",
    ("delete", "/api/v1/meetings/{id}/agenda/{item_id}/offer/"): "meetings_offer_withdraw",
    ("get", "/api/v1/papers/{id}/comments/"): "papers_comments_list",
    ("post", "/api/v1/papers/{id}/comments/"): "papers_comments_create",
    ("get", "/api/v1/meetings/{id}/comments/"): "meetings_comments_list",
    ("post", "/api/v1/meetings/{id}/comments/"): "meetings_comments_create",
    ("get", "/api/v1/comments/{id}/"): "comments_retrieve",
    ("patch", "/api/v1/comments/{id}/"): "comments_edit",
    ("delete", "/api/v1/comments/{id}/"): "comments_delete",
    ("put", "/api/v1/comments/{id}/hidden/"): "comments_hide",
    ("delete", "/api/v1/comments/{id}/hidden/"): "comments_unhide",
    ("get", "/api/v1/papers/{id}/subscription/"): "papers_subscription_retrieve",
    ("put", "/api/v1/papers/{id}/subscription/"): "papers_subscribe",
    ("delete", "/api/v1/papers/{id}/subscription/"): "papers_unsubscribe",
    ("get", "/api/v1/meetings/{id}/subscription/"): "meetings_subscription_retrieve",
    ("put", "/api/v1/meetings/{id}/subscription/"): "meetings_subscribe",
    ("delete", "/api/v1/meetings/{id}/subscription/"): "meetings_unsubscribe",
    ("get", "/api/v1/discussions/unread/"): "discussions_unread",
}


@pytest.fixture(scope="module")
def schema() -> dict:
    from rest_framework.test import APIClient

    response = APIClient().get("/api/v1/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def test_spectacular_validates_the_schema_without_warnings(tmp_path):
    """`manage.py spectacular --validate --fail-on-warn` exits non-zero on any warning or error."""
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert yaml.safe_load(target.read_text())["info"]["version"] == "1.0.0"


@pytest.mark.usefixtures("db")
def test_every_operation_has_its_stable_operation_id(schema):
    found = {(method, path): op["operationId"] for method, path, op in _operations(schema)}
    assert found == OPERATIONS


@pytest.mark.usefixtures("db")
def test_every_operation_documents_its_errors_with_the_error_body(schema):
    for method, path, operation in _operations(schema):
        responses = operation["responses"]
        for code in ("401", "403", "405", "429"):
            assert code in responses, (method, path, code)
        if "{" in path:
            assert "404" in responses, (method, path)
        if "requestBody" in operation or operation.get("parameters"):
            assert "400" in responses or all(p["in"] in ("path", "header") for p in operation["parameters"])
        for code, response in responses.items():
            if code.startswith(("4", "5")):
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref in ("#/components/schemas/Error", "#/components/schemas/ThrottledError")
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"detail", "code", "errors"}


@pytest.mark.usefixtures("db")
def test_conflicts_are_documented_where_they_happen(schema):
    conflicting = {op["operationId"] for _, _, op in _operations(schema) if "409" in op["responses"]}
    assert conflicting == {
        "papers_suggest",
        "meetings_rsvp_set",
        "meetings_offer_set",
        "meetings_offer_withdraw",
    }


@pytest.mark.usefixtures("db")
def test_lists_and_details_document_conditional_get(schema):
    for path in ("/api/v1/papers/", "/api/v1/papers/{id}/", "/api/v1/meetings/", "/api/v1/meetings/{id}/"):
        operation = schema["paths"][path]["get"]
        assert "304" in operation["responses"]
        assert {"If-None-Match", "If-Modified-Since"} <= {p["name"] for p in operation["parameters"]}
        assert "ETag" in operation["responses"]["200"]["headers"]


@pytest.mark.usefixtures("db")
def test_organiser_only_fields_are_optional_in_the_schema(schema):
    paper = schema["components"]["schemas"]["Paper"]
    assert {"status", "submitted_by"} <= set(paper["properties"])
    assert not {"status", "submitted_by"} & set(paper["required"])


@pytest.mark.usefixtures("db")
def test_no_schema_component_offers_another_members_email(schema):
    for name, component in schema["components"]["schemas"].items():
        # My own address, and in my data export an address I invited until someone accepts it.
        if name not in ("Me", "PatchedMeRequest", "ExportProfile", "ExportInvitationSent"):
            assert "email" not in component.get("properties", {}), name


def test_the_docs_pages_load_their_assets_from_this_site(client):
    for path in ("/api/v1/docs/", "/api/v1/redoc/"):
        page = client.get(path)
        assert page.status_code == 200
        html = page.content.decode()
        assert "/static/drf_spectacular_sidecar/" in html, path
        assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html, path
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert "/api/v1/schema/" in script.content.decode()
