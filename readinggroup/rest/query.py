"""Unknown query parameters are a 400 that names them, on every API view.

A misspelt or unsupported parameter (`?page=2`, `?tags=x`, `?updated_after=`) silently ignored
returns an answer that looks right and is not: a sync that thinks it moved on, a filter that did
not filter. The names a view accepts are the ones its schema documents: its FilterSet's, its
paginator's (on actions that page), `extra_query_parameters` per action, and DRF's `format`.
"""

from datetime import UTC

from django import forms
from django_filters import IsoDateTimeFilter
from django_filters.fields import IsoDateTimeField
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.settings import api_settings

UNKNOWN = "Unknown query parameter: this endpoint accepts {known}."
NONE_KNOWN = "Unknown query parameter: this endpoint takes none."


def known_query_parameters(view) -> set[str]:
    # A viewset's action, else (a plain APIView) the request's method: "get", "post", ...
    action = getattr(view, "action", None) or view.request.method.lower()
    names = set(getattr(view, "extra_query_parameters", {}).get(action, ()))
    if action == "list" or action in getattr(view, "paged_actions", ()):
        paginator = getattr(view, "paginator", None)
        if paginator is not None:
            names |= {paginator.cursor_query_param, paginator.page_size_query_param}
    if action == "list":
        filterset_class = getattr(view, "filterset_class", None)
        if filterset_class is not None:
            names |= set(filterset_class.base_filters)
        names |= set(getattr(view, "filterset_fields", None) or ())
    return names


def reject_unknown_query_parameters(request: Request, view) -> None:
    known = known_query_parameters(view)
    unknown = sorted(set(request.query_params) - known - {api_settings.URL_FORMAT_OVERRIDE})
    if unknown:
        message = UNKNOWN.format(known=", ".join(sorted(known))) if known else NONE_KNOWN
        raise exceptions.ValidationError({name: [message] for name in unknown})


class KnownQueryParameters:
    """For every API view (first in its bases): checks the query string before the view runs,
    after authentication, so an anonymous client still learns about the token first."""

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        reject_unknown_query_parameters(request, self)


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 time, given to the database in UTC: PostgreSQL refuses offsets beyond ±15:59
    (a 500 for `+20:00`), and a time whose UTC form leaves years 1–9999 is a 400."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError("This time is out of range.", code="invalid") from None


class UtcIsoDateTimeFilter(IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField
