"""End-to-end: the real site in headless Chromium (Debian's build) driven by Playwright.

Skipped when /usr/bin/chromium is missing, except under CI=true, where that fails.
Screenshots of the main pages at desktop and phone widths go to var/screenshots/.
"""

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from meetings.models import RSVP
from meetings.tests.factories import AgendaItemFactory, MeetingFactory
from members.tests.factories import UserFactory
from papers.models import Paper
from papers.tests.factories import PaperFactory, TagFactory

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery staple"
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
TIMEOUT_MS = 10_000

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# An arXiv API answer in its Atom format, written for this test.
ARXIV_ENTRY = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"
      xmlns:arxiv="http://arxiv.org/schemas/atom">
  <title>arXiv Query: id_list=2601.04321</title>
  <id>http://arxiv.org/api/e2e</id>
  <updated>2026-01-02T00:00:00-05:00</updated>
  <opensearch:totalResults>1</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>
  <entry>
    <id>http://arxiv.org/abs/2601.04321v1</id>
    <updated>2026-01-02T10:00:00Z</updated>
    <published>2026-01-02T10:00:00Z</published>
    <title>Choosing What to Read Next in Small Reading Groups</title>
    <summary>We study how small groups pick papers to discuss. Members vote on a shared queue.
    The most voted papers are read first, and the queue stays short.</summary>
    <author><name>Rita Example</name></author>
    <author><name>Sam Sample</name></author>
    <link href="http://arxiv.org/abs/2601.04321v1" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/2601.04321v1" rel="related" type="application/pdf"/>
    <arxiv:primary_category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
</feed>
"""


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and {CHROMIUM} is missing: .ci/browser installs Debian's chromium.")
        pytest.skip(f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; the ORM calls the tests
    # make between browser steps are still plain synchronous code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def site(live_server, settings):
    settings.AXES_ENABLED = True  # log in through the real rate-limited path
    member = UserFactory(username="reader")
    paper = PaperFactory(
        title="Weather forecasting with graph networks", tags=[TagFactory(name="Forecasting")]
    )
    PaperFactory(title="A second paper about speech")
    meeting = MeetingFactory(title="Forecasting night")
    AgendaItemFactory(meeting=meeting, paper=paper)
    return {"url": live_server.url, "member": member, "paper": paper, "meeting": meeting}


def _page(browser, *, javascript: bool = True, size: str = "desktop"):
    context = browser.new_context(java_script_enabled=javascript, viewport=SIZES[size])
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.errors = []
    page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


def _log_in(page, site, next_path: str = "/") -> None:
    log_in_as(page, site["url"], "reader", next_path)


def log_in_as(page, url: str, username: str, next_path: str = "/") -> None:
    """Log in through the form (password PASSWORD) and wait for the page it sends on to."""
    page.goto(f"{url}/accounts/login/?next={next_path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}{next_path}")


def _vote_button(page, paper: Paper):
    return page.locator(f"#paper-{paper.pk}").get_by_role("button", name=re.compile("vote"))


def test_a_member_votes_and_unvotes_in_place(browser, site):
    from playwright.sync_api import expect

    page = _page(browser)
    _log_in(page, site)
    button = _vote_button(page, site["paper"])
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(button).to_contain_text("0")
    page.evaluate("window.__same_page = true")  # gone if the page reloads
    button.click()
    expect(_vote_button(page, site["paper"])).to_have_attribute("aria-pressed", "true")
    expect(_vote_button(page, site["paper"])).to_contain_text("1 vote")
    assert page.evaluate("window.__same_page") is True
    assert Paper.objects.get(pk=site["paper"].pk).vote_count == 1
    _vote_button(page, site["paper"]).click()
    expect(_vote_button(page, site["paper"])).to_have_attribute("aria-pressed", "false")
    expect(_vote_button(page, site["paper"])).to_contain_text("0 votes")
    assert page.evaluate("window.__same_page") is True
    assert Paper.objects.get(pk=site["paper"].pk).vote_count == 0
    assert page.errors == []  # no CSP violation, no script error


def test_a_member_votes_with_javascript_off(browser, site):
    from playwright.sync_api import expect

    page = _page(browser, javascript=False)
    _log_in(page, site, next_path="/papers/new/")
    _vote_button(page, site["paper"]).click()
    page.wait_for_url(re.compile(r"/papers/new/#paper-\d+$"))
    expect(_vote_button(page, site["paper"])).to_have_attribute("aria-pressed", "true")
    expect(_vote_button(page, site["paper"])).to_contain_text("1 vote")
    assert Paper.objects.get(pk=site["paper"].pk).vote_count == 1


def test_a_visitor_who_votes_logs_in_and_comes_back(browser, site):
    page = _page(browser)
    page.goto(f"{site['url']}/papers/trending/")
    _vote_button(page, site["paper"]).click()
    page.wait_for_url(re.compile(r"/accounts/login/\?next=/papers/trending/"))
    page.get_by_label("Username").fill("reader")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{site['url']}/papers/trending/")


def test_a_member_answers_an_rsvp_and_searches(browser, site):
    from playwright.sync_api import expect

    page = _page(browser)
    _log_in(page, site, next_path=site["meeting"].get_absolute_url())
    page.evaluate("window.__same_page = true")
    page.get_by_role("button", name="Yes").click()
    expect(page.get_by_role("button", name="Yes")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#rsvp")).to_contain_text("1 coming")
    assert page.evaluate("window.__same_page") is True
    assert RSVP.objects.get(user=site["member"]).answer == "yes"

    page.get_by_role("searchbox", name="Search papers").fill("weather")
    page.get_by_role("search").get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/papers/search/\?q=weather"))
    expect(page.locator("mark").first).to_have_text(re.compile("weather", re.I))
    expect(page.locator(".paper")).to_have_count(1)
    assert page.errors == []


def test_search_as_you_type_finds_a_described_paper_and_an_id_jumps_to_it(browser, site):
    from playwright.sync_api import expect

    paper = site["paper"]
    Paper.objects.filter(pk=paper.pk).update(arxiv_id="2601.04567")
    page = _page(browser)
    _log_in(page, site, next_path="/papers/search/")
    page.evaluate("window.__same_page = true")  # gone if the page reloads
    box = page.get_by_label("Words to find in titles, TL;DRs, keywords and abstracts")
    box.fill("forecasts of weather from graphs")  # not every word is in the title: ranked
    results = page.locator("#search-results .paper")
    expect(results.first).to_contain_text("Weather forecasting with graph networks")
    assert page.evaluate("window.__same_page") is True
    page.wait_for_url(re.compile(r"/papers/search/\?q=forecasts"))  # hx-push-url keeps the query

    box.fill("arXiv:2601.04567")
    page.wait_for_url(f"{site['url']}{paper.get_absolute_url()}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Weather forecasting with graph networks")
    assert page.errors == []


def test_a_member_suggests_a_paper_by_arxiv_id(browser, site, settings, httpserver):
    from playwright.sync_api import expect

    httpserver.expect_request("/api/query").respond_with_data(
        ARXIV_ENTRY, content_type="application/atom+xml"
    )
    settings.ARXIV_API_URL = httpserver.url_for("/api/query")
    page = _page(browser)
    _log_in(page, site)
    page.get_by_role("link", name="Suggest a paper").click()
    page.get_by_label(re.compile("arXiv URL or id")).fill("not a paper at all")
    page.get_by_role("button", name="Suggest").click()
    expect(page.locator(".field .error")).to_be_visible()
    page.get_by_label(re.compile("arXiv URL or id")).fill("https://arxiv.org/abs/2601.04321v1")
    page.get_by_role("button", name="Suggest").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Choosing What to Read Next in Small Reading Groups"
    )
    paper = Paper.objects.get(arxiv_id="2601.04321")
    assert paper.submitted_by == site["member"] and paper.status == Paper.Status.LISTED


def test_screenshots_of_the_main_pages(browser, site):
    from playwright.sync_api import expect

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pages = {
        "home": "/",
        "paper": site["paper"].get_absolute_url(),
        "meeting": site["meeting"].get_absolute_url(),
    }
    for size in SIZES:
        page = _page(browser, size=size)
        _log_in(page, site)
        for name, path in pages.items():
            page.goto(site["url"] + path)
            expect(page.get_by_role("main")).to_be_visible()
            target = SCREENSHOTS / f"{name}-{size}.png"
            page.screenshot(path=str(target), full_page=True)
            assert target.stat().st_size > 5_000
        # Nothing may stick out sideways at phone width.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert page.errors == []
        page.context.close()


# Every feed and export a member can use, by URL name: each must be reachable from the pages.
FEEDS_AND_EXPORTS = {
    "feeds:papers-new-rss": "application/rss+xml",
    "feeds:papers-new-atom": "application/atom+xml",
    "feeds:queue-rss": "application/rss+xml",
    "feeds:queue-atom": "application/atom+xml",
    "feeds:meetings-rss": "application/rss+xml",
    "feeds:meetings-atom": "application/atom+xml",
    "feeds:tag-rss": "application/rss+xml",  # a tag's (a topic's) papers, from the tag's page
    "feeds:tag-atom": "application/atom+xml",
    "meetings:calendar": "text/calendar",
    "meetings:member-calendar": "text/calendar",
    "meetings:bibtex": "application/x-bibtex",
    "meetings:csv": "text/csv",
    "papers:bibtex": "application/x-bibtex",
    "members:export": "application/json",
}


def test_every_feed_the_url_conf_has_is_listed_here():
    from readinggroup import feeds_urls

    # A paper's comments feed is linked from that paper's discussion (checked in discussions/tests).
    per_paper = {"feeds:paper-comments-atom"}
    assert {f"feeds:{pattern.name}" for pattern in feeds_urls.urlpatterns} <= set(
        FEEDS_AND_EXPORTS
    ) | per_paper


def _subscribe_links(page) -> list[str]:
    """The page's visible feed and export links, as absolute http(s) addresses (webcal:// is the
    same address for calendar apps)."""
    hrefs = page.locator("aside.subscribe a, #calendar-section a, #data-section a[download]").evaluate_all(
        "links => links.filter(a => a.offsetParent !== null).map(a => a.href)"
    )
    return [href.replace("webcal://", "http://", 1) for href in hrefs]


def test_a_member_reaches_every_feed_and_export_from_the_pages(browser, site):
    from django.urls import resolve
    from playwright.sync_api import expect

    page = _page(browser)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    _log_in(page, site)
    found = set(_subscribe_links(page))
    assert page.locator("head link[rel=alternate]").count() == 4  # what a feed reader sees
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sessions").click()
    found.update(_subscribe_links(page))
    page.get_by_role("link", name=site["meeting"].title).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(site["meeting"].title)
    found.update(_subscribe_links(page))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tags").click()
    page.get_by_role("link", name="Forecasting").first.click()
    found.update(_subscribe_links(page))
    page.get_by_role("link", name=site["member"].public_name).click()
    found.update(_subscribe_links(page))

    # The private calendar's "copy" button (shown by the site's script) puts the address on the clipboard.
    page.get_by_role("button", name="Copy").click()
    expect(page.locator(".copy-status").first).to_have_text("Copied.")
    address = page.locator("#calendar-url").input_value()
    assert page.evaluate("navigator.clipboard.readText()") == address
    assert address in found

    reached = {}
    for url in found:
        name = resolve(urlsplit(url).path).view_name
        if name == "members:profile":  # the sessions' pointer to the private calendar
            continue
        response = page.request.get(url)
        assert response.status == 200, url
        assert response.headers["content-type"].startswith(FEEDS_AND_EXPORTS[name]), url
        reached[name] = url
    assert set(reached) == set(FEEDS_AND_EXPORTS)
    assert page.errors == []  # no CSP violation, no script error
