"""Serializer fields more than one app's API uses."""

from functools import cached_property

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@extend_schema_field({"type": "string", "format": "uri"})
class WebUrlField(serializers.Field):
    """The object's page on the web site, absolute (from its get_absolute_url), for apps that
    open it in a browser."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("help_text", "Its page on the web site.")
        kwargs.setdefault("source", "*")  # the object itself, or one it points to
        super().__init__(read_only=True, **kwargs)

    @cached_property
    def _site(self) -> str | None:
        """`scheme://host`, once for the serializer (a list's objects share this field): what
        build_absolute_uri puts before an absolute path, which it parsed again for each object."""
        request = self.context.get("request")
        return request.build_absolute_uri("/").removesuffix("/") if request is not None else None

    def to_representation(self, obj) -> str:
        path = obj.get_absolute_url()  # reverse()d: already a quoted, ASCII path
        if self._site is None:
            return path
        if path.startswith("/") and not path.startswith("//"):
            return self._site + path
        return self.context["request"].build_absolute_uri(path)
