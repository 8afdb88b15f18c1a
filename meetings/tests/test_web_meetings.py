"""Members' session pages: list, detail, RSVP (htmx and plain), offers to present, notes."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.models import RSVP, Meeting, PresenterOffer
from meetings.tests.factories import AgendaItemFactory, MeetingFactory, RSVPFactory

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def _past(**kwargs) -> Meeting:
    start = timezone.now() - timedelta(days=7)
    return MeetingFactory(starts_at=start, ends_at=start + timedelta(hours=1), status="done", **kwargs)


def test_the_list_shows_upcoming_and_past_sessions(client):
    MeetingFactory(title="Next week")
    _past(title="Last week")
    response = client.get(reverse("meetings:list"))
    content = response.content.decode()
    assert content.index("Next week") < content.index("Last week")


def test_the_list_pages_past_sessions_with_an_htmx_more_link(client):
    for n in range(12):
        start = timezone.now() - timedelta(days=7 + n)
        MeetingFactory(title=f"Old {n:02d}", starts_at=start, ends_at=start + timedelta(hours=1))
    page_one = client.get(reverse("meetings:list")).content.decode()
    assert "Old 09" in page_one and "Old 10" not in page_one and 'hx-get="/meetings/?page=2"' in page_one
    fragment = client.get(reverse("meetings:list") + "?page=2", headers=HTMX).content.decode()
    assert "<html" not in fragment and "Old 10" in fragment and "Old 11" in fragment


def test_the_list_runs_the_same_queries_for_few_and_many_sessions(client, member, django_assert_num_queries):
    client.force_login(member)
    AgendaItemFactory(meeting=MeetingFactory())
    AgendaItemFactory(meeting=_past())
    # session, user, past count + page + agenda + offers, upcoming + agenda + offers
    with django_assert_num_queries(9) as few:
        client.get(reverse("meetings:list"))
    for _ in range(6):
        AgendaItemFactory(meeting=MeetingFactory())
        AgendaItemFactory(meeting=_past())
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(reverse("meetings:list"))


def test_the_detail_shows_agenda_presenters_and_answers(client, member, other_member):
    meeting = MeetingFactory(title="Graph night")
    AgendaItemFactory(meeting=meeting, paper__title="First paper", presenter=other_member)
    AgendaItemFactory(meeting=meeting, paper__title="Second paper")
    RSVPFactory(meeting=meeting, user=other_member, answer="yes")
    client.force_login(member)
    content = client.get(meeting.get_absolute_url()).content.decode()
    assert "First paper" in content and "Presented by Other" in content
    assert "Needs a presenter" in content and "Offer to present" in content
    assert "1 coming" in content
    assert re.search(r'<button[^>]*value="yes"[^>]*aria-pressed="false"', content)


def test_notes_are_for_members_only_and_sanitised(client, member):
    meeting = _past(
        notes="**Bold point**\n\n<script>alert(1)</script>", video_url="https://video.example.org/x"
    )
    anonymous = client.get(meeting.get_absolute_url()).content.decode()
    assert "Bold point" not in anonymous and "video.example.org" not in anonymous
    client.force_login(member)
    content = client.get(meeting.get_absolute_url()).content.decode()
    assert "<strong>Bold point</strong>" in content
    assert "<script>alert(1)</script>" not in content


def test_the_detail_runs_a_bounded_number_of_queries(client, member, django_assert_num_queries):
    meeting = MeetingFactory()
    client.force_login(member)
    AgendaItemFactory(meeting=meeting)
    # session, user, meeting, agenda, offers, my RSVP, counts, comments, my subscription to the thread
    with django_assert_num_queries(9) as few:
        client.get(meeting.get_absolute_url())
    for _ in range(6):
        item = AgendaItemFactory(meeting=meeting)
        PresenterOffer.objects.create(item=item, user=member)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(meeting.get_absolute_url())


def test_an_htmx_rsvp_answers_with_the_new_buttons(client, member):
    meeting = MeetingFactory()
    client.force_login(member)
    response = client.post(reverse("meetings:rsvp", args=[meeting.pk]), {"answer": "yes"}, headers=HTMX)
    body = response.content.decode()
    assert "<html" not in body and re.search(r'value="yes"[^>]*aria-pressed="true"', body)
    assert "1 coming" in body
    assert RSVP.objects.get(meeting=meeting, user=member).answer == "yes"


def test_a_plain_rsvp_redirects_back(client, member):
    meeting = MeetingFactory()
    client.force_login(member)
    response = client.post(reverse("meetings:rsvp", args=[meeting.pk]), {"answer": "maybe"})
    assert response.status_code == 303 and response["Location"] == f"{meeting.get_absolute_url()}#rsvp"
    assert RSVP.objects.get().answer == "maybe"


def test_a_bad_answer_changes_nothing_and_says_why(client, member):
    meeting = MeetingFactory()
    client.force_login(member)
    response = client.post(reverse("meetings:rsvp", args=[meeting.pk]), {"answer": "perhaps"}, headers=HTMX)
    assert "Answer one of" in response.content.decode() and not RSVP.objects.exists()
    page = client.post(reverse("meetings:rsvp", args=[meeting.pk]), {"answer": "perhaps"}, follow=True)
    assert "Answer one of" in page.content.decode()


def test_answers_to_a_past_session_are_closed(client, member):
    meeting = _past()
    client.force_login(member)
    assert b"Answers are closed" in client.get(meeting.get_absolute_url()).content
    client.post(reverse("meetings:rsvp", args=[meeting.pk]), {"answer": "yes"})
    assert not RSVP.objects.exists()


def test_an_anonymous_rsvp_goes_to_log_in_and_back(client):
    meeting = MeetingFactory()
    url = meeting.get_absolute_url()
    response = client.post(reverse("meetings:rsvp", args=[meeting.pk]), {"answer": "yes", "next": url})
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_a_member_offers_to_present_and_withdraws(client, member):
    item = AgendaItemFactory(meeting=MeetingFactory())
    client.force_login(member)
    offer_url = reverse("meetings:offer", args=[item.meeting_id, item.pk])
    response = client.post(offer_url, {"next": item.meeting.get_absolute_url()})
    assert response.status_code == 303 and response["Location"].endswith(f"#item-{item.pk}")
    assert PresenterOffer.objects.filter(item=item, user=member).exists()
    assert b"Withdraw my offer" in client.get(item.meeting.get_absolute_url()).content
    client.post(reverse("meetings:withdraw", args=[item.meeting_id, item.pk]))
    assert not PresenterOffer.objects.exists()


def test_an_offer_for_a_past_session_is_refused_with_a_message(client, member):
    item = AgendaItemFactory(meeting=_past())
    client.force_login(member)
    page = client.post(reverse("meetings:offer", args=[item.meeting_id, item.pk]), follow=True)
    assert "offers to present are closed" in page.content.decode() and not PresenterOffer.objects.exists()


def test_an_offer_for_an_item_of_another_meeting_is_a_404(client, member):
    item = AgendaItemFactory()
    client.force_login(member)
    other = MeetingFactory()
    assert client.post(reverse("meetings:offer", args=[other.pk, item.pk])).status_code == 404
