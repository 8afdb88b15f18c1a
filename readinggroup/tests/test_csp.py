"""The site's CSP middleware (readinggroup.csp) writes the headers django-csp would, building
the site's own policy once."""

from unittest import mock

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.decorators import csp_exempt, csp_replace, csp_update
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
from django.http import HttpResponse

from readinggroup import csp
from readinggroup.csp import CSPMiddleware

LIBRARY = "csp.middleware.CSPMiddleware"
REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'self'"], "report-uri": "/csp-report/"}}


def _headers(response) -> dict:
    return {header: response.get(header) for header in (HEADER, HEADER_REPORT_ONLY)}


def _plain(request):
    return HttpResponse("ok")


def _with_nonce(request):
    return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")


VIEWS = {
    "plain": _plain,
    "nonce": _with_nonce,
    "updated": csp_update({"style-src": ["'unsafe-inline'"]})(_plain),
    "replaced": csp_replace({"img-src": ["https://example.org"]})(_plain),
    "exempt": csp_exempt()(_plain),
    "already-set": lambda request: HttpResponse("ok", headers={HEADER: "default-src 'none'"}),
}


@pytest.mark.parametrize("report_only", [False, True], ids=["policy", "and-report-only"])
@pytest.mark.parametrize("view", list(VIEWS))
def test_the_headers_are_those_django_csp_writes(rf, settings, view, report_only):
    if report_only:
        settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = REPORT_ONLY
    ours_request, library_request = rf.get("/"), rf.get("/")
    ours = _headers(CSPMiddleware(VIEWS[view])(ours_request))
    library = _headers(LibraryCSPMiddleware(VIEWS[view])(library_request))
    if view == "nonce":  # a new nonce per request
        library = {
            h: p and p.replace(library_request._csp_nonce, ours_request._csp_nonce)
            for h, p in library.items()
        }
    assert ours == library


@pytest.mark.django_db
def test_the_site_uses_it(client, settings):
    assert "readinggroup.csp.CSPMiddleware" in settings.MIDDLEWARE and LIBRARY not in settings.MIDDLEWARE
    assert "default-src 'self'" in client.get("/healthz")[HEADER]


def test_the_site_policy_is_built_once(rf):
    csp._site_headers.cache_clear()
    middleware = CSPMiddleware(lambda request: HttpResponse("ok"))
    with mock.patch.object(csp, "build_policy", wraps=csp.build_policy) as build:
        first, second = middleware(rf.get("/")), middleware(rf.get("/"))
    assert first[HEADER] == second[HEADER] and "default-src 'self'" in first[HEADER]
    assert build.call_count == 2  # the policy and the (empty) report-only policy, once


def test_a_response_that_used_a_nonce_carries_it(rf):
    request = rf.get("/")
    response = CSPMiddleware(lambda r: HttpResponse(f"<script nonce='{r.csp_nonce}'></script>"))(request)
    assert f"'nonce-{request._csp_nonce}'" in response[HEADER]
    plain = CSPMiddleware(lambda r: HttpResponse("ok"))(rf.get("/"))
    assert "nonce-" not in plain[HEADER]


def test_asking_for_a_nonce_after_the_header_is_written_is_an_error(rf):
    request = rf.get("/")
    CSPMiddleware(lambda r: HttpResponse("ok"))(request)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)


def test_a_changed_setting_changes_the_header(rf, settings):
    middleware = CSPMiddleware(lambda request: HttpResponse("ok"))
    middleware(rf.get("/"))
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert middleware(rf.get("/"))[HEADER] == "default-src 'none'"
