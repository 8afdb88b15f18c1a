"""Fixtures shared by every app's tests."""

import os

import pytest
from django.conf import settings
from django.core.cache import cache

from members.tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _postgres_only(request):
    """Tests marked `postgres` skip on SQLite, but fail under CI=true, where they must run."""
    if request.node.get_closest_marker("postgres") is None or settings.IS_POSTGRES:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true and this test needs PostgreSQL: set DATABASE_URL=postgres://…")
    pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://…)")


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def member(db):
    return UserFactory(username="member")


@pytest.fixture
def other_member(db):
    return UserFactory(username="other")


@pytest.fixture
def organiser(db):
    return UserFactory(username="organiser", role="organiser")


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def api(db):
    """api(user) is a REST API client sending that member's token; api() is anonymous."""
    from knox.models import AuthToken
    from rest_framework.test import APIClient

    def client_for(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            _, token = AuthToken.objects.create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client

    return client_for
