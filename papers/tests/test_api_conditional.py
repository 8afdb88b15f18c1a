"""Conditional GET on the paper list and detail: ETag / If-None-Match, Last-Modified /
If-Modified-Since; a vote changes both although it does not touch Paper.modified_at."""

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.utils import timezone
from django.utils.http import http_date, parse_http_date

from papers.services import paper_add_tags, paper_set_status, paper_vote_set
from papers.tests.factories import PaperFactory, TagFactory

LIST = "/api/v1/papers/"
pytestmark = pytest.mark.django_db


def _detail(paper) -> str:
    return f"/api/v1/papers/{paper.pk}/"


@pytest.mark.parametrize("path", ["list", "detail"])
def test_an_unchanged_resource_answers_304_without_a_body(api, member, path):
    paper = PaperFactory()
    url = LIST if path == "list" else _detail(paper)
    client = api(member)
    first = client.get(url)
    assert first["ETag"].startswith('W/"')
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert "Authorization" in again["Vary"]


@pytest.mark.parametrize("path", ["list", "detail"])
def test_a_vote_changes_the_etag(api, member, other_member, path):
    paper = PaperFactory()
    url = LIST if path == "list" else _detail(paper)
    client = api(member)
    etag = client.get(url)["ETag"]
    paper_vote_set(user=other_member, paper_id=paper.pk, voted=True)
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag
    body = response.json()
    assert (body["results"][0] if path == "list" else body)["vote_count"] == 1


def test_my_own_vote_and_unvote_give_new_etags(api, member):
    paper = PaperFactory()
    client = api(member)
    before = client.get(_detail(paper))["ETag"]
    client.put(f"/api/v1/papers/{paper.pk}/vote/")
    voted = client.get(_detail(paper))["ETag"]
    client.delete(f"/api/v1/papers/{paper.pk}/vote/")
    assert len({before, voted}) == 2
    assert client.get(_detail(paper), HTTP_IF_NONE_MATCH=voted).status_code == 200


def test_changes_outside_the_row_change_the_etag(api, member):
    paper = PaperFactory()
    client = api(member)
    etag = client.get(LIST)["ETag"]
    paper_add_tags(papers=type(paper).objects.filter(pk=paper.pk), tags=[TagFactory(name="New topic")])
    tagged = client.get(LIST, HTTP_IF_NONE_MATCH=etag)
    assert tagged.status_code == 200
    newcomer = PaperFactory()
    assert client.get(LIST, HTTP_IF_NONE_MATCH=tagged["ETag"]).json()["results"][0]["id"] == newcomer.pk


def test_a_paper_leaving_the_list_changes_the_etag(api, member):
    paper = PaperFactory()
    client = api(member)
    etag = client.get(LIST)["ETag"]
    paper_set_status(papers=type(paper).objects.filter(pk=paper.pk), status="hidden")
    assert client.get(LIST, HTTP_IF_NONE_MATCH=etag).json()["results"] == []


def test_members_and_anonymous_clients_get_different_etags_for_different_bodies(api, member):
    paper = PaperFactory()
    paper_vote_set(user=member, paper_id=paper.pk, voted=True)
    assert api(member).get(LIST)["ETag"] != api().get(LIST)["ETag"]


def test_if_modified_since_answers_304_until_the_resource_changes(api, member, other_member):
    paper = PaperFactory()
    client = api(member)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        first = client.get(_detail(paper))
        stamp = first["Last-Modified"]
        clock.shift(timedelta(seconds=5))
        assert client.get(_detail(paper), HTTP_IF_MODIFIED_SINCE=stamp).status_code == 304
        paper_vote_set(user=other_member, paper_id=paper.pk, voted=True)  # same second as nothing else
        changed = client.get(_detail(paper), HTTP_IF_MODIFIED_SINCE=stamp)
    assert changed.status_code == 200
    assert parse_http_date(changed["Last-Modified"]) > parse_http_date(stamp)


def test_last_modified_moves_on_even_within_one_second(api, member, other_member):
    paper = PaperFactory()
    client = api(member)
    with time_machine.travel(timezone.now(), tick=False):
        stamp = client.get(_detail(paper))["Last-Modified"]
        paper_vote_set(user=other_member, paper_id=paper.pk, voted=True)
        assert client.get(_detail(paper), HTTP_IF_MODIFIED_SINCE=stamp).status_code == 200


def test_if_none_match_wins_over_if_modified_since(api, member, other_member):
    paper = PaperFactory()
    client = api(member)
    first = client.get(_detail(paper))
    response = client.get(
        _detail(paper), HTTP_IF_NONE_MATCH='W/"something-else"', HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]
    )
    assert response.status_code == 200
    future = http_date((timezone.now() + timedelta(days=1)).timestamp())
    assert (
        client.get(_detail(paper), HTTP_IF_NONE_MATCH="*", HTTP_IF_MODIFIED_SINCE=future).status_code == 304
    )


def test_garbage_validators_are_ignored(api, member):
    paper = PaperFactory()
    client = api(member)
    assert client.get(_detail(paper), HTTP_IF_MODIFIED_SINCE="yesterday-ish").status_code == 200
    assert client.get(_detail(paper), HTTP_IF_NONE_MATCH='"unbalanced').status_code == 200


def test_the_304_is_decided_before_serialising(api, member):
    paper = PaperFactory()
    client = api(member)
    list_etag, detail_etag = client.get(LIST)["ETag"], client.get(_detail(paper))["ETag"]
    with mock.patch("papers.api.PaperSerializer.to_representation") as serialise:
        assert client.get(LIST, HTTP_IF_NONE_MATCH=list_etag).status_code == 304
        assert client.get(_detail(paper), HTTP_IF_NONE_MATCH=detail_etag).status_code == 304
    serialise.assert_not_called()  # the detail serializer inherits it


# --- Committed changes elsewhere ----------------------------------------------------------------


def test_an_unrelated_write_still_ends_in_304(api, member, other_member):
    paper = PaperFactory()
    client = api(member)
    etag = client.get(_detail(paper))["ETag"]
    other_member.display_name = "Someone else"
    other_member.save()
    assert client.get(_detail(paper), HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_validators_are_per_member_and_per_format(api, member, other_member):
    paper = PaperFactory()
    paper_vote_set(user=member, paper_id=paper.pk, voted=True)
    mine = api(member)
    etag = mine.get(_detail(paper))["ETag"]
    assert mine.get(_detail(paper), HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert api(other_member).get(_detail(paper), HTTP_IF_NONE_MATCH=etag).status_code == 200  # not voted
    html = mine.get(_detail(paper), HTTP_IF_NONE_MATCH=etag, HTTP_ACCEPT="text/html")
    assert html.status_code == 200
