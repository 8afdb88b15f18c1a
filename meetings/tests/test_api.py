"""Sessions in the REST API: lists, detail, RSVP and offers to present, per role."""

from datetime import timedelta

import pytest
from django.utils import timezone

from meetings.models import RSVP, AgendaItem, PresenterOffer
from meetings.tests.factories import AgendaItemFactory, MeetingFactory, PresenterOfferFactory, RSVPFactory
from members.tests.factories import UserFactory

LIST = "/api/v1/meetings/"
pytestmark = pytest.mark.django_db


def _detail(meeting) -> str:
    return f"/api/v1/meetings/{meeting.pk}/"


def _rsvp(meeting) -> str:
    return f"/api/v1/meetings/{meeting.pk}/rsvp/"


def _offer(item) -> str:
    return f"/api/v1/meetings/{item.meeting_id}/agenda/{item.pk}/offer/"


def _titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [m["title"] for m in response.json()["results"]]


def test_upcoming_sessions_come_soonest_first_and_past_ones_latest_first(api, member):
    now = timezone.now()
    for title, days in [("next week", 7), ("tomorrow", 1), ("last week", -7), ("yesterday", -1)]:
        MeetingFactory(title=title, starts_at=now + timedelta(days=days))
    client = api(member)
    assert _titles(client.get(LIST)) == ["tomorrow", "next week"]
    assert _titles(client.get(LIST, {"when": "upcoming"})) == ["tomorrow", "next week"]
    assert _titles(client.get(LIST, {"when": "past"})) == ["yesterday", "last week"]
    bad = client.get(LIST, {"when": "someday"})
    assert bad.status_code == 400
    assert list(bad.json()["errors"]) == ["when"]


def test_past_sessions_page_with_cursors(api, member):
    now = timezone.now()
    for n in range(5):
        MeetingFactory(title=f"past {n}", starts_at=now - timedelta(days=n + 1))
    client = api(member)
    first = client.get(LIST, {"when": "past", "page_size": 2}).json()
    titles = [m["title"] for m in first["results"]]
    url = first["next"]
    while url:
        page = client.get(url).json()
        titles += [m["title"] for m in page["results"]]
        url = page["next"]
    assert titles == [f"past {n}" for n in range(5)]


def test_the_detail_has_agenda_presenters_counts_and_my_rsvp(api, member, other_member):
    meeting = MeetingFactory(notes="**Bring** questions.", video_url="https://video.example.org/room")
    first = AgendaItemFactory(meeting=meeting, order=0, presenter=other_member)
    second = AgendaItemFactory(meeting=meeting, order=1)
    PresenterOfferFactory(item=second, user=member)
    RSVPFactory(meeting=meeting, user=member, answer=RSVP.Answer.MAYBE)
    RSVPFactory(meeting=meeting, user=other_member, answer=RSVP.Answer.YES)
    RSVPFactory(meeting=meeting, user=UserFactory(), answer=RSVP.Answer.NO)
    body = api(member).get(_detail(meeting)).json()
    assert [item["paper"]["id"] for item in body["agenda"]] == [first.paper_id, second.paper_id]
    assert body["agenda"][0]["presenter"] == {"id": other_member.pk, "name": other_member.public_name}
    assert body["agenda"][1]["presenter"] is None
    assert body["agenda"][1]["offers"] == [{"id": member.pk, "name": member.public_name}]
    assert [item["my_offer"] for item in body["agenda"]] == [False, True]
    assert body["rsvp_counts"] == {"yes": 1, "waitlisted": 0, "maybe": 1, "no": 1}
    assert body["my_rsvp"] == {"answer": "maybe", "waitlisted": False}
    assert body["notes"] == "**Bring** questions."
    assert "<strong>Bring</strong>" in body["notes_html"]
    assert body["video_url"] == "https://video.example.org/room"


def test_anonymous_visitors_see_no_notes_link_or_offers(api, member):
    meeting = MeetingFactory(notes="Members only.", video_url="https://video.example.org/room")
    PresenterOfferFactory(item=AgendaItemFactory(meeting=meeting), user=member)
    body = api().get(_detail(meeting)).json()
    assert not {"notes", "notes_html", "video_url"} & set(body)
    assert "offers" not in body["agenda"][0]
    assert body["my_rsvp"] is None
    listed = api().get(LIST).json()["results"][0]
    assert "video_url" not in listed and "offers" not in listed["agenda"][0]


def test_the_session_list_takes_five_queries_at_any_size(api, member, django_assert_num_queries):
    for _ in range(6):
        meeting = MeetingFactory()
        for _ in range(3):
            item = AgendaItemFactory(meeting=meeting, presenter=UserFactory())
            PresenterOfferFactory(item=item, user=UserFactory())
        RSVPFactory(meeting=meeting, user=member)
    client = api(member)
    with django_assert_num_queries(5):  # token+member, their tokens, sessions with counts, agenda, offers
        response = client.get(LIST)
    assert len(response.json()["results"]) == 6


@pytest.mark.parametrize("path", ["/api/v1/meetings/12345/", "/api/v1/meetings/99999999999999999999999/"])
def test_unknown_sessions_are_a_404(api, member, path):
    assert api(member).get(path).status_code == 404


# --- RSVP -----------------------------------------------------------------------------------------


def test_a_member_answers_and_changes_their_answer(api, member):
    meeting = MeetingFactory()
    client = api(member)
    response = client.put(_rsvp(meeting), {"answer": "yes"}, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "meeting_id": meeting.pk,
        "answer": "yes",
        "waitlisted": False,
        "rsvp_counts": {"yes": 1, "waitlisted": 0, "maybe": 0, "no": 0},
    }
    assert client.put(_rsvp(meeting), {"answer": "no"}, format="json").json()["rsvp_counts"]["no"] == 1
    assert RSVP.objects.get(meeting=meeting, user=member).answer == "no"
    assert client.get(_detail(meeting)).json()["my_rsvp"] == {"answer": "no", "waitlisted": False}


def test_a_yes_beyond_capacity_waits(api, member, other_member):
    meeting = MeetingFactory(capacity=1)
    api(other_member).put(_rsvp(meeting), {"answer": "yes"}, format="json")
    body = api(member).put(_rsvp(meeting), {"answer": "yes"}, format="json").json()
    assert body["waitlisted"] is True
    assert body["rsvp_counts"] == {"yes": 1, "waitlisted": 1, "maybe": 0, "no": 0}


@pytest.mark.parametrize("status", ["cancelled", "done"])
def test_closed_sessions_refuse_answers_with_409(api, member, status):
    meeting = MeetingFactory(status=status)
    response = api(member).put(_rsvp(meeting), {"answer": "yes"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert "RSVPs are closed" in response.json()["detail"]
    assert not RSVP.objects.exists()


@pytest.mark.parametrize("body", [{}, {"answer": "perhaps"}, {"answer": None}, {"answer": "yes\x00"}])
def test_a_bad_answer_is_a_400(api, member, body):
    response = api(member).put(_rsvp(MeetingFactory()), body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["answer"]


def test_anonymous_clients_cannot_answer_and_unknown_sessions_are_404(api, member):
    meeting = MeetingFactory()
    assert api().put(_rsvp(meeting), {"answer": "yes"}, format="json").status_code == 401
    assert api(member).put("/api/v1/meetings/999/rsvp/", {"answer": "yes"}, format="json").status_code == 404


# --- Offers to present ----------------------------------------------------------------------------


def test_a_member_offers_and_withdraws_idempotently(api, member, other_member):
    item = AgendaItemFactory()
    client = api(member)
    for _ in range(2):
        response = client.put(_offer(item))
        assert response.status_code == 200
        assert response.json()["my_offer"] is True
        assert response.json()["offers"] == [{"id": member.pk, "name": member.public_name}]
    assert PresenterOffer.objects.filter(item=item).count() == 1
    assert api(other_member).get(_detail(item.meeting)).json()["agenda"][0]["my_offer"] is False
    for _ in range(2):
        response = client.delete(_offer(item))
        assert response.status_code == 200
        assert response.json()["my_offer"] is False
    assert not PresenterOffer.objects.exists()


def test_a_presenter_who_withdraws_stops_presenting(api, member):
    item = AgendaItemFactory(presenter=member)
    assert api(member).put(_offer(item)).status_code == 409  # presenting already
    response = api(member).delete(_offer(item))
    assert response.json()["presenter"] is None
    item.refresh_from_db()
    assert item.presenter is None


def test_offers_for_a_started_or_cancelled_session_are_409(api, member):
    started = AgendaItemFactory(meeting=MeetingFactory(starts_at=timezone.now() - timedelta(minutes=5)))
    cancelled = AgendaItemFactory(meeting=MeetingFactory(status="cancelled"))
    for item in (started, cancelled):
        response = api(member).put(_offer(item))
        assert response.status_code == 409, item
    assert not PresenterOffer.objects.exists()


def test_an_item_of_another_session_is_a_404(api, member):
    item = AgendaItemFactory()
    other = MeetingFactory()
    response = api(member).put(f"/api/v1/meetings/{other.pk}/agenda/{item.pk}/offer/")
    assert response.status_code == 404
    assert not PresenterOffer.objects.exists()
    assert AgendaItem.objects.get(pk=item.pk).presenter is None


def test_anonymous_clients_cannot_offer(api):
    assert api().put(_offer(AgendaItemFactory())).status_code == 401


# --- Conditional GET ------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["list", "detail"])
def test_sessions_answer_304_until_an_rsvp_or_offer_changes_them(api, member, other_member, where):
    meeting = MeetingFactory()
    item = AgendaItemFactory(meeting=meeting)
    url = LIST if where == "list" else _detail(meeting)
    client = api(member)
    etag = client.get(url)["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    api(other_member).put(_rsvp(meeting), {"answer": "yes"}, format="json")
    after_rsvp = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert after_rsvp.status_code == 200
    api(other_member).put(_offer(item))
    assert client.get(url, HTTP_IF_NONE_MATCH=after_rsvp["ETag"]).status_code == 200
