"""End-to-end: a discussion in headless Chromium (see readinggroup/tests/test_e2e_browser.py)."""

import re

import pytest

from discussions import services
from discussions.models import Comment
from members.tests.factories import UserFactory
from papers.tests.factories import PaperFactory
from readinggroup.tests.test_e2e_browser import _page, browser, log_in_as  # noqa: F401 - the fixture

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_members_post_reply_edit_see_others_live_and_an_organiser_hides(browser, live_server, settings):  # noqa: F811
    from playwright.sync_api import expect

    settings.DISCUSSION_POLL_SECONDS = 2
    UserFactory(username="reader")
    other = UserFactory(username="otto", display_name="Otto")
    UserFactory(username="boss", role="organiser")
    paper = PaperFactory(title="Graph networks for weather")
    path = paper.get_absolute_url()
    page = _page(browser)
    log_in_as(page, live_server.url, "reader", path)
    page.evaluate("window.__same_page = true")  # gone if the page reloads

    # Post, with math and a mention picked from the suggestions.
    box = page.locator("#comment-body-new")
    box.fill("Is the loss $\\sum_i x_i^2$ convex? Asking @ott")
    box.press("o")
    page.get_by_role("button", name="@otto (Otto)").click()
    page.get_by_role("button", name="Comment", exact=True).click()
    root = page.locator("article.comment").first
    expect(root.locator(".katex")).to_be_visible()
    expect(root.get_by_role("link", name="@otto")).to_have_attribute("href", "/discussions/members/otto/")
    expect(page.locator("#comment-body-new")).to_have_value("")

    # Reply, then edit the reply.
    root.get_by_role("link", name="Reply", exact=True).first.click()
    page.locator(".reply-slot textarea").fill("Yes, it is.")
    page.get_by_role("button", name="Reply", exact=True).click()
    reply = page.locator("article.reply")
    expect(reply).to_contain_text("Yes, it is.")
    reply.get_by_role("link", name="Edit").click()
    page.locator(f"form#comment-{Comment.objects.get(body='Yes, it is.').pk} textarea").fill(
        "Yes, it is convex."
    )
    page.get_by_role("button", name="Save").click()
    expect(page.locator("article.reply")).to_contain_text("Yes, it is convex.")
    expect(page.locator("article.reply")).to_contain_text("(edited)")

    # Someone else comments: it appears without a reload.
    polls: list[str] = []
    page.on("request", lambda request: polls.append(request.url) if "/comments/new/" in request.url else None)
    services.comment_create(author=other, target=paper, body="Nice question, **reader**.")
    expect(page.get_by_text("Nice question,")).to_be_visible(timeout=8_000)
    # A second one is appended after it; the first is not sent (nor shown) again.
    services.comment_create(author=other, target=paper, body="And a follow-up.")
    expect(page.get_by_text("And a follow-up.")).to_be_visible(timeout=8_000)
    expect(page.get_by_text("Nice question,")).to_have_count(1)
    cursors = [int(url.rsplit("after=", 1)[1]) for url in polls]
    assert cursors == sorted(cursors) and cursors[-1] > cursors[0]
    assert page.evaluate("window.__same_page") is True
    assert page.errors == []

    # An organiser hides the question; members then see its place only.
    boss = _page(browser)
    log_in_as(boss, live_server.url, "boss", path)
    question = boss.locator("article.comment").first
    question.get_by_role("button", name="Hide").first.click()
    expect(boss.locator("article.comment").first).to_contain_text("Hidden from members")
    page.reload()
    expect(page.locator("article.comment").first).to_contain_text("hidden by an organiser")
    assert Comment.objects.filter(hidden_at__isnull=False).count() == 1
    assert boss.errors == [] and re.search("convex", page.content())
