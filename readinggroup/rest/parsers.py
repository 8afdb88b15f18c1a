"""The API's JSON parser: DRF's, with limits checked before the body is parsed.

Python's json module recurses once per nesting level, so a body of 3,000 brackets (6 KB)
raises RecursionError in the parser. Here a body is refused with a 400 in the API's error
format, before it is parsed, when it nests deeper than MAX_DEPTH, and after, when it is not text
in its charset or holds a lone surrogate (an escape such as "\\ud800" that is no character: it can be
neither stored nor echoed back as UTF-8).

The depth is measured by a scan written here rather than taken from a library: the standard
library has no depth option, and no JSON library the project already uses offers one. The scan
runs in C (regular expressions, map and accumulate), not a Python loop per character.
"""

import json
import re
from itertools import accumulate

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils.json import strict_constant

# Bodies this API accepts are flat objects; 32 levels leave room for any client's wrapping.
MAX_DEPTH = 32
# A string: to its closing quote, or to the end when there is none. Possessive, and always
# matching from an opening quote, so that the scan is linear ('"\\"\\"\\"...' never restarts).
_STRING = re.compile(r'"(?:[^"\\]|\\[\s\S]?)*+(?:"|\Z)')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest in a JSON text (brackets inside strings do not count)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _is_unicode(data) -> bool:
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        # The size is checked before this, as DRF reads the body through request.body, which
        # Django limits to DATA_UPLOAD_MAX_MEMORY_SIZE (a 400, see readinggroup.rest.errors).
        raw = stream.read() if stream is not None else b""
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            raise ParseError(f"JSON parse error - the body is not {encoding} text.") from None
        if nesting_depth(text) > MAX_DEPTH:
            raise ParseError(f"JSON parse error - arrays and objects nest at most {MAX_DEPTH} deep.")
        try:
            data = json.loads(text, parse_constant=strict_constant if self.strict else None)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        if _SURROGATE_ESCAPE.search(text) and not _is_unicode(data):
            raise ParseError("JSON parse error - a string holds a lone surrogate, which is not text.")
        return data
