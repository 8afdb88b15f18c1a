"""GET / PATCH /api/v1/me/: my profile and preferences; the only place my e-mail appears."""

import pytest

pytestmark = pytest.mark.django_db
ME = "/api/v1/me/"


def test_i_read_my_own_profile_with_my_email(api, member):
    body = api(member).get(ME).json()
    assert body == {
        "id": member.pk,
        "username": "member",
        "email": "member@example.org",
        "name": member.public_name,
        "display_name": member.display_name,
        "role": "member",
        "digest_enabled": False,
        "notifications": {"reminders": True, "presenter_notices": True, "seat_notices": True},
        "calendar_url": f"http://127.0.0.1:8000/meetings/calendar/{member.calendar_token}.ics",
        "unread_comments": 0,
        "date_joined": body["date_joined"],
    }


def test_organisers_see_their_role(api, organiser):
    assert api(organiser).get(ME).json()["role"] == "organiser"


def test_i_change_my_display_name_and_digest(api, member):
    response = api(member).patch(ME, {"display_name": "  Ada L.  ", "digest_enabled": True}, format="json")
    assert response.status_code == 200
    assert (response.json()["display_name"], response.json()["name"]) == ("Ada L.", "Ada L.")
    member.refresh_from_db()
    assert (member.display_name, member.digest_enabled) == ("Ada L.", True)


def test_an_empty_display_name_falls_back_to_the_username(api, member):
    body = api(member).patch(ME, {"display_name": ""}, format="json").json()
    assert body["name"] == "member"


def test_read_only_fields_cannot_be_changed(api, member):
    response = api(member).patch(ME, {"email": "x@example.org", "role": "organiser", "username": "boss"})
    assert response.status_code == 200
    member.refresh_from_db()
    assert (member.email, member.role, member.username) == ("member@example.org", "member", "member")


@pytest.mark.parametrize(
    "body", [{"display_name": "x" * 151}, {"digest_enabled": "sometimes"}, {"display_name": "a\x00"}]
)
def test_bad_values_are_a_400_that_changes_nothing(api, member, body):
    response = api(member).patch(ME, body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == list(body)
    member.refresh_from_db()
    assert member.display_name == "Member"


def test_anonymous_clients_have_no_profile(api):
    assert api().get(ME).status_code == 401
    assert api().patch(ME, {"digest_enabled": True}, format="json").status_code == 401
