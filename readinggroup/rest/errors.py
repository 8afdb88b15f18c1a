"""One JSON body for every API error, whatever raised it.

    {"detail": "Human-readable summary.", "code": "machine_readable", "errors": {"field": ["..."]}}

`errors` is always there: field messages for a 400, empty otherwise. A 429 adds
`retry_after` (seconds), like its Retry-After header.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import BadRequest, ObjectDoesNotExist, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


class Conflict(exceptions.APIException):
    """The request is fine but the resource's state forbids it now (e.g. RSVPs are closed)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "This cannot be done in the resource's current state."
    default_code = "conflict"


def flatten_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """{"field": ["message"]}, with nested fields joined by dots ("authors.0.name")."""
    if isinstance(detail, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            flat.update(flatten_errors(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(detail, list) and any(isinstance(item, Mapping | list) for item in detail):
        flat = {}
        for index, item in enumerate(detail):
            flat.update(flatten_errors(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or NON_FIELD: [str(message) for message in messages]}


def _summary(errors: dict[str, list[str]]) -> str:
    """The message itself when there is one, else which fields are wrong."""
    if len(errors) == 1:
        ((field, messages),) = errors.items()
        if len(messages) == 1:
            return messages[0] if field == NON_FIELD else f"{field}: {messages[0]}"
    return "Invalid input: " + ", ".join(sorted(errors)) + "."


def error_body(exc: exceptions.APIException) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        return {"detail": _summary(errors), "code": "invalid", "errors": errors}
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    body = {"detail": str(exc.detail), "code": code, "errors": {}}
    if isinstance(exc, exceptions.Throttled):
        body["retry_after"] = int(exc.wait or 0)
    return body


def _as_api_exception(exc: Exception) -> exceptions.APIException | None:
    if isinstance(exc, exceptions.APIException):
        return exc
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        return exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(serializers.as_serializer_error(exc))
    if isinstance(exc, RequestDataTooBig):  # raised by request.body, which DRF's JSON parsing reads
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return exceptions.ParseError(f"The body is too large: send at most {limit} bytes.")
    return None


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: anything else stays a 500 (and is logged)."""
    api_exc = _as_api_exception(exc)
    if api_exc is None:
        return None
    headers = {}
    if getattr(api_exc, "auth_header", None):
        headers["WWW-Authenticate"] = api_exc.auth_header
    if getattr(api_exc, "wait", None):
        headers["Retry-After"] = str(int(api_exc.wait))
    set_rollback()
    return Response(error_body(api_exc), status=api_exc.status_code, headers=headers)


@contextmanager
def service_errors(*, conflict: bool = False) -> Iterator[None]:
    """Turn a service's ValidationError into a 400, or into a 409 when it is not about a field
    and `conflict` says such errors come from the resource's state (e.g. a session that is over)."""
    try:
        yield
    except DjangoValidationError as error:
        if conflict and not hasattr(error, "error_dict"):
            raise Conflict(" ".join(error.messages)) from error
        raise exceptions.ValidationError(serializers.as_serializer_error(error)) from error


@csrf_exempt  # it changes nothing; a PUT to a mistyped path is a 404, not a CSRF page
def not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Unknown paths under /api/v1/ answer in the API's error format, not with an HTML page."""
    body = error_body(exceptions.NotFound("No such API endpoint. See /api/v1/docs/."))
    return JsonResponse(body, status=status.HTTP_404_NOT_FOUND)


# --- Django's error views (handler400 ... handler500 in readinggroup/urls.py) -----------------------
# What DRF does not answer itself under /api/ (a request the middleware refuses, a 500 that
# escaped every handler) still gets the error format; every other path gets Django's pages.


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _api_error(exc: exceptions.APIException) -> JsonResponse:
    return JsonResponse(error_body(exc), status=exc.status_code)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        detail = str(exception) if isinstance(exception, BadRequest) else None
        return _api_error(exceptions.ParseError(detail or "Bad request."))
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _api_error(exceptions.PermissionDenied())
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _api_error(exceptions.NotFound())
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """The last resort, after Django has logged the exception: known bad input is a 4xx before this."""
    if _is_api(request):
        body = {"detail": "Something went wrong on our side.", "code": "server_error", "errors": {}}
        return JsonResponse(body, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    return defaults.server_error(request)


# --- Schema components -----------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, for people.")
    code = serializers.CharField(
        help_text="What went wrong, for programs: e.g. invalid, not_authenticated, "
        "authentication_failed, permission_denied, not_found, method_not_allowed, conflict, throttled."
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per input field (dotted for nested fields; non_field_errors for the "
        "input as a whole). Empty unless the code is 'invalid'.",
    )


class ThrottledErrorSerializer(ErrorSerializer):
    retry_after = serializers.IntegerField(help_text="Seconds to wait before trying again.")
