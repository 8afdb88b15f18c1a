from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from meetings.models import Meeting
from meetings.services import rsvp_set
from meetings.tests.factories import AgendaItemFactory, MeetingFactory, PresenterOfferFactory
from members.tests.factories import UserFactory
from papers.models import Paper
from papers.services import paper_vote_set
from papers.tests.factories import PaperFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:meetings_meeting_changelist"


@pytest.fixture
def admin_client(client, organiser):
    client.force_login(organiser)
    return client


def _action(client, action: str, meetings, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [m.pk for m in meetings], **extra}
    return client.post(reverse(CHANGELIST), data, follow=True)


def test_fill_agenda_asks_how_many_then_fills_from_the_queue(admin_client):
    meeting = MeetingFactory()
    for votes in (1, 3, 2):
        paper = PaperFactory(title=f"{votes} votes")
        for _ in range(votes):
            paper_vote_set(user=UserFactory(), paper_id=paper.pk, voted=True)
    page = _action(admin_client, "fill_agenda", [meeting])
    assert b"Papers to take from the queue." in page.content
    _action(admin_client, "fill_agenda", [meeting], apply="Apply", count="2")
    assert list(meeting.agenda.order_by("order").values_list("paper__title", flat=True)) == [
        "3 votes",
        "2 votes",
    ]


def test_mark_done_action_discusses_the_papers_and_reports_refusals(admin_client):
    past = AgendaItemFactory(meeting__starts_at=timezone.now() - timedelta(hours=3)).meeting
    coming = AgendaItemFactory().meeting
    page = _action(admin_client, "mark_done", [past, coming])
    assert "has not started yet" in page.content.decode()
    assert Meeting.objects.get(pk=past.pk).status == "done"
    assert Meeting.objects.get(pk=coming.pk).status == "planned"
    assert Paper.objects.filter(discussed_at__isnull=False).count() == 1


def test_cancel_action(admin_client):
    meeting = MeetingFactory()
    _action(admin_client, "cancel", [meeting])
    assert Meeting.objects.get(pk=meeting.pk).status == "cancelled"


def test_the_change_page_shows_the_suggested_presenter(admin_client):
    item = AgendaItemFactory()
    PresenterOfferFactory(item=item, user=UserFactory(username="vol", display_name="Volunteer"))
    page = admin_client.get(reverse("admin:meetings_meeting_change", args=[item.meeting.pk]))
    assert page.status_code == 200
    assert "Volunteer" in page.content.decode()


def _change_data(meeting, **overrides) -> dict:
    local = timezone.localtime
    data = {
        "title": meeting.title,
        "starts_at_0": local(meeting.starts_at).strftime("%Y-%m-%d"),
        "starts_at_1": local(meeting.starts_at).strftime("%H:%M:%S"),
        "ends_at_0": local(meeting.ends_at).strftime("%Y-%m-%d"),
        "ends_at_1": local(meeting.ends_at).strftime("%H:%M:%S"),
        "location": "",
        "video_url": "",
        "capacity": "",
        "notes": "",
        "slides_url": "",
        "recording_url": "",
        "agenda-TOTAL_FORMS": "0",
        "agenda-INITIAL_FORMS": "0",
        "rsvps-TOTAL_FORMS": "0",
        "rsvps-INITIAL_FORMS": "0",
        "notices-TOTAL_FORMS": "0",
        "notices-INITIAL_FORMS": "0",
    }
    return {**data, **overrides}


def test_the_admin_refuses_a_session_in_the_past(admin_client):
    yesterday = timezone.localtime(timezone.now() - timedelta(days=1))
    data = _change_data(MeetingFactory.build(), starts_at_0=yesterday.strftime("%Y-%m-%d"))
    data["ends_at_0"] = (yesterday + timedelta(days=0)).strftime("%Y-%m-%d")
    page = admin_client.post(reverse("admin:meetings_meeting_add"), data)
    assert "A session cannot be scheduled in the past." in page.content.decode()
    assert not Meeting.objects.exists()


def test_raising_the_capacity_in_the_admin_seats_the_waiting_list(admin_client):
    meeting = MeetingFactory(capacity=1)
    first, second = UserFactory(), UserFactory()
    rsvp_set(meeting=meeting, user=first, answer="yes")
    waiting = rsvp_set(meeting=meeting, user=second, answer="yes")
    assert waiting.waitlisted
    url = reverse("admin:meetings_meeting_change", args=[meeting.pk])
    response = admin_client.post(url, _change_data(meeting, capacity="2"))
    assert response.status_code == 302
    waiting.refresh_from_db()
    meeting.refresh_from_db()
    assert (waiting.waitlisted, meeting.sequence) == (False, 1)


def test_rsvps_are_read_only_in_the_admin_and_removing_one_hands_its_seat_on(admin_client):
    meeting = MeetingFactory(capacity=1)
    first, second = UserFactory(), UserFactory()
    seated = rsvp_set(meeting=meeting, user=first, answer="yes")
    waiting = rsvp_set(meeting=meeting, user=second, answer="yes")
    assert admin_client.get(reverse("admin:meetings_rsvp_add")).status_code == 403
    page = admin_client.get(reverse("admin:meetings_meeting_change", args=[meeting.pk])).content.decode()
    assert 'name="rsvps-0-answer"' not in page  # shown, not editable: seats stay within capacity
    response = admin_client.post(reverse("admin:meetings_rsvp_delete", args=[seated.pk]), {"post": "yes"})
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert not waiting.waitlisted
