"""End-to-end: ReDoc renders the API reference under the site's CSP, loading nothing from elsewhere."""

import pytest

from readinggroup.tests.test_e2e_browser import _page, browser  # noqa: F401 (fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def test_redoc_renders_with_no_csp_violation_and_no_outside_request(browser, live_server):  # noqa: F811
    page = _page(browser)
    outside: list[str] = []
    page.on("request", lambda r: r.url.startswith((live_server.url, "blob:")) or outside.append(r.url))
    page.goto(f"{live_server.url}/api/v1/redoc/")
    page.locator("h2", has_text="List papers").first.wait_for()
    page.get_by_placeholder("Search...").fill("vote")  # the search runs in ReDoc's blob: worker
    page.wait_for_timeout(500)
    # ReDoc's bundle hard-codes its "API docs by Redocly" logo on cdn.redoc.ly: the CSP blocks it
    # (no request leaves) and the page's style hides that link. Nothing else may be blocked.
    assert set(outside) <= {REDOCLY_LOGO}
    blocked = [e for e in page.errors if "Content Security Policy" in e and REDOCLY_LOGO not in e]
    assert blocked == [], page.errors
    assert not page.locator(f'img[src="{REDOCLY_LOGO}"]').is_visible()


def test_only_the_redoc_page_allows_blob_workers(client, db):
    redoc = client.get("/api/v1/redoc/")["Content-Security-Policy"]
    swagger = client.get("/api/v1/docs/")["Content-Security-Policy"]
    assert "worker-src 'self' blob:" in redoc
    assert "blob:" not in swagger and "blob:" not in client.get("/")["Content-Security-Policy"]
    assert b"fonts.googleapis.com" not in client.get("/api/v1/redoc/").content
