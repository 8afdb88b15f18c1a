"""A member's own data: download it (web and API), delete the account (web and API)."""

import json

import pytest
from axes.models import AccessAttempt
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Count
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from meetings.models import RSVP, Notice, NotificationPreference, PresenterOffer
from meetings.services import presenter_offer, rsvp_set
from meetings.tests.factories import AgendaItemFactory, MeetingFactory
from members.models import Invitation, User
from members.services import FORMER_MEMBER_NAME, api_token_create, user_delete
from members.tests.factories import UserFactory
from papers.models import Paper, Vote
from papers.services import paper_suggest, paper_vote_set
from papers.tests.factories import PaperFactory, TagFactory
from papers.topics import topic_follow_set

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


@pytest.fixture
def history(member, other_member, organiser):
    """The member has voted, answered, offered, suggested, been invited and holds tokens."""
    papers = [PaperFactory(title=f"Paper {n}") for n in range(3)]
    for paper in papers[:2]:
        paper_vote_set(user=member, paper_id=paper.pk, voted=True)
        paper_vote_set(user=other_member, paper_id=paper.pk, voted=True)
    full = MeetingFactory(title="Full session", capacity=1)
    rsvp_set(meeting=full, user=member, answer="yes")
    rsvp_set(meeting=full, user=other_member, answer="yes")  # waits behind the member
    item = AgendaItemFactory(meeting=full, paper=papers[2], presenter=member)
    presenter_offer(item=AgendaItemFactory(meeting=full, paper=papers[0]), user=member)
    suggested, _ = paper_suggest(user=member, reference="2401.01234")
    accepted = {"accepted_at": timezone.now()}
    Invitation.objects.create(
        email="member@example.org", invited_by=organiser, accepted_by=member, **accepted
    )
    Invitation.objects.create(email="friend@example.net", invited_by=member)
    Invitation.objects.create(
        email="other@example.org", invited_by=member, accepted_by=other_member, **accepted
    )
    Notice.objects.create(kind="reminder", user=member, meeting=full, key="m1")
    NotificationPreference.objects.create(user=member, reminders=False)
    api_token_create(user=member)
    topic_follow_set(member=member, tag=TagFactory(name="Graphs"), followed=True)
    return {"papers": papers, "meeting": full, "item": item, "suggested": suggested}


def _counts_match_rows() -> bool:
    counted = Paper.objects.annotate(rows=Count("votes")).values_list("vote_count", "rows")
    return all(count == rows for count, rows in counted)


# --- Export -------------------------------------------------------------------------------------


def test_the_download_holds_everything_about_me_and_no_other_address(client, member, history):
    client.force_login(member)
    response = client.get(reverse("members:export"))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Cache-Control"] == "no-store"
    data = json.loads(response.content)
    assert data["format"] == "readinggroup-member-data/1"
    assert data["profile"]["email"] == "member@example.org"
    assert [v["title"] for v in data["votes"]] == ["Paper 0", "Paper 1"]
    assert data["rsvps"][0]["meeting"] == "Full session" and data["rsvps"][0]["answer"] == "yes"
    assert [s["arxiv_id"] for s in data["suggestions"]] == ["2401.01234"]
    assert data["presenter_offers"][0]["title"] == "Paper 0"
    assert data["presentations"][0]["title"] == "Paper 2"
    assert data["notifications"] == {"reminders": False, "presenter_notices": True, "seat_notices": True}
    assert data["notices"][0]["kind"] == "reminder"
    assert [t["name"] for t in data["followed_topics"]] == ["Graphs"]
    assert len(data["api_tokens"]) == 1 and len(data["api_tokens"][0]["starts_with"]) < 20
    sent = {(i["email"], i["accepted_by"]) for i in data["invitations_sent"]}
    assert sent == {("friend@example.net", None), (None, "Other")}
    text = response.content.decode()
    assert "other@example.org" not in text and "organiser@example.org" not in text
    assert member.calendar_token not in text and member.password not in text


def test_the_api_export_is_the_same_document(api, client, member, history):
    response = api(member).get("/api/v1/me/export/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    client.force_login(member)
    from_web, from_api = json.loads(client.get(reverse("members:export")).content), response.json()
    for document in (from_api, from_web):
        # Only these differ: the time, the API client's own token, the web log-in's time.
        del document["exported_at"], document["api_tokens"], document["profile"]["last_login"]
    assert from_api == from_web


def test_the_export_needs_a_login(client, api):
    response = client.get(reverse("members:export"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert api().get("/api/v1/me/export/").status_code == 401


def test_the_export_runs_a_fixed_number_of_queries(client, member, history, django_assert_max_num_queries):
    client.force_login(member)
    with django_assert_max_num_queries(14):
        client.get(reverse("members:export"))


# --- Deletion -----------------------------------------------------------------------------------


def test_deleting_keeps_votes_anonymously_and_the_counts_right(member, other_member, history):
    paper = history["papers"][0]
    placeholder = user_delete(user=member)
    assert not User.objects.filter(pk=member.pk).exists()
    assert placeholder.display_name == FORMER_MEMBER_NAME and not placeholder.is_active
    assert not placeholder.has_usable_password() and placeholder.email == ""
    assert Vote.objects.filter(user=placeholder).count() == 2
    paper.refresh_from_db()
    assert paper.vote_count == 2 and _counts_match_rows()


def test_two_deleted_members_who_voted_for_the_same_paper_keep_both_votes(member, other_member, history):
    user_delete(user=member)
    user_delete(user=other_member)
    paper = Paper.objects.get(pk=history["papers"][0].pk)
    assert paper.vote_count == 2 == paper.votes.count()
    assert _counts_match_rows()


def test_deleting_removes_rsvps_and_gives_the_seat_to_the_waiting_list(member, other_member, history):
    user_delete(user=member)
    assert not RSVP.objects.filter(user_id=member.pk).exists()
    moved_up = RSVP.objects.get(user=other_member)
    assert moved_up.has_seat


def test_deleting_removes_personal_rows_and_keeps_the_papers(member, history):
    AccessAttempt.objects.create(username="member", ip_address="192.0.2.1", failures_since_start=1)
    user_delete(user=member)
    assert not AuthToken.objects.filter(user_id=member.pk).exists()
    assert not PresenterOffer.objects.filter(user_id=member.pk).exists()
    assert not Notice.objects.filter(user_id=member.pk).exists()
    assert not NotificationPreference.objects.filter(user_id=member.pk).exists()
    assert not Invitation.objects.filter(email="member@example.org").exists()
    assert not AccessAttempt.objects.filter(username="member").exists()
    suggested = Paper.objects.get(pk=history["suggested"].pk)
    assert suggested.submitted_by is None
    history["item"].refresh_from_db()
    assert history["item"].presenter is None
    # Invitations the member sent stay, for the organisers' records, without a sender.
    assert Invitation.objects.get(email="friend@example.net").invited_by is None


def test_a_member_without_votes_leaves_no_placeholder(other_member):
    member = UserFactory(username="quiet")
    before = User.objects.count()
    assert user_delete(user=member) is None
    assert User.objects.count() == before - 1


def test_an_administrator_cannot_delete_their_own_account(client, api, superuser):
    client.force_login(superuser)
    response = client.post(reverse("members:delete"), {"password": PASSWORD})
    assert response.status_code == 400 and "administrator" in response.content.decode()
    answer = api(superuser).post("/api/v1/me/delete/", {"password": PASSWORD}, format="json")
    assert answer.status_code == 403
    assert User.objects.filter(pk=superuser.pk).exists()


def test_deleting_a_member_in_the_admin_keeps_their_votes(client, superuser, member, history):
    client.force_login(superuser)
    url = reverse("admin:members_user_delete", args=[member.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not User.objects.filter(pk=member.pk).exists()
    assert Vote.objects.filter(user__display_name=FORMER_MEMBER_NAME).count() == 2
    assert _counts_match_rows()
    other = UserFactory(username="third")
    paper_vote_set(user=other, paper_id=history["papers"][1].pk, voted=True)
    changelist = reverse("admin:members_user_changelist")
    data = {"action": "delete_selected", "_selected_action": [other.pk], "post": "yes"}
    assert client.post(changelist, data).status_code == 302
    assert not User.objects.filter(pk=other.pk).exists() and _counts_match_rows()


def test_the_web_deletion_asks_for_the_password(client, member, history):
    client.force_login(member)
    page = client.get(reverse("members:delete"))
    assert page.status_code == 200 and b'type="password"' in page.content
    wrong = client.post(reverse("members:delete"), {"password": "not it"})
    assert wrong.status_code == 400 and "password" in wrong.context["form"].errors
    assert User.objects.filter(pk=member.pk).exists()


def test_the_web_deletion_ends_every_session(client, member, history):
    elsewhere = Client()
    elsewhere.force_login(member)
    client.force_login(member)
    response = client.post(reverse("members:delete"), {"password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert not User.objects.filter(pk=member.pk).exists()
    for browser in (client, elsewhere):
        profile = browser.get(reverse("members:profile"))
        assert profile.status_code == 302 and reverse("login") in profile["Location"]
    assert _counts_match_rows()


def test_the_profile_links_to_download_and_deletion(client, member):
    client.force_login(member)
    html = client.get(reverse("members:profile")).content.decode()
    assert reverse("members:export") in html and reverse("members:delete") in html


def test_the_api_deletion_needs_the_password_and_revokes_every_token(api, member, history):
    client = api(member)
    second_device = api(member)
    wrong = client.post("/api/v1/me/delete/", {"password": "guess"}, format="json")
    assert wrong.status_code == 400 and wrong.json()["errors"] == {"password": ["That is not your password."]}
    assert client.post("/api/v1/me/delete/", {}, format="json").status_code == 400
    assert User.objects.filter(pk=member.pk).exists()
    response = client.post("/api/v1/me/delete/", {"password": PASSWORD}, format="json")
    assert response.status_code == 204
    assert not User.objects.filter(pk=member.pk).exists()
    assert second_device.get("/api/v1/me/").status_code == 401
    assert _counts_match_rows()


def test_wrong_passwords_count_towards_the_lockout(api, member, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 2
    client = api(member)
    answers = [
        client.post("/api/v1/me/delete/", {"password": "guess"}, format="json").status_code for _ in range(3)
    ]
    assert answers[0] == 400 and answers[-1] == 429
    assert client.post("/api/v1/me/delete/", {"password": PASSWORD}, format="json").status_code == 429
    assert User.objects.filter(pk=member.pk).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_votes_racing_a_deletion_leave_every_count_equal_to_its_rows():
    """Threads vote and unvote for the member while the account is deleted: whatever wins,
    vote_count equals the vote rows afterwards (the deletion locks the member's row, which a
    vote's foreign key check waits for)."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    racer = UserFactory(username="racer")
    papers = [PaperFactory() for _ in range(5)]

    def vote(n: int) -> None:
        try:
            paper_vote_set(user=racer, paper_id=papers[n % 5].pk, voted=bool(n % 3))
        except Exception:  # the account is gone: the vote has nothing to belong to
            pass
        finally:
            connection.close()

    def delete() -> None:
        try:
            user_delete(user=racer)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(vote, n) for n in range(40)]
        futures.insert(20, pool.submit(delete))
        for future in futures:
            future.result()
    assert not User.objects.filter(username="racer").exists()
    assert _counts_match_rows()


def test_deactivating_members_frees_their_seats_and_revokes_their_tokens(client, superuser, member):
    meeting = MeetingFactory(capacity=1)
    waiting = UserFactory(username="waiting")
    rsvp_set(meeting=meeting, user=member, answer="yes")
    rsvp_set(meeting=meeting, user=waiting, answer="yes")
    api_token_create(user=member)
    client.force_login(superuser)
    changelist = reverse("admin:members_user_changelist")
    client.post(changelist, {"action": "deactivate", ACTION_CHECKBOX_NAME: [member.pk]})
    member.refresh_from_db()
    assert not member.is_active
    assert not RSVP.objects.filter(user=member).exists()
    assert RSVP.objects.get(user=waiting).waitlisted is False
    assert not AuthToken.objects.filter(user=member).exists()
