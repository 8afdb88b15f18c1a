"""The "For you" page and its "Not interested" button, with and without JavaScript (htmx)."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from papers.discovery import for_you_cache_key
from papers.models import Dismissal, Paper
from papers.tests.factories import PaperFactory
from papers.tests.scripted_group import vote

pytestmark = pytest.mark.django_db
FOR_YOU = reverse("papers:for-you")


def _dismiss(pk: int) -> str:
    return reverse("papers:dismiss", args=[pk])


def _card_ids(response) -> list[int]:
    return [paper.pk for paper in response.context["papers"]]


def test_visitors_log_in_first_even_on_a_public_site(client, group):
    response = client.get(FOR_YOU)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_navigation_links_the_page_for_members_only(client, member):
    assert FOR_YOU not in client.get(reverse("home")).content.decode()
    client.force_login(member)
    assert f'href="{FOR_YOU}"' in client.get(reverse("home")).content.decode()
    assert f'<a href="{FOR_YOU}" aria-current="page">For you</a>' in client.get(FOR_YOU).content.decode()


def test_each_card_says_why_and_offers_not_interested(client, member, group):
    vote(member, group["A"][0])
    client.force_login(member)
    response = client.get(FOR_YOU)
    text = response.content.decode()
    first = _card_ids(response)[0]
    assert first in group["A"] and group["A"][0] not in _card_ids(response)
    assert "Like “Topic A paper 0”, which you voted for" in text
    assert "Trending in the group" in text
    assert f'action="{_dismiss(first)}"' in text and "Not interested" in text


def test_not_interested_works_without_javascript(client, member, group):
    vote(member, group["A"][0])
    client.force_login(member)
    first = _card_ids(client.get(FOR_YOU))[0]
    response = client.post(_dismiss(first), {"next": FOR_YOU})
    assert (response.status_code, response["Location"]) == (303, FOR_YOU)
    page = client.get(FOR_YOU)
    assert first not in _card_ids(page)
    title = Paper.objects.get(pk=first).title
    assert f"Not interested in “{title}”" in page.content.decode()
    # The paper's page offers the way back.
    detail = client.get(reverse("papers:detail", args=[first])).content.decode()
    assert "You said you are not interested in this paper" in detail
    client.post(_dismiss(first), {"dismissed": "0", "next": FOR_YOU})
    assert first in _card_ids(client.get(FOR_YOU))
    assert "not interested" not in client.get(reverse("papers:detail", args=[first])).content.decode()


def test_htmx_swaps_the_card_for_a_note_with_undo(client, member, group):
    client.force_login(member)
    paper = Paper.objects.get(pk=group["B"][2])
    response = client.post(_dismiss(paper.pk), {"next": FOR_YOU}, headers={"HX-Request": "true"})
    text = response.content.decode()
    assert response.status_code == 200 and f'id="paper-{paper.pk}"' in text
    assert f"Not interested in “{paper.title}”" in text and 'name="dismissed" value="0"' in text
    assert Dismissal.objects.filter(user=member, paper=paper).exists()


def test_dismissing_an_unknown_or_hidden_paper_is_a_404(client, member):
    client.force_login(member)
    hidden = PaperFactory(status=Paper.Status.HIDDEN)
    assert client.post(_dismiss(hidden.pk)).status_code == 404
    assert client.post(_dismiss(999_999)).status_code == 404
    assert not Dismissal.objects.exists()


def test_a_new_member_sees_the_groups_trending_papers(client, member, group):
    client.force_login(member)
    response = client.get(FOR_YOU)
    assert len(_card_ids(response)) == min(settings.PAGE_SIZE, 2 * len(group["A"]))
    assert "Like “" not in response.content.decode()


def test_an_empty_list_says_how_to_fill_it(client, member):
    client.force_login(member)
    assert "vote for a few papers" in client.get(FOR_YOU).content.decode()


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_page_runs_the_same_queries_for_few_and_many_papers(client, member, group):
    vote(member, group["A"][0])
    client.force_login(member)
    client.get(FOR_YOU)  # the process loads the papers' embeddings once
    cache.delete(for_you_cache_key(member.pk))
    few = _queries(client, FOR_YOU)
    PaperFactory.create_batch(settings.PAGE_SIZE)
    cache.delete(for_you_cache_key(member.pk))
    assert _queries(client, FOR_YOU) == few
