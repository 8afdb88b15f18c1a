"""A database that does not answer gets "503, try again shortly", not a 500.

The site recovers by itself when the database is back: Django opens a new
connection per request (or checks a kept one first, CONN_HEALTH_CHECKS), so no
restart is needed; /healthz says 503 meanwhile (readinggroup.health).
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
PAGE = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Back shortly</title></head>"
    "<body><h1>Back shortly</h1><p>The site cannot reach its database just now. "
    "Please try again in a minute.</p></body></html>"
)


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("Database unavailable for %s %s: %s", request.method, request.path, exception)
        detail = "The database is unavailable just now; try again shortly."
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": detail, "code": "unavailable", "errors": {}}, status=503)
        else:
            response = HttpResponse(PAGE, status=503, content_type="text/html; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
