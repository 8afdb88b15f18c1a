"""The API's content negotiation answers exactly as DRF's own, quick path or not."""

import pytest
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from readinggroup.rest.negotiation import ContentNegotiation

ORDERS = [
    [JSONRenderer(), BrowsableAPIRenderer()],  # the site's order
    [BrowsableAPIRenderer(), JSONRenderer()],
    [],  # a view with no renderers: refused either way
]


def _choice(negotiation, accept, query, renderers, suffix):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get("/api/v1/papers/" + query, **headers))
    try:
        renderer, media_type = negotiation.select_renderer(request, renderers, suffix)
    except Exception as error:
        return type(error).__name__
    return type(renderer).__name__, media_type


@pytest.mark.parametrize("renderers", ORDERS, ids=["json-first", "browsable-first", "none"])
@pytest.mark.parametrize(
    "accept",
    [
        None,
        "*/*",
        "application/json",
        "text/html",
        "application/json; indent=4",
        "text/html,application/xhtml+xml,*/*;q=0.8",
        "application/xml",
        "",
    ],
)
@pytest.mark.parametrize(
    ("query", "suffix"), [("", None), ("?format=api", None), ("?format=json", None), ("", "api")]
)
def test_the_choice_is_drfs(renderers, accept, query, suffix):
    ours = _choice(ContentNegotiation(), accept, query, renderers, suffix)
    assert ours == _choice(DefaultContentNegotiation(), accept, query, renderers, suffix)


def test_the_site_uses_it(api):
    response = api().get("/api/v1/papers/", HTTP_ACCEPT="*/*")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert "text/html" in api().get("/api/v1/papers/", HTTP_ACCEPT="text/html")["Content-Type"]
