"""Tokens: login, use, expiry, logout, logout everywhere; who may read what."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from members.tests.factories import UserFactory

LOGIN = "/api/v1/auth/login/"
PASSWORD = "correct horse battery staple"
pytestmark = pytest.mark.django_db


def _login(client: APIClient, username: str = "member", password: str = PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password}, format="json")


def test_it_trades_a_username_and_password_for_a_token(member):
    response = _login(APIClient())
    assert response.status_code == 200
    assert set(response.json()) == {"token", "expiry"}
    client = APIClient(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    me = client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["username"] == "member"


def test_the_token_expires_after_the_configured_lifetime(member, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": timedelta(days=2)}
    with time_machine.travel(timezone.now(), tick=False) as clock:
        body = _login(APIClient()).json()
        client = APIClient(HTTP_AUTHORIZATION=f"Token {body['token']}")
        clock.shift(timedelta(days=1, hours=23))
        assert client.get("/api/v1/me/").status_code == 200
        clock.shift(timedelta(hours=2))
        response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert not AuthToken.objects.filter(user=member).exists()  # the expired token is gone


def test_a_bad_password_is_a_400_that_creates_no_token(member):
    response = _login(APIClient(), password="wrong")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "non_field_errors": ["Unable to log in with this username and password."]
    }
    assert not AuthToken.objects.exists()


def test_an_inactive_member_cannot_log_in():
    UserFactory(username="gone", is_active=False)
    assert _login(APIClient(), username="gone").status_code == 400


def test_login_names_the_missing_fields():
    response = APIClient().post(LOGIN, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"username", "password"}


def test_logout_ends_only_the_token_it_was_sent_with(member):
    phone, tablet = (
        APIClient(HTTP_AUTHORIZATION=f"Token {_login(APIClient()).json()['token']}") for _ in "ab"
    )
    assert phone.post("/api/v1/auth/logout/").status_code == 204
    assert phone.get("/api/v1/me/").status_code == 401
    assert tablet.get("/api/v1/me/").status_code == 200


def test_logoutall_ends_every_token_of_the_member_and_no_one_elses(member, other_member):
    phone, tablet = (
        APIClient(HTTP_AUTHORIZATION=f"Token {_login(APIClient()).json()['token']}") for _ in "ab"
    )
    other = APIClient(HTTP_AUTHORIZATION=f"Token {_login(APIClient(), username='other').json()['token']}")
    assert phone.post("/api/v1/auth/logoutall/").status_code == 204
    assert phone.get("/api/v1/me/").status_code == 401
    assert tablet.get("/api/v1/me/").status_code == 401
    assert other.get("/api/v1/me/").status_code == 200


def test_login_sweeps_the_members_expired_tokens(member):
    with time_machine.travel(timezone.now() - timedelta(days=365)):
        AuthToken.objects.create(user=member)
    _login(APIClient())
    assert AuthToken.objects.filter(user=member).count() == 1


def test_logout_needs_a_token(member):
    response = APIClient().post("/api/v1/auth/logout/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(
    "header",
    [
        "Token not-a-token",
        "Token " + "a" * 64,
        "Token " + "é" * 64,
        "Token a b",
        "Token",
        "Token " + "0" * 63 + "\x00",
    ],
)
def test_malformed_or_unknown_tokens_are_a_401(member, header):
    response = APIClient(HTTP_AUTHORIZATION=header).get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_deactivated_members_token_stops_working(member, api):
    client = api(member)
    member.is_active = False
    member.save()
    assert client.get("/api/v1/me/").status_code == 401


def test_session_login_works_for_the_browsable_api(member):
    client = APIClient()
    client.force_login(member)
    response = client.get("/api/v1/papers/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"Paper" in response.content


def test_session_writes_need_the_csrf_token(member):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.patch("/api/v1/me/", {"display_name": "X"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_anonymous_clients_read_only_while_the_site_is_public(settings, db):
    settings.SITE_PUBLIC = True
    assert APIClient().get("/api/v1/papers/").status_code == 200
    assert APIClient().get("/api/v1/meetings/").status_code == 200
    settings.SITE_PUBLIC = False
    for path in ("/api/v1/papers/", "/api/v1/meetings/", "/api/v1/tags/"):
        response = APIClient().get(path)
        assert response.status_code == 401, path
        assert response.json()["code"] == "not_authenticated"


def test_members_read_a_private_site(settings, member, api):
    settings.SITE_PUBLIC = False
    assert api(member).get("/api/v1/papers/").status_code == 200


def test_anonymous_clients_never_write_even_on_a_public_site(settings, db):
    settings.SITE_PUBLIC = True
    response = APIClient().put("/api/v1/papers/1/vote/")
    assert response.status_code == 401
    assert APIClient().get("/api/v1/me/").status_code == 401


def test_a_lockout_by_django_axes_is_a_json_429(member, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 2
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "login": "100/minute",
        },
    }
    client = APIClient()
    assert _login(client, password="wrong").status_code == 400
    assert _login(client, password="wrong").status_code == 429  # the second failure locks out
    response = _login(client)  # the right password, but locked out
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": response.json()["detail"],
        "code": "throttled",
        "errors": {},
        "retry_after": 30 * 60,
    }
    assert int(response["Retry-After"]) > 0
    assert not AuthToken.objects.exists()
