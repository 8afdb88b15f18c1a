"""reverse() for URLs a page repeats once per item (a paper, a tag), memoised.

A list page of 30 papers reversed about 120 such URLs, a fifth of its rendering time,
though only the id or slug changes between them. The pattern is reversed once per view
name, URLconf and script prefix (the memo follows both, as reverse() does) and the
argument is put in its place.
"""

from functools import lru_cache

from django.urls import get_script_prefix, get_urlconf, reverse

# Digits only: a valid value for <int:…>, <slug:…> and <str:…> alike, found nowhere else in a URL.
_PLACEHOLDER = "9081726354"


@lru_cache(maxsize=128)
def _around(viewname: str, urlconf, prefix: str) -> tuple[str, str]:
    head, found, tail = reverse(viewname, args=[_PLACEHOLDER], urlconf=urlconf).partition(_PLACEHOLDER)
    if not found:
        raise ValueError(f"{viewname} does not take one plain argument")
    return head, tail


def reverse_one(viewname: str, arg: int | str) -> str:
    """reverse(viewname, args=[arg]) for an int or a slug, which need no quoting."""
    head, tail = _around(viewname, get_urlconf(), get_script_prefix())
    return f"{head}{arg}{tail}"
