"""Exports, calendars and suggestions are limited per member, else per client address, on the
pages and in the API alike (readinggroup.rest.throttles, end); time is mocked."""

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from meetings.tests.factories import AgendaItemFactory, RSVPFactory
from outbox.tests.helpers import intercept
from papers import tasks
from papers.models import Paper
from papers.tests.factories import PaperFactory
from readinggroup.envparse import env_rate

pytestmark = pytest.mark.django_db


def _from(address: str, user=None) -> Client:
    client = Client(REMOTE_ADDR=address)
    if user is not None:
        client.force_login(user)
    return client


def test_the_bibtex_exports_are_limited_per_address_and_freed_after_the_period(settings):
    settings.EXPORT_RATE = "2/minute"
    item = AgendaItemFactory(paper=PaperFactory())
    here, there = _from("192.0.2.1"), _from("192.0.2.2")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        papers, session = reverse("papers:bibtex"), reverse("meetings:bibtex", args=[item.meeting_id])
        assert [here.get(url).status_code for url in (papers, session)] == [200, 200]
        limited = here.get(papers)
        assert (limited.status_code, limited["Retry-After"]) == (429, "60")
        assert (
            limited.content.decode()
            == "Too many exports from here in a short time. Try again in 60 seconds.\n"
        )
        assert here.get(session).status_code == 429  # one limit for every export
        assert there.get(papers).status_code == 200
        clock.shift(timedelta(seconds=61))
        assert here.get(papers).status_code == 200


def test_members_are_counted_apart_from_the_address_they_share(settings, member, other_member):
    settings.EXPORT_RATE = "1/hour"
    mine, theirs = _from("192.0.2.1", member), _from("192.0.2.1", other_member)
    with time_machine.travel(timezone.now(), tick=False):
        assert [mine.get(reverse("papers:bibtex")).status_code for _ in range(2)] == [200, 429]
        assert theirs.get(reverse("papers:bibtex")).status_code == 200
        assert _from("192.0.2.1").get(reverse("papers:bibtex")).status_code == 200
        assert "Try again in 60 minutes." in mine.get(reverse("papers:bibtex")).content.decode()


def test_calendar_apps_polling_every_15_minutes_are_never_limited(member, other_member):
    # The default rates; every member's calendar fetched from one calendar service's address.
    for user in (member, other_member):
        RSVPFactory(user=user)
    service = _from("198.51.100.7")
    urls = [reverse("meetings:calendar")] + [
        reverse("meetings:member-calendar", args=[u.calendar_token]) for u in (member, other_member)
    ]
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(4 * 24):
            assert [service.get(url).status_code for url in urls] == [200, 200, 200]
            clock.shift(timedelta(minutes=15))


def test_a_private_calendar_is_limited_per_owner_wherever_it_is_fetched_from(settings, member, other_member):
    settings.CALENDAR_RATE = "2/hour"
    mine = reverse("meetings:member-calendar", args=[member.calendar_token])
    theirs = reverse("meetings:member-calendar", args=[other_member.calendar_token])
    with time_machine.travel(timezone.now(), tick=False):
        assert [_from(f"192.0.2.{n}").get(mine).status_code for n in range(3)] == [200, 200, 429]
        assert _from("192.0.2.9").get(theirs).status_code == 200
        assert [_from("192.0.2.9").get(reverse("meetings:calendar")).status_code for _ in range(3)] == [
            200,
            200,
            429,
        ]


def test_the_organisers_csv_exports_share_the_limit_and_say_so(settings, client, organiser):
    settings.EXPORT_RATE = "1/hour"
    organiser.is_staff = True
    organiser.save()
    client.force_login(organiser)
    paper = PaperFactory()
    action = {"action": "export_csv", "_selected_action": [paper.pk]}
    url = reverse("admin:papers_paper_changelist")
    with time_machine.travel(timezone.now(), tick=False):
        first = client.post(url, action)
        assert first.status_code == 200 and first["Content-Type"].startswith("text/csv")
        refused = client.post(url, action, follow=True)
    assert "Too many exports from here in a short time. Try again in 60 minutes." in refused.content.decode()


@pytest.fixture
def no_fetch(monkeypatch):
    delay = mock.Mock()
    intercept(monkeypatch, tasks.fetch_paper_metadata, delay)
    return delay


def test_suggestions_on_the_web_and_in_the_api_share_one_limit_per_member(
    settings, member, other_member, api, no_fetch
):
    settings.SUGGEST_RATE = "2/hour"
    web, phone = _from("192.0.2.1", member), api(member)
    url = reverse("papers:suggest")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert web.post(url, {"reference": "2401.00001"}).status_code == 302
        assert phone.post("/api/v1/papers/", {"reference": "2401.00002"}, format="json").status_code == 201
        refused = web.post(url, {"reference": "2401.00003"})
        assert (refused.status_code, refused["Retry-After"]) == (429, "3600")
        assert "You have suggested many papers in a short time. Try again in 60 minutes." in (
            refused.content.decode()
        )
        throttled = phone.post("/api/v1/papers/", {"reference": "2401.00004"}, format="json")
        assert throttled.status_code == 429
        body = throttled.json()
        assert (body["code"], body["errors"], body["retry_after"]) == ("throttled", {}, 3600)
        assert body["detail"].startswith("You have suggested many papers in a short time.")
        assert throttled["Retry-After"] == "3600"
        assert set(Paper.objects.values_list("arxiv_id", flat=True)) == {"2401.00001", "2401.00002"}
        assert api(other_member).post("/api/v1/papers/", {"reference": "2401.00005"}).status_code == 201
        clock.shift(timedelta(hours=1, seconds=1))
        assert web.post(url, {"reference": "2401.00006"}).status_code == 302
    assert len(no_fetch.mock_calls) == 4


@pytest.mark.parametrize("raw", ["20", "20/fortnight", "x/hour", "-1/hour", "20 / hour", "1/hr", "0/minute"])
def test_a_malformed_rate_stops_the_site_with_a_message(monkeypatch, raw):
    monkeypatch.setenv("SUGGEST_RATE", raw)
    with pytest.raises(ImproperlyConfigured, match="SUGGEST_RATE"):
        env_rate("SUGGEST_RATE", default="20/hour")


def test_a_rate_is_read_from_the_environment_or_the_default(monkeypatch):
    assert env_rate("SUGGEST_RATE", default="20/hour") == "20/hour"
    monkeypatch.setenv("SUGGEST_RATE", " 5/Minute ")
    assert env_rate("SUGGEST_RATE", default="20/hour") == "5/minute"


@pytest.mark.parametrize(
    ("raw", "rate"), [("3/s", "3/second"), ("30/min", "30/minute"), ("4/H", "4/hour"), ("100/d", "100/day")]
)
def test_the_short_forms_drf_takes_are_written_out(monkeypatch, raw, rate):
    monkeypatch.setenv("SUGGEST_RATE", raw)
    assert env_rate("SUGGEST_RATE", default="20/hour") == rate


def test_anonymous_exports_of_a_private_site_count_before_the_log_in_page(settings):
    settings.SITE_PUBLIC, settings.EXPORT_RATE = False, "1/minute"
    here = _from("192.0.2.1")
    with time_machine.travel(timezone.now(), tick=False):
        assert [here.get(reverse("papers:bibtex")).status_code for _ in range(2)] == [302, 429]
