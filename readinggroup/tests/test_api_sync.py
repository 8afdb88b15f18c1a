"""Syncing an app: ?updated_since= on papers and sessions, /papers/deleted/ tombstones, unknown
query parameters refused, web_url, and /me/ with /me/tokens/."""

from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from knox.models import AuthToken

from meetings.services import rsvp_set
from meetings.tests.factories import MeetingFactory
from papers.models import Paper
from papers.services import paper_set_status, paper_vote_set, papers_merge
from papers.tests.factories import PaperFactory
from readinggroup.rest.query import KnownQueryParameters
from readinggroup.tests.api_pages import all_pages

pytestmark = pytest.mark.django_db
PAPERS, DELETED, MEETINGS = "/api/v1/papers/", "/api/v1/papers/deleted/", "/api/v1/meetings/"


def _since(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_two_syncs_see_changes_hides_and_deletes_in_between(api, member, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    kept, hidden, deleted, merged = (PaperFactory() for _ in range(4))
    first = all_pages(api(member), PAPERS, {"updated_since": "2000-01-01T00:00:00Z", "page_size": 2})
    assert {p["id"] for p in first} == {kept.pk, hidden.pk, deleted.pk, merged.pk}
    last_sync = timezone.now()
    time_machine.shift(timedelta(minutes=5))
    paper_vote_set(user=member, paper_id=kept.pk, voted=True)
    paper_set_status(papers=Paper.objects.filter(pk=hidden.pk), status=Paper.Status.HIDDEN)
    Paper.objects.get(pk=deleted.pk).delete()
    papers_merge(keep=Paper.objects.get(pk=kept.pk), duplicates=[merged])
    untouched_later = PaperFactory()
    client = api(member)
    changed = all_pages(client, PAPERS, {"updated_since": _since(last_sync), "page_size": 1})
    assert [p["id"] for p in changed] == [kept.pk, untouched_later.pk]  # by modified_at, then id
    assert changed[0]["vote_count"] == 1
    gone = all_pages(client, DELETED, {"since": _since(last_sync), "page_size": 1})
    assert {(g["id"], g["reason"], g["merged_into"]) for g in gone} == {
        (hidden.pk, "hidden", None),
        (deleted.pk, "deleted", None),
        (merged.pk, "merged", kept.pk),
    }
    assert all(g["deleted"] is True for g in gone)
    assert all_pages(client, DELETED, {"since": _since(timezone.now() + timedelta(minutes=1))}) == []


def test_a_paper_listed_again_leaves_the_deleted_list_and_comes_back_as_a_change(api, member):
    paper = PaperFactory()
    paper_set_status(papers=Paper.objects.filter(pk=paper.pk), status=Paper.Status.HIDDEN)
    paper_set_status(papers=Paper.objects.filter(pk=paper.pk), status=Paper.Status.LISTED)
    client = api(member)
    assert all_pages(client, DELETED, {}) == []
    assert [p["id"] for p in all_pages(client, PAPERS, {"updated_since": "2000-01-01T00:00:00Z"})] == [
        paper.pk
    ]


def test_updated_since_with_an_ordering_or_a_bad_time_is_a_400(api, member):
    client = api(member)
    assert client.get(PAPERS, {"updated_since": "yesterday"}).status_code == 400
    response = client.get(PAPERS, {"updated_since": "2026-01-01T00:00:00Z", "ordering": "votes"})
    assert response.status_code == 400
    assert "updated_since" in response.json()["errors"]
    assert client.get(MEETINGS, {"updated_since": "2026-01-01T00:00:00Z", "when": "past"}).status_code == 400
    assert client.get(MEETINGS, {"updated_since": "soon"}).status_code == 400


def test_sessions_sync_by_modification_time_including_rsvps(api, member, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    past = MeetingFactory(starts_at=timezone.now() - timedelta(days=30))
    coming = MeetingFactory()
    time_machine.shift(timedelta(minutes=1))
    last_sync = timezone.now()
    time_machine.shift(timedelta(minutes=1))
    rsvp_set(meeting=coming, user=member, answer="yes")
    client = api(member)
    everything = all_pages(client, MEETINGS, {"updated_since": "2000-01-01T00:00:00Z"})
    assert [m["id"] for m in everything] == [past.pk, coming.pk]
    changed = all_pages(client, MEETINGS, {"updated_since": _since(last_sync)})
    assert [(m["id"], m["rsvp_counts"]["yes"]) for m in changed] == [(coming.pk, 1)]
    assert changed[0]["web_url"] == f"http://testserver{coming.get_absolute_url()}"
    assert changed[0]["modified_at"]


def test_papers_carry_their_web_url_and_modified_at(api, member):
    paper = PaperFactory()
    item = api(member).get(PAPERS).json()["results"][0]
    assert item["web_url"] == f"http://testserver{paper.get_absolute_url()}"
    assert item["modified_at"]
    detail = api(member).get(f"{PAPERS}{paper.pk}/").json()
    assert detail["web_url"] == item["web_url"]


@pytest.mark.parametrize(
    ("url", "params", "named"),
    [
        (PAPERS, {"page": "2"}, ["page"]),
        (PAPERS, {"tags": "x", "q": "ok"}, ["tags"]),
        (MEETINGS, {"updated_after": "2026-01-01"}, ["updated_after"]),
        ("/api/v1/tags/", {"limit": "5"}, ["limit"]),
        (DELETED, {"updated_since": "2026-01-01T00:00:00Z"}, ["updated_since"]),
        ("/api/v1/me/", {"fields": "id"}, ["fields"]),
        ("/api/v1/me/tokens/", {"a": "1", "b": "2"}, ["a", "b"]),
    ],
)
def test_unknown_query_parameters_are_a_400_naming_them(api, member, url, params, named):
    response = api(member).get(url, params)
    assert response.status_code == 400
    assert sorted(response.json()["errors"]) == named


def test_a_paper_page_takes_no_list_parameters(api, member):
    paper = PaperFactory()
    response = api(member).get(f"{PAPERS}{paper.pk}/", {"cursor": "x"})
    assert response.status_code == 400
    assert "takes none" in response.json()["errors"]["cursor"][0]


def _views(patterns, prefix="") -> list:
    found = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found += _views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            found.append((prefix + str(pattern.pattern), pattern.callback))
    return found


def test_every_api_view_refuses_unknown_parameters():
    """A view added later (comments, …) gets the same rule: it must take KnownQueryParameters."""
    exempt = ("schema/", "docs/", "redoc/")
    missing = [
        route
        for route, callback in _views(get_resolver().url_patterns)
        if route.startswith("api/v1/")
        and hasattr(callback, "cls")
        and not route.removeprefix("api/v1/").startswith(exempt)
        and not getattr(callback.cls, "include_root_view", False)
        and callback.cls.__name__ != "APIRootView"
        and not issubclass(callback.cls, KnownQueryParameters)
    ]
    assert missing == []


# --- /me/ and /me/tokens/ -----------------------------------------------------------------------


def test_i_change_my_notification_settings(api, member):
    client = api(member)
    response = client.patch("/api/v1/me/", {"notifications": {"reminders": False}}, format="json")
    assert response.status_code == 200
    assert response.json()["notifications"] == {
        "reminders": False,
        "presenter_notices": True,
        "seat_notices": True,
    }
    assert client.get("/api/v1/me/").json()["notifications"]["reminders"] is False


def test_bad_notification_settings_are_a_400_and_change_nothing(api, member):
    client = api(member)
    response = client.patch(
        "/api/v1/me/", {"digest_enabled": True, "notifications": {"reminders": "perhaps"}}, format="json"
    )
    assert response.status_code == 400
    body = client.get("/api/v1/me/").json()
    assert body["digest_enabled"] is False
    assert body["notifications"]["reminders"] is True


def test_i_list_my_tokens_without_their_secrets_and_revoke_one(api, member, other_member):
    client = api(member)
    spare, secret = AuthToken.objects.create(user=member)
    AuthToken.objects.create(user=other_member)
    tokens = client.get("/api/v1/me/tokens/").json()
    assert len(tokens) == 2
    assert {t["token_key"] for t in tokens} == set(
        AuthToken.objects.filter(user=member).values_list("token_key", flat=True)
    )
    assert sorted(t["current"] for t in tokens) == [False, True]
    assert all(set(t) == {"token_key", "created", "expiry", "current"} for t in tokens)
    assert secret not in str(tokens) and "digest" not in str(tokens)
    assert client.delete(f"/api/v1/me/tokens/{spare.token_key}/").status_code == 204
    assert not AuthToken.objects.filter(pk=spare.pk).exists()
    other_key = AuthToken.objects.get(user=other_member).token_key
    assert client.delete(f"/api/v1/me/tokens/{other_key}/").status_code == 404
    assert AuthToken.objects.filter(user=other_member).exists()


@pytest.mark.parametrize("page_size", [2, 20])
def test_sync_pages_take_the_same_queries_at_any_page_size(api, member, page_size, django_assert_num_queries):
    for _ in range(25):
        PaperFactory()
        MeetingFactory()
    paper_set_status(papers=Paper.objects.filter(pk__in=Paper.objects.order_by("pk")[:10]), status="hidden")
    client = api(member)
    with django_assert_num_queries(5):  # token and member, their tokens, page, its authors, its tags
        papers = client.get(PAPERS, {"updated_since": "2000-01-01T00:00:00Z", "page_size": page_size})
    with django_assert_num_queries(3):  # token and member, their tokens, page
        gone = client.get(DELETED, {"page_size": page_size})
    with django_assert_num_queries(4):  # token and member, their tokens, page, its agenda
        meetings = client.get(MEETINGS, {"updated_since": "2000-01-01T00:00:00Z", "page_size": page_size})
    assert len(meetings.json()["results"]) == page_size
    assert len(papers.json()["results"]) == min(page_size, 15)
    assert len(gone.json()["results"]) == min(page_size, 10)
