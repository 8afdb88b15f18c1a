from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from icalendar import Calendar

from meetings.calendar import member_calendar_url
from meetings.services import calendar_token_regenerate, meeting_cancel
from meetings.tests.factories import AgendaItemFactory, MeetingFactory, RSVPFactory
from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def london(settings, time_machine):
    settings.TIME_ZONE = "Europe/London"
    settings.SITE_URL = "https://rg.example.org"
    time_machine.move_to(datetime(2025, 10, 20, 12, 0, tzinfo=LONDON), tick=False)


def _session(day: int, title: str, **kwargs):
    starts = datetime(2025, 10, day, 18, 0, tzinfo=LONDON)
    return MeetingFactory(title=title, starts_at=starts, ends_at=starts + timedelta(hours=1), **kwargs)


def _events(response) -> dict[str, object]:
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    return {str(event["summary"]): event for event in calendar.walk("VEVENT")}


def test_the_public_calendar_keeps_local_times_across_the_clock_change(client, london):
    _session(24, "Before")  # Friday, British Summer Time
    _session(27, "After")  # Monday, GMT: the clocks went back on Sunday 26
    response = client.get(reverse("meetings:calendar"))
    calendar = Calendar.from_ical(response.content)
    events = _events(response)
    before, after = events["Before"].decoded("dtstart"), events["After"].decoded("dtstart")
    assert (before.hour, after.hour) == (18, 18)
    assert (before.utcoffset(), after.utcoffset()) == (timedelta(hours=1), timedelta(0))
    assert events["After"]["dtstart"].params["TZID"] == "Europe/London"
    assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    assert after.astimezone(ZoneInfo("UTC")).hour == 18 and before.astimezone(ZoneInfo("UTC")).hour == 17


def test_uids_stay_the_same_and_the_sequence_grows_when_a_session_is_cancelled(client, london):
    meeting = _session(27, "Planned")
    first = _events(client.get(reverse("meetings:calendar")))["Planned"]
    meeting_cancel(meeting=meeting)
    second = _events(client.get(reverse("meetings:calendar")))["Planned"]
    assert first["uid"] == second["uid"] == f"meeting-{meeting.pk}@rg.example.org"
    assert (first["status"], second["status"]) == ("CONFIRMED", "CANCELLED")
    assert second["sequence"] > first["sequence"]


def test_the_public_calendar_leaves_out_the_video_link(client, london):
    _session(27, "Online", video_url="https://video.example.org/room")
    AgendaItemFactory(meeting__title="x")
    event = _events(client.get(reverse("meetings:calendar")))["Online"]
    assert "video.example.org" not in event["description"]
    assert "https://rg.example.org/meetings/" in event["url"]


def test_the_public_calendar_needs_a_login_when_the_site_is_private(client, settings):
    settings.SITE_PUBLIC = False
    response = client.get(reverse("meetings:calendar"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_my_calendar_has_my_yes_and_maybe_sessions_and_where_i_present(client, london):
    me = UserFactory(username="me")
    RSVPFactory(meeting=_session(21, "Yes"), user=me, answer="yes")
    RSVPFactory(meeting=_session(22, "Maybe"), user=me, answer="maybe")
    RSVPFactory(meeting=_session(23, "No"), user=me, answer="no")
    AgendaItemFactory(
        meeting=_session(24, "Presenting", video_url="https://video.example.org/r"),
        presenter=me,
        paper__title="My paper",
    )
    cancelled = _session(28, "Cancelled")
    RSVPFactory(meeting=cancelled, user=me, answer="yes")
    meeting_cancel(meeting=cancelled)
    _session(29, "Someone else's")
    response = client.get(reverse("meetings:member-calendar", args=[me.calendar_token]))
    events = _events(response)
    assert set(events) == {"Yes", "Maybe", "Presenting", "Cancelled"}
    assert events["Cancelled"]["status"] == "CANCELLED"
    assert "You present: My paper." in events["Presenting"]["description"]
    assert "https://video.example.org/r" in events["Presenting"]["description"]
    assert "Your answer: maybe." in events["Maybe"]["description"]
    assert response["Cache-Control"].startswith("private")


def test_my_calendar_url_is_absolute_and_secret():
    me = UserFactory(username="me")
    assert member_calendar_url(me).endswith(f"/meetings/calendar/{me.calendar_token}.ics")


def test_an_unknown_or_revoked_token_is_not_found(client, london):
    me = UserFactory(username="me")
    old = me.calendar_token
    assert client.get(reverse("meetings:member-calendar", args=["x" + old])).status_code == 404
    calendar_token_regenerate(user=me)
    assert client.get(reverse("meetings:member-calendar", args=[old])).status_code == 404
    assert client.get(reverse("meetings:member-calendar", args=[me.calendar_token])).status_code == 200


def test_a_deactivated_members_calendar_is_gone(client):
    gone = UserFactory(username="gone", is_active=False)
    assert client.get(reverse("meetings:member-calendar", args=[gone.calendar_token])).status_code == 404


def test_the_calendar_runs_a_fixed_number_of_queries(client, london, django_assert_max_num_queries):
    me = UserFactory(username="me")
    for day in range(21, 30):
        meeting = _session(day, f"S{day}")
        RSVPFactory(meeting=meeting, user=me)
        AgendaItemFactory(meeting=meeting, presenter=UserFactory())
        AgendaItemFactory(meeting=meeting)
    with django_assert_max_num_queries(4):
        client.get(reverse("meetings:member-calendar", args=[me.calendar_token]))
    with django_assert_max_num_queries(3):
        client.get(reverse("meetings:calendar"))
