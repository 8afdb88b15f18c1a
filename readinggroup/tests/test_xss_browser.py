"""The XSS corpus in a real browser: headless Chromium (Debian's build, driven by Playwright)
opens the pages where the corpus shows, logged in and not, with the Content-Security-Policy
switched off so that the policy cannot hide a hole, and must see no dialog and no error."""

import pytest
from django.urls import reverse

from readinggroup.tests import test_e2e_browser
from readinggroup.tests.test_xss import PASSWORD, _build_corpus, _EchoSummariser

browser = test_e2e_browser.browser  # the shared headless Chromium fixture


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_browser_runs_nothing_from_the_corpus(browser, live_server, organiser, monkeypatch):
    """Headless Chromium, Content-Security-Policy bypassed: no dialog, no script error, no
    request for a payload's image, on the pages where the corpus shows, logged in or not."""
    # Summaries queued on commit run in-process here: the echoing summariser writes them too.
    monkeypatch.setattr("papers.summaries.get_backend", lambda *args, **kwargs: _EchoSummariser())
    data = _build_corpus(organiser)
    events: list[str] = []
    context = browser.new_context(bypass_csp=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("dialog", lambda dialog: (events.append(f"dialog {dialog.message!r}"), dialog.dismiss()))
    page.on("console", lambda message: message.type == "error" and events.append(f"console {message.text}"))
    page.on("pageerror", lambda error: events.append(f"error {error}"))
    # The harness itself: a page that does run a payload is caught.
    page.set_content("<img src=x onerror=alert(999)>")
    page.wait_for_timeout(200)
    assert any("999" in event for event in events), events
    events.clear()

    paths = [
        reverse("home"),
        reverse("papers:new"),
        reverse("papers:search") + "?q=script",
        data["meeting"].get_absolute_url(),
        *[paper.get_absolute_url() for paper in data["papers"][:12]],
    ]
    visited = 0
    for logged_in in (False, True):
        if logged_in:
            page.goto(f"{live_server.url}{reverse('login')}")
            page.get_by_label("Username").fill(organiser.username)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(f"{live_server.url}/")
            paths += [reverse("meetings:organise", args=[data["meeting"].pk]), reverse("members:invitations")]
        for path in paths:
            page.goto(live_server.url + path)
            page.wait_for_load_state("load")
            assert "alert(" in page.content()  # the corpus is on the page, as text
            visited += 1
    page.wait_for_timeout(300)  # let any late handler (autofocus, ontoggle) fire
    context.close()
    assert visited >= 30 and events == []
