from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.models import AgendaItem, Meeting
from meetings.tests.factories import AgendaItemFactory, MeetingFactory, PresenterOfferFactory, RSVPFactory
from members.tests.factories import UserFactory
from papers.models import Paper
from papers.services import paper_vote_set
from papers.tests.factories import PaperFactory

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def organiser_client(client, organiser):
    client.force_login(organiser)
    return client


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _details(**overrides) -> dict:
    starts = timezone.now() + timedelta(days=7)
    data = {
        "title": "Scaling laws",
        "starts_at": _local(starts),
        "ends_at": _local(starts + timedelta(hours=1)),
        "location": "Room 2",
        "video_url": "",
        "capacity": "",
        "notes": "",
        "slides_url": "",
        "recording_url": "",
    }
    return {**data, **overrides}


def test_only_organisers_reach_the_scheduling_pages(client, member):
    url = reverse("meetings:organise-home")
    assert client.get(url).status_code == 302
    client.force_login(member)
    assert client.get(url).status_code == 403
    assert client.post(reverse("meetings:organise-create"), _details()).status_code == 403
    assert not Meeting.objects.exists()


def test_an_organiser_creates_a_session(organiser_client):
    response = organiser_client.post(reverse("meetings:organise-create"), _details())
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("meetings:organise", args=[meeting.pk])
    assert (meeting.title, meeting.location, meeting.capacity) == ("Scaling laws", "Room 2", None)


def test_a_session_in_the_past_is_a_form_error(organiser_client):
    starts = timezone.now() - timedelta(days=1)
    data = _details(starts_at=_local(starts), ends_at=_local(starts + timedelta(hours=1)))
    response = organiser_client.post(reverse("meetings:organise-create"), data)
    assert response.status_code == 400
    assert response.context["form"].errors["starts_at"] == ["A session cannot be scheduled in the past."]
    assert not Meeting.objects.exists()


def test_a_session_ending_before_it_starts_is_a_form_error(organiser_client):
    starts = timezone.now() + timedelta(days=2)
    data = _details(starts_at=_local(starts), ends_at=_local(starts - timedelta(hours=1)))
    response = organiser_client.post(reverse("meetings:organise-create"), data)
    assert response.status_code == 400
    assert b"A meeting must end after it starts." in response.content
    assert not Meeting.objects.exists()


def test_form_times_are_local_across_the_clock_change(organiser_client, settings, time_machine):
    settings.TIME_ZONE = "Europe/London"
    time_machine.move_to(datetime(2025, 10, 20, 9, 0, tzinfo=LONDON), tick=False)
    data = _details(starts_at="2025-10-27T18:00", ends_at="2025-10-27T19:30")
    organiser_client.post(reverse("meetings:organise-create"), data)
    meeting = Meeting.objects.get()
    assert meeting.starts_at == datetime(2025, 10, 27, 18, 0, tzinfo=ZoneInfo("UTC"))  # GMT


def test_editing_details_of_a_session_that_has_started_keeps_its_time(organiser_client):
    meeting = MeetingFactory(starts_at=timezone.now() - timedelta(minutes=10))
    data = _details(
        title="Renamed",
        starts_at=_local(meeting.starts_at),
        ends_at=_local(meeting.ends_at),
    )
    response = organiser_client.post(reverse("meetings:organise", args=[meeting.pk]), data)
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "Renamed"


def test_fill_from_the_queue_and_see_the_suggested_presenter(organiser_client):
    meeting = MeetingFactory()
    top, second = PaperFactory(title="Top"), PaperFactory(title="Second")
    for paper, votes in ((top, 2), (second, 1)):
        for _ in range(votes):
            paper_vote_set(user=UserFactory(), paper_id=paper.pk, voted=True)
    response = organiser_client.post(reverse("meetings:organise-fill", args=[meeting.pk]), {"count": "2"})
    assert response.status_code == 302
    assert list(meeting.agenda.order_by("order").values_list("paper__title", flat=True)) == ["Top", "Second"]
    volunteer = UserFactory(username="vol", display_name="Volunteer")
    PresenterOfferFactory(item=meeting.agenda.get(paper=top), user=volunteer)
    page = organiser_client.get(reverse("meetings:organise", args=[meeting.pk]))
    html = page.content.decode()
    assert f'<option value="{volunteer.pk}" selected>Volunteer (suggested)</option>' in html
    assert "Offered to present: Volunteer" in html
    assert "Suggested by rotation: Volunteer (offered to present; presented 0 times in the last" in html


def test_a_bad_fill_count_is_a_form_error(organiser_client):
    meeting = MeetingFactory()
    response = organiser_client.post(reverse("meetings:organise-fill", args=[meeting.pk]), {"count": "0"})
    assert response.status_code == 400
    assert "count" in response.context["fill"].errors
    assert not AgendaItem.objects.exists()


def test_assign_a_presenter_and_refuse_one_who_is_not_a_member(organiser_client):
    item = AgendaItemFactory()
    member = UserFactory(username="ada", display_name="Ada")
    url = reverse("meetings:organise-presenter", args=[item.pk])
    assert organiser_client.post(url, {"presenter": member.pk}).status_code == 302
    item.refresh_from_db()
    assert item.presenter == member
    gone = UserFactory(username="gone", is_active=False)
    response = organiser_client.post(url, {"presenter": gone.pk})
    assert response.status_code == 400
    assert "Gone is not an active member and cannot present." in response.content.decode()
    item.refresh_from_db()
    assert item.presenter == member
    assert organiser_client.post(url, {"presenter": "999999"}).status_code == 400


def test_reorder_with_up_and_down(organiser_client):
    meeting = MeetingFactory()
    first = AgendaItemFactory(meeting=meeting, order=0)
    second = AgendaItemFactory(meeting=meeting, order=1)
    organiser_client.post(reverse("meetings:organise-move", args=[second.pk]), {"direction": "up"})
    assert list(meeting.agenda.order_by("order").values_list("pk", flat=True)) == [second.pk, first.pk]
    response = organiser_client.post(
        reverse("meetings:organise-move", args=[first.pk]), {"direction": "left"}
    )
    assert response.status_code == 400


def test_remove_an_item(organiser_client):
    item = AgendaItemFactory()
    organiser_client.post(reverse("meetings:organise-remove", args=[item.pk]))
    assert not AgendaItem.objects.exists()


def test_mark_done_after_the_session_and_not_before(organiser_client):
    coming = AgendaItemFactory().meeting
    response = organiser_client.post(reverse("meetings:organise-done", args=[coming.pk]))
    assert response.status_code == 400
    assert "has not started yet" in response.content.decode()
    past = AgendaItemFactory(meeting__starts_at=timezone.now() - timedelta(hours=2)).meeting
    assert organiser_client.post(reverse("meetings:organise-done", args=[past.pk])).status_code == 302
    past.refresh_from_db()
    assert past.status == "done"
    assert Paper.objects.filter(discussed_at__isnull=False).count() == 1


def test_cancel_a_session(organiser_client):
    meeting = MeetingFactory()
    organiser_client.post(reverse("meetings:organise-cancel", args=[meeting.pk]))
    meeting.refresh_from_db()
    assert meeting.status == "cancelled"


def test_actions_are_posts_only(organiser_client):
    meeting = MeetingFactory()
    for name in ("organise-fill", "organise-done", "organise-cancel"):
        assert organiser_client.get(reverse(f"meetings:{name}", args=[meeting.pk])).status_code == 405


def test_actions_need_the_csrf_token(organiser):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(organiser)
    meeting = MeetingFactory()
    assert strict.post(reverse("meetings:organise-cancel", args=[meeting.pk])).status_code == 403
    meeting.refresh_from_db()
    assert meeting.status == "planned"


@pytest.mark.parametrize("items", [1, 8])
def test_the_pages_run_queries_that_do_not_grow_with_the_agenda(
    organiser_client, django_assert_num_queries, items
):
    meeting = MeetingFactory()
    for _ in range(items):
        item = AgendaItemFactory(meeting=meeting, presenter=UserFactory())
        PresenterOfferFactory(item=item, user=UserFactory())
        AgendaItemFactory(meeting=meeting)
        RSVPFactory(meeting=meeting, user=UserFactory())
        MeetingFactory()
    # Session and user, the meeting, five for the presenter rotation, the agenda and its
    # offers, the RSVP counts, the waiting list and the member list.
    with django_assert_num_queries(13):
        organiser_client.get(reverse("meetings:organise", args=[meeting.pk]))
    with django_assert_num_queries(5):
        organiser_client.get(reverse("meetings:organise-home"))
