"""End-to-end: the papers admin's change list in headless Chromium at desktop and phone widths.

Screenshots go to a temporary folder (printed); the test fails when the list's columns are wider
than the screen, as they were before issue 24.
"""

import pytest

from members.tests.factories import UserFactory
from papers.tests.factories import PaperFactory, TagFactory
from readinggroup.tests.test_e2e_browser import PASSWORD, SIZES, _page, browser  # noqa: F401 (fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
LONG_TITLE = (
    "A very long title about scalable diffusion models for weather forecasting with graph networks, "
    "sparse attention and a great many words that organisers still need to read at a glance"
)
AUTHORS = [f"Author Longname{i}" for i in range(12)]


@pytest.fixture
def admin_site(live_server):
    UserFactory(username="organiser", role="organiser")
    tags = [TagFactory(name=f"Topic with a long name {i}") for i in range(8)]
    for number in range(6):
        PaperFactory(title=f"{LONG_TITLE} {number}", authors=AUTHORS, tags=tags)
    return live_server.url


def _overflow(page) -> dict:
    return page.evaluate(
        """() => {
            const results = document.querySelector('#changelist .results');
            return {
                page: document.documentElement.scrollWidth - window.innerWidth,
                list: results.scrollWidth - results.clientWidth,
                row: document.querySelector('#result_list tbody tr').getBoundingClientRect().height,
            };
        }"""
    )


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_paper_list_fits_the_screen(browser, admin_site, size, tmp_path_factory):  # noqa: F811
    page = _page(browser, size=size)
    page.goto(f"{admin_site}/admin/login/?next=/admin/papers/paper/")
    page.get_by_label("Username").fill("organiser")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{admin_site}/admin/papers/paper/")
    folder = tmp_path_factory.mktemp("admin-screenshots")
    page.screenshot(path=folder / f"admin-papers-{size}.png", full_page=True)
    print(f"\nscreenshot: {folder / f'admin-papers-{size}.png'} ({SIZES[size]['width']} px)")
    overflow = _overflow(page)
    assert overflow["page"] <= 0, overflow
    assert overflow["list"] <= 0, overflow
    assert overflow["row"] < 200, overflow  # two or three lines, not ~300 px
    assert "et al." in page.locator("#result_list tbody tr").first.inner_text()
    # (page.errors is not checked: the admin asks for /favicon.ico, which only the site pages link.)
