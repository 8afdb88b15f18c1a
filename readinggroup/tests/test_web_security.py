"""Site-wide web rules: CSP on every HTML page, no inline script or style, landmarks, htmx served locally."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from meetings.tests.factories import AgendaItemFactory
from papers.tests.factories import PaperFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(db):
    tag = TagFactory()
    paper = PaperFactory(tags=[tag])
    item = AgendaItemFactory(paper=paper)
    return [
        reverse("home"),
        reverse("papers:trending"),
        reverse("papers:new"),
        reverse("papers:daily"),
        reverse("papers:tags"),
        tag.get_absolute_url(),
        paper.get_absolute_url(),
        reverse("papers:search") + "?q=example",
        reverse("papers:suggest"),
        reverse("meetings:list"),
        item.meeting.get_absolute_url(),
        reverse("members:profile"),
        reverse("members:invitations"),
        reverse("login"),
        reverse("password_reset"),
        reverse("password_change"),
    ]


def test_every_page_sends_a_strict_content_security_policy(client, organiser, pages):
    client.force_login(organiser)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, url
        assert "frame-ancestors 'none'" in policy and "form-action 'self'" in policy


def test_no_page_has_inline_script_or_style(client, organiser, pages):
    client.force_login(organiser)
    for url in pages:
        html = client.get(url).content.decode()
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert scripts and all("src=" in tag for tag in scripts), url
        assert not re.search(r"<style\b|\sstyle=", html), url


def test_every_page_has_landmarks_a_skip_link_and_labelled_search(client, pages):
    html = client.get(pages[0]).content.decode()
    for landmark in ['<header class="site-header">', '<nav aria-label="Main"', '<main id="main"', "<footer"]:
        assert landmark in html
    assert 'href="#main"' in html and '<label for="site-search"' in html


def test_every_post_form_carries_a_csrf_token(client, organiser, pages):
    client.force_login(organiser)
    for url in pages:
        html = client.get(url).content.decode()
        for form in re.findall(r'<form[^>]*method="post".*?</form>', html, re.S):
            assert "csrfmiddlewaretoken" in form, (url, form[:200])


def test_htmx_is_served_by_the_site_with_csp_friendly_settings(client):
    html = client.get(reverse("home")).content.decode()
    assert '<script src="/static/vendor/htmx/htmx.min.js" defer>' in html
    assert '"includeIndicatorStyles": false' in html and '"allowEval": false' in html
    path = finders.find("vendor/htmx/htmx.min.js")
    with open(path, encoding="utf-8") as handle:
        assert 'version:"2.0.11"' in handle.read()


def test_the_site_can_be_made_members_only(client, settings, member):
    settings.SITE_PUBLIC = False
    for name in ["home", "papers:daily", "papers:search", "meetings:list"]:
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), name
    client.force_login(member)
    assert client.get(reverse("home")).status_code == 200


def test_production_static_files_are_hashed_and_compressed(client, settings, tmp_path):
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    html = client.get(reverse("home")).content.decode()
    css = re.search(r'href="/static/(css/site\.[0-9a-f]{12}\.css)"', html).group(1)
    js = re.search(r'src="/static/(vendor/htmx/htmx\.min\.[0-9a-f]{12}\.js)"', html).group(1)
    assert (tmp_path / f"{css}.gz").exists() and (tmp_path / f"{js}.gz").exists()


def test_a_missing_page_uses_the_site_layout_and_policy(client, settings):
    settings.DEBUG = False
    response = client.get("/papers/999999/")
    assert response.status_code == 404 and b"<h1>Not found</h1>" in response.content
    assert "script-src 'self'" in response["Content-Security-Policy"]
