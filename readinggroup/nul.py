"""Requests with a NUL byte in the path or the query string are a 400, before any view runs.

No address or parameter of this site holds a NUL, and PostgreSQL refuses one in any
text value: a view that passed it on to a query (a calendar token, a token to revoke, an
admin list filter) raised a DataError, a 500. One guard here instead of a check in every
view. Some places check for themselves, to answer as their clients expect: the API's query
parameters (its filters and cursor validation answer 400 naming the parameter), API tokens (a
malformed token is a 401) and form bodies (Django's and DRF's CharField refuse NULs).
"""

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse

from readinggroup.rest.errors import bad_request

NUL = "\x00"


def has_nul(request: HttpRequest) -> bool:
    if NUL in request.path:
        return True
    if request.path_info.startswith("/api/"):
        return False
    return any(NUL in key or any(NUL in value for value in values) for key, values in request.GET.lists())


class RejectNulMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if has_nul(request):
            # As handler400 answers (the API's error format under /api/, Django's page elsewhere),
            # without the traceback Django logs for a raised BadRequest.
            return bad_request(request, BadRequest("The request holds a NUL byte."))
        return self.get_response(request)
