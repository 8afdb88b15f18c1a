"""Calendar addresses for subscribe links: the https one and its webcal:// twin."""

from django import template
from django.urls import reverse

register = template.Library()


@register.simple_tag(takes_context=True)
def absolute_url(context, name: str, *args) -> str:
    """`{% absolute_url 'meetings:calendar' %}`: the named URL with this site's scheme and host."""
    return context["request"].build_absolute_uri(reverse(name, args=args))


@register.filter
def webcal(url: str) -> str:
    """`{{ url|webcal }}`: the same address as webcal://, which calendar apps open as a subscription
    (a plain https link downloads the file once instead)."""
    scheme, separator, rest = url.partition("://")
    return f"webcal://{rest}" if separator and scheme in ("http", "https") else url
