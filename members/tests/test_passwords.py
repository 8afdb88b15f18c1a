"""A new password ends the member's API tokens, wherever it is set; password-reset requests are
limited per address and per e-mail address, and the e-mail goes out through the outbox."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from members.services import api_token_create, user_password_set
from members.tasks import send_password_reset
from members.tests.factories import UserFactory
from outbox.models import Message

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
NEW = "a brand new long passphrase"


@pytest.fixture
def tokens(member):
    """Two API tokens of the member (say, phone and laptop), and one of someone else."""
    api_token_create(user=member), api_token_create(user=member)
    api_token_create(user=UserFactory(username="bystander"))
    return lambda user: AuthToken.objects.filter(user=user).count()


def test_setting_a_password_ends_the_member_s_api_tokens_only(member, tokens):
    assert user_password_set(user=member, password=NEW) == 2
    member.refresh_from_db()
    assert member.check_password(NEW) and tokens(member) == 0
    assert AuthToken.objects.count() == 1


def test_taking_the_password_away_ends_the_tokens_too(member, tokens):
    assert user_password_set(user=member, password=None) == 2
    member.refresh_from_db()
    assert not member.has_usable_password()


def test_changing_my_password_ends_my_tokens_and_the_page_says_so(client, member, tokens, api):
    _, token = AuthToken.objects.create(user=member)
    client.force_login(member)
    form = {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    response = client.post(reverse("password_change"), form, follow=True)
    assert "your API tokens no longer work" in response.content.decode()
    assert tokens(member) == 0
    assert api().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401


def test_a_wrong_old_password_changes_nothing(client, member, tokens):
    client.force_login(member)
    form = {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW}
    assert client.post(reverse("password_change"), form).status_code == 200
    assert tokens(member) == 2


def _reset_link(client, django_capture_on_commit_callbacks, email="member@example.org") -> str:
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": email})
    return re.search(r"http://127\.0\.0\.1:8000(/accounts/reset/\S+)", mail.outbox[-1].body).group(1)


def test_resetting_my_password_ends_my_tokens_and_the_page_says_so(
    client, member, tokens, django_capture_on_commit_callbacks
):
    form_url = client.get(_reset_link(client, django_capture_on_commit_callbacks))["Location"]
    done = client.post(form_url, {"new_password1": NEW, "new_password2": NEW}, follow=True)
    assert "your API tokens no longer work" in done.content.decode()
    assert tokens(member) == 0


def test_an_administrator_setting_a_member_s_password_ends_their_tokens(client, superuser, member, tokens):
    client.force_login(superuser)
    url = reverse("admin:auth_user_password_change", args=[member.pk])
    response = client.post(url, {"password1": NEW, "password2": NEW, "usable_password": "true"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password(NEW) and tokens(member) == 0


def test_changing_my_own_password_in_the_admin_ends_my_tokens(client, organiser):
    organiser.set_password(PASSWORD)
    organiser.save()
    api_token_create(user=organiser)
    client.force_login(organiser)
    form = {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    response = client.post(reverse("admin:password_change"), form)
    assert response.status_code == 302 and response["Location"] == reverse("admin:password_change_done")
    assert not AuthToken.objects.filter(user=organiser).exists()


def test_the_reset_e_mail_is_queued_through_the_outbox_not_sent_in_the_request(client, member):
    response = client.post(reverse("password_reset"), {"email": "MEMBER@example.org"})
    assert response.status_code == 302 and mail.outbox == []
    message = Message.objects.get(task=send_password_reset.name)
    assert message.args == [member.pk]


def test_the_queued_reset_goes_nowhere_once_the_member_is_deactivated(member):
    member.is_active = False
    member.save()
    send_password_reset(member.pk)
    assert mail.outbox == []


@pytest.fixture
def reset_rate(settings):
    settings.PASSWORD_RESET_RATE = "2/hour"


def _reset(client, email: str, address: str = "192.0.2.1"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


def test_reset_requests_are_limited_per_address_whatever_the_e_mail(client, member, reset_rate):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert _reset(client, "a@example.org").status_code == 302
        assert _reset(client, "b@example.org").status_code == 302
        refused = _reset(client, "member@example.org")
        assert refused.status_code == 429 and refused["Retry-After"] == "3600"
        assert "Too many password-reset requests" in refused.content.decode()
        assert "Try again in 60 minutes." in refused.content.decode()
        assert _reset(client, "member@example.org", address="192.0.2.2").status_code == 302
        clock.shift(timedelta(hours=1, seconds=1))
        assert _reset(client, "c@example.org").status_code == 302
    assert Message.objects.filter(task=send_password_reset.name).count() == 1


def test_reset_requests_are_limited_per_e_mail_whatever_the_address(client, member, reset_rate):
    for address in ("192.0.2.1", "192.0.2.2"):
        assert _reset(client, "Member@Example.org", address).status_code == 302
    assert _reset(client, "member@example.org", "192.0.2.3").status_code == 429
    assert Message.objects.filter(task=send_password_reset.name).count() == 2


def test_the_limit_answers_alike_for_addresses_with_and_without_an_account(client, member, reset_rate):
    pages = {}
    for email, address in (("member@example.org", "192.0.2."), ("nobody@example.org", "198.51.100.")):
        for n in range(2):
            _reset(client, email, address + str(n))
        refused = _reset(client, email, address + "9")
        pages[email] = (refused.status_code, refused.context["form"].errors)
    assert pages["member@example.org"] == pages["nobody@example.org"]
    assert pages["member@example.org"][0] == 429
