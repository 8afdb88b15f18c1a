"""Log in and out, password change and reset, and login rate limiting with django-axes."""

import re

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.urls import reverse

from members.lockout import client_ip

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


@pytest.fixture
def axes_on(settings):
    """The test settings turn axes off for the test client's login(); these tests need it."""
    settings.AXES_ENABLED = True
    return settings


def _login(client, username="member", password=PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_a_member_logs_in_and_out(client, member, axes_on):
    response = _login(client)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("members:profile")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("members:profile")).status_code == 302


def test_log_in_never_redirects_off_the_site(client, member, axes_on):
    response = client.post(
        reverse("login") + "?next=https://evil.example.com/",
        {"username": "member", "password": PASSWORD, "next": "https://evil.example.com/"},
    )
    assert response["Location"] == reverse("home")


def test_a_wrong_password_is_a_form_error(client, member, axes_on):
    response = _login(client, password="wrong")
    assert response.status_code == 200 and response.context["form"].errors


def test_five_failures_lock_the_username_and_address_for_30_minutes(client, member, axes_on):
    for _ in range(4):
        assert _login(client, password="wrong").status_code == 200
    locked = _login(client, password="wrong")
    assert locked.status_code == 429
    assert "blocked for 30 minutes" in locked.content.decode()
    assert locked["Retry-After"] == "1800"
    # Even the right password is refused while locked out...
    assert _login(client).status_code == 429
    # ...but the same username from another address, and another username, still work.
    assert _login(client, REMOTE_ADDR="10.0.0.9").status_code == 302
    assert AccessAttempt.objects.filter(username="member", ip_address="127.0.0.1").exists()


def test_the_lockout_ends_after_30_minutes(client, member, axes_on, time_machine):
    time_machine.move_to("2026-03-01 12:00Z", tick=False)
    for _ in range(5):
        _login(client, password="wrong")
    assert _login(client).status_code == 429
    time_machine.move_to("2026-03-01 12:31Z", tick=False)
    assert _login(client).status_code == 302


def test_the_api_login_still_works_with_axes_and_reports_a_lockout_as_json(client, member, axes_on):
    url = "/api/v1/auth/login/"
    for _ in range(5):
        last = client.post(url, {"username": "member", "password": "x"}, content_type="application/json")
    assert last.status_code == 429
    assert "blocked for 30 minutes" in last.json()["detail"]
    response = client.post(
        url,
        {"username": "member", "password": PASSWORD},
        content_type="application/json",
        REMOTE_ADDR="10.0.0.5",
    )
    assert response.status_code == 200 and response.json()["token"]


def test_behind_a_trusted_proxy_the_forwarded_address_counts(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7", REMOTE_ADDR="10.0.0.1")
    assert client_ip(request) == "203.0.113.7"
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.1"


def test_a_member_changes_their_password(client, member):
    client.force_login(member)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a new long passphrase",
            "new_password2": "a new long passphrase",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password("a new long passphrase")


def test_a_member_resets_a_forgotten_password_by_email(client, member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the e-mail goes out from a task
        response = client.post(reverse("password_reset"), {"email": "member@example.org"})
    assert response.status_code == 302 and len(mail.outbox) == 1
    link = re.search(r"http://127\.0\.0\.1:8000(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]  # Django swaps the token for a session key
    page = client.get(form_url)
    assert page.status_code == 200 and page.context["validlink"]
    done = client.post(
        form_url, {"new_password1": "another long passphrase", "new_password2": "another long passphrase"}
    )
    assert done.status_code == 302
    member.refresh_from_db()
    assert member.check_password("another long passphrase")


def test_a_used_reset_link_says_so(client):
    response = client.get(reverse("password_reset_confirm", args=["MQ", "bad-token"]))
    assert response.status_code == 200 and b"cannot be used" in response.content


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, member):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302 and mail.outbox == []
