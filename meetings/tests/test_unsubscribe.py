from datetime import timedelta

import pytest
import time_machine as tm
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from meetings.models import NotificationPreference
from meetings.notifications import UNSUBSCRIBE_SALT, unsubscribe_token
from meetings.selectors import notification_preference_get
from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _url(token: str) -> str:
    return reverse("meetings:unsubscribe", args=[token])


def test_opening_the_link_asks_before_changing_anything(client):
    reader = UserFactory(username="reader", digest_enabled=True)
    response = client.get(_url(unsubscribe_token(user=reader, kind="digest")))
    assert response.status_code == 200
    assert b"Stop sending the <strong>weekly digest</strong>" in response.content
    reader.refresh_from_db()
    assert reader.digest_enabled is True


def test_the_button_unsubscribes_without_logging_in(client):
    reader = UserFactory(username="reader", digest_enabled=True)
    response = client.post(_url(unsubscribe_token(user=reader, kind="digest")))
    assert response.status_code == 200
    assert b"will no longer receive the weekly digest" in response.content
    reader.refresh_from_db()
    assert reader.digest_enabled is False


@pytest.mark.parametrize(
    ("kind", "field"),
    [("reminder", "reminders"), ("presenter", "presenter_notices"), ("seat", "seat_notices")],
)
def test_each_session_notice_can_be_turned_off(client, kind, field):
    member = UserFactory(username="m")
    client.post(_url(unsubscribe_token(user=member, kind=kind)))
    preference = notification_preference_get(user=member)
    assert getattr(preference, field) is False
    others = {"reminders", "presenter_notices", "seat_notices"} - {field}
    assert all(getattr(preference, name) for name in others)


def test_the_post_needs_no_csrf_token_as_mail_programs_send_none():
    from django.test import Client

    reader = UserFactory(username="reader", digest_enabled=True)
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        _url(unsubscribe_token(user=reader, kind="digest")), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    reader.refresh_from_db()
    assert reader.digest_enabled is False


def test_a_tampered_link_is_not_found_and_changes_nothing(client):
    reader = UserFactory(username="reader", digest_enabled=True)
    token = unsubscribe_token(user=reader, kind="digest")
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    assert client.post(_url(tampered)).status_code == 404
    # A validly signed token for another purpose is no unsubscribe token either.
    other = signing.dumps({"u": reader.pk, "k": "everything"}, salt=UNSUBSCRIBE_SALT)
    assert client.post(_url(other)).status_code == 404
    assert client.post(_url("not-a-token")).status_code == 404
    reader.refresh_from_db()
    assert reader.digest_enabled is True


def test_an_expired_link_is_refused_with_a_message_and_changes_nothing(client, settings):
    settings.UNSUBSCRIBE_MAX_AGE_DAYS = 30
    reader = UserFactory(username="reader", digest_enabled=True)
    with tm.travel(timezone.now() - timedelta(days=31), tick=False):
        token = unsubscribe_token(user=reader, kind="digest")
    response = client.post(_url(token))
    assert response.status_code == 403
    assert b"This unsubscribe link has expired" in response.content
    reader.refresh_from_db()
    assert reader.digest_enabled is True


def test_a_link_of_a_deactivated_member_is_not_found(client):
    gone = UserFactory(username="gone", is_active=False)
    assert client.post(_url(unsubscribe_token(user=gone, kind="reminder"))).status_code == 404
    assert not NotificationPreference.objects.exists()


def test_other_methods_are_refused(client):
    reader = UserFactory(username="reader")
    assert client.put(_url(unsubscribe_token(user=reader, kind="digest"))).status_code == 405
