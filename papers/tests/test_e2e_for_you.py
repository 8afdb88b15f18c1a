"""End-to-end: "Not interested" on the For you page in headless Chromium (see
readinggroup/tests/test_e2e_browser.py): the card goes in place (htmx), stays gone after a
reload, and Undo brings it back."""

import pytest
from django.urls import reverse

from members.tests.factories import UserFactory
from papers.models import Dismissal, Paper
from papers.tests.scripted_group import vote
from readinggroup.tests.test_e2e_browser import _page, browser, log_in_as  # noqa: F401 - the fixture

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
FOR_YOU = reverse("papers:for-you")


def test_a_member_dismisses_a_paper_in_place_it_stays_gone_and_comes_back_on_undo(
    browser,  # noqa: F811
    live_server,
    group,
):
    from playwright.sync_api import expect

    member = UserFactory(username="reader")
    vote(member, group["A"][0], group["A"][1])
    page = _page(browser)
    log_in_as(page, live_server.url, "reader", FOR_YOU)
    cards = page.locator("article.paper")
    first_id = cards.first.get_attribute("id")
    pk = int(first_id.removeprefix("paper-"))
    title = Paper.objects.get(pk=pk).title
    assert pk in group["A"][2:]  # the member's topic comes first
    expect(cards.first).to_contain_text("which you voted for")
    page.evaluate("window.__same_page = true")  # gone if the page reloads

    cards.first.get_by_role("button", name="Not interested").click()
    note = page.locator(f"#{first_id}")
    expect(note).to_have_class("dismissed")
    expect(note).to_contain_text(f"Not interested in “{title}”")
    expect(page.get_by_role("heading", name=title)).to_have_count(0)
    assert page.evaluate("window.__same_page") is True  # swapped in place, not reloaded
    assert Dismissal.objects.filter(user=member, paper_id=pk).exists()

    page.reload()
    expect(page.locator("article.paper").first).to_be_visible()
    expect(page.locator(f"article#{first_id}")).to_have_count(0)
    expect(page.get_by_role("heading", name=title)).to_have_count(0)

    # Another one, taken back with the note's Undo: it is in the list again.
    second = page.locator("article.paper").first
    second_id = second.get_attribute("id")
    second.get_by_role("button", name="Not interested").click()
    second_note = page.locator(f"div#{second_id}")
    expect(second_note).to_contain_text("Not interested in")
    second_note.get_by_role("button", name="Undo").click()
    page.wait_for_url(f"{live_server.url}{FOR_YOU}")
    expect(page.get_by_text("may come back in For you")).to_be_visible()
    expect(page.locator(f"article#{second_id}")).to_have_count(1)
    expect(page.locator(f"article#{first_id}")).to_have_count(0)
    assert list(Dismissal.objects.filter(user=member).values_list("paper_id", flat=True)) == [pk]
    assert page.errors == []
