"""The API's JSON renderer: DRF's, safe with text that is not valid Unicode.

A lone surrogate ("\\ud800") in a string cannot be written as UTF-8, so DRF's renderer raises
UnicodeEncodeError, and an error message that quotes the client's input ('"\\ud800" is not a
valid choice.') became a 500. Such characters are written as U+FFFD, the replacement
character, instead; every other response renders exactly as DRF renders it.
"""

import re

from rest_framework import renderers

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def replace_surrogates(data):
    """The data with every lone surrogate in its strings (keys too) replaced by U+FFFD."""
    if isinstance(data, str):
        return _LONE_SURROGATE.sub("\ufffd", data)
    if isinstance(data, dict):
        return {replace_surrogates(key): replace_surrogates(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [replace_surrogates(item) for item in data]
    return data


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:  # rare: pay for the walk only then
            return super().render(replace_surrogates(data), accepted_media_type, renderer_context)
