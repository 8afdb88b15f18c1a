"""Every API error has one JSON body: {"detail", "code", "errors"} (and "retry_after" on 429)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from rest_framework import exceptions

from readinggroup.rest.errors import error_body, flatten_errors

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def test_unknown_api_paths_are_a_json_404(api, member):
    for client in (api(), api(member)):
        response = client.get("/api/v1/no/such/thing/")
        assert response.status_code == 404
        assert response.json() == {
            "detail": "No such API endpoint. See /api/v1/docs/.",
            "code": "not_found",
            "errors": {},
        }


def test_writes_to_unknown_api_paths_are_a_json_404_not_a_csrf_page():
    from rest_framework.test import APIClient

    response = APIClient(enforce_csrf_checks=True).put("/api/v1/meetings/1/agenda/not-a-number/offer/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_405_says_which_methods_are_allowed(api, member):
    response = api(member).delete("/api/v1/me/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert "PATCH" in response["Allow"]


def test_validation_errors_name_every_field(api, member):
    response = api(member).patch("/api/v1/me/", {"display_name": "x" * 151, "digest_enabled": "sometimes"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["errors"]) == {"display_name", "digest_enabled"}
    assert body["detail"] == "Invalid input: digest_enabled, display_name."


def test_nested_errors_are_flattened_with_dots():
    nested = {"authors": [{}, {"name": ["Required."]}], "non_field_errors": ["Bad."]}
    assert flatten_errors(nested) == {"authors.1.name": ["Required."], "non_field_errors": ["Bad."]}


def test_service_validation_errors_become_field_errors():
    error = exceptions.ValidationError({"answer": ["Answer one of: yes, no, maybe."]})
    assert error_body(error)["errors"] == {"answer": ["Answer one of: yes, no, maybe."]}
    from readinggroup.rest.errors import exception_handler

    response = exception_handler(ValidationError("Closed."), {})
    assert response.status_code == 400
    assert response.data == {
        "detail": "Closed.",
        "code": "invalid",
        "errors": {"non_field_errors": ["Closed."]},
    }


def test_cors_is_off_by_default_and_configurable(api, settings):
    preflight = {"HTTP_ORIGIN": "https://app.example.org", "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "GET"}
    response = api().options("/api/v1/papers/", **preflight)
    assert "Access-Control-Allow-Origin" not in response
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.org"]
    response = api().get("/api/v1/papers/", HTTP_ORIGIN="https://app.example.org")
    assert response["Access-Control-Allow-Origin"] == "https://app.example.org"
    assert "ETag" in response["Access-Control-Expose-Headers"]
    # Only the API: web pages never answer other origins.
    assert "Access-Control-Allow-Origin" not in api().get("/", HTTP_ORIGIN="https://app.example.org")


def test_a_bad_throttle_rate_in_the_environment_stops_the_site():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "readinggroup.settings",
        "API_THROTTLE_LOGIN": "5 per minute",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "API_THROTTLE_LOGIN" in result.stderr
