"""The site's Content-Security-Policy: django-csp's middleware as shipped, with a nonce per request."""

from csp.constants import HEADER
from csp.middleware import CSPMiddleware
from django.http import HttpResponse


def test_the_site_uses_django_csp(settings):
    assert "csp.middleware.CSPMiddleware" in settings.MIDDLEWARE


def test_every_page_carries_the_policy(client, db):
    policy = client.get("/healthz")[HEADER]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy


def test_a_response_that_used_a_nonce_carries_it_and_others_do_not(rf):
    response = CSPMiddleware(lambda r: HttpResponse(str(r.csp_nonce)))(rf.get("/"))
    assert f"'nonce-{response.content.decode()}'" in response[HEADER]
    assert "nonce-" not in CSPMiddleware(lambda r: HttpResponse("ok"))(rf.get("/"))[HEADER]
