"""Serializer fields more than one app's API uses."""

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

    def to_representation(self, obj) -> str:
        request = self.context.get("request")
        path = obj.get_absolute_url()
        return request.build_absolute_uri(path) if request is not None else path
