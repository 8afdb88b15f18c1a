"""My profile: preferences, the private calendar link, API tokens."""

import lxml.html
import pytest
from django.test import Client
from django.urls import reverse
from knox.models import AuthToken

from members.services import api_token_create

pytestmark = pytest.mark.django_db


def test_the_profile_needs_a_login(client):
    response = client.get(reverse("members:profile"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_member_turns_the_digest_on_and_sets_a_name(client, member):
    client.force_login(member)
    data = {
        "display_name": "Ada L.",
        "first_name": "",
        "last_name": "",
        "email": "member@example.org",
        "digest_enabled": "on",
    }
    assert client.post(reverse("members:profile"), data).status_code == 302
    member.refresh_from_db()
    assert member.digest_enabled and member.display_name == "Ada L."
    client.post(reverse("members:profile"), data | {"digest_enabled": ""})
    member.refresh_from_db()
    assert not member.digest_enabled


def test_an_email_another_member_uses_is_a_form_error(client, member, other_member):
    client.force_login(member)
    data = {"display_name": "", "email": "OTHER@example.org"}
    response = client.post(reverse("members:profile"), data)
    assert response.status_code == 400 and "email" in response.context["form"].errors
    member.refresh_from_db()
    assert member.email == "member@example.org"


def test_regenerating_the_calendar_link_replaces_the_token(client, member):
    client.force_login(member)
    old = member.calendar_token
    response = client.post(reverse("members:calendar-regenerate"))
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.calendar_token != old


def test_the_calendar_link_on_the_profile_carries_my_token(client, member):
    client.force_login(member)
    content = client.get(reverse("members:profile")).content.decode()
    calendar = reverse("meetings:member-calendar", args=[member.calendar_token])
    assert calendar in content


def test_a_new_api_token_is_shown_once_and_works(client, member):
    client.force_login(member)
    response = client.post(reverse("members:token-create"))
    token = response.context["new_token"]
    assert response.status_code == 200 and token in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert token not in client.get(reverse("members:profile")).content.decode()
    api = Client(headers={"Authorization": f"Token {token}"})
    assert api.get("/api/v1/me/").status_code == 200


def test_a_member_lists_and_revokes_only_their_own_tokens(client, member, other_member):
    mine, _ = api_token_create(user=member)
    theirs, _ = api_token_create(user=other_member)
    client.force_login(member)
    page = client.get(reverse("members:profile")).content.decode()
    assert mine.token_key in page and theirs.token_key not in page
    client.post(reverse("members:token-revoke", args=[theirs.token_key]))
    assert AuthToken.objects.filter(pk=theirs.pk).exists()
    client.post(reverse("members:token-revoke", args=[mine.token_key]))
    assert not AuthToken.objects.filter(pk=mine.pk).exists()


def test_token_actions_need_post_and_csrf(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert client.get(reverse("members:token-create")).status_code == 405
    assert client.post(reverse("members:token-create")).status_code == 403
    assert not AuthToken.objects.exists()


def test_the_profile_runs_a_bounded_number_of_queries(client, member, django_assert_num_queries):
    for _ in range(5):
        api_token_create(user=member)
    client.force_login(member)
    # session, user, notification preferences, tokens, discussion e-mails on or off
    with django_assert_num_queries(5):
        client.get(reverse("members:profile"))


def test_a_member_turns_session_reminders_off_and_keeps_the_other_notices(client, member):
    from meetings.selectors import notification_preference_get

    client.force_login(member)
    page = client.get(reverse("members:profile")).content.decode()
    assert 'name="notify-reminders"' in page and "checked" in page
    data = {"email": "member@example.org", "notify-presenter_notices": "on", "notify-seat_notices": "on"}
    assert client.post(reverse("members:profile"), data).status_code == 302
    preference = notification_preference_get(user=member)
    assert (preference.reminders, preference.presenter_notices, preference.seat_notices) == (
        False,
        True,
        True,
    )


def test_the_private_calendar_is_a_copyable_link_with_a_webcal_twin(client, member):
    client.force_login(member)
    page = lxml.html.fromstring(client.get(reverse("members:profile")).content)
    address = page.get_element_by_id("calendar-url")
    https = f"http://testserver/meetings/calendar/{member.calendar_token}.ics"
    assert address.tag == "input" and address.get("readonly") is not None and address.value == https
    # The copy button needs JavaScript: it stays hidden until the site's script shows it.
    (button,) = page.xpath("//button[@data-copy='calendar-url']")
    assert button.get("hidden") is not None and button.get("type") == "button"
    assert page.xpath("//script[contains(@src, 'js/copy')]")
    links = {a.get("href") for a in page.iterfind(".//section[@id='calendar-section']//a")}
    assert {https, https.replace("http://", "webcal://")} <= links
