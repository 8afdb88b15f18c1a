"""Small text helpers shared by the parsers: whitespace, LaTeX accents, HTML, dates, safe XML."""

import html
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import lxml.etree
import lxml.html
from pylatexenc.latex2text import LatexNodes2Text

from papers.http import FetchError

# pylatexenc reads an unescaped % as the start of a comment and drops the rest of the line.
_BARE_PERCENT = re.compile(r"(?<!\\)%")
_LATEX = LatexNodes2Text(math_mode="verbatim", strict_latex_spaces=True)


def squash(text: str | None) -> str:
    """Collapse runs of whitespace (arXiv wraps titles and abstracts) and strip."""
    return " ".join((text or "").split())


def latex_to_text(text: str | None) -> str:
    r"""Accents and braces to Unicode (Schr\"odinger -> Schrödinger); $math$ kept verbatim."""
    text = squash(text)
    if "\\" not in text and "{" not in text:
        return text
    try:
        return squash(_LATEX.latex_to_text(_BARE_PERCENT.sub(r"\\%", text)))
    except Exception:  # pylatexenc is lenient, but a name is never worth failing a fetch for
        return text


def html_to_text(text: str | None) -> str:
    if not text or "<" not in text:
        return squash(text)
    try:
        fragment = lxml.html.fragment_fromstring(text, create_parent="div")
        for code in list(fragment.iter("script", "style")):  # code, not words
            code.drop_tree()
        return squash(fragment.text_content())
    except (lxml.etree.ParserError, ValueError):
        return squash(re.sub(r"<[^>]+>", " ", text))


# In HTML a "<" opens a tag only before a letter, "/", "!" or "?" (the WHATWG tokenizer).
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
_MATH = re.compile(r"(?<!\\)\$[^$]+\$")
# Markup escaped once more than usual (&amp;lt;b&amp;gt;) is markup again after one decoding.
_MAX_DECODINGS = 4


def _strip_markup_once(text: str) -> str:
    # In $math$ a "<" before a letter is a comparison ($k<n$): a space after it leaves the
    # formula as TeX reads it (spaces do not count in math) and opens no tag in any reader.
    text = _MATH.sub(lambda math: _TAG_OPEN.sub("< ", math[0]), text)
    if _TAG_OPEN.search(text):
        return html_to_text(text)  # lxml decodes the entities as well
    return squash(html.unescape(text)) if "&" in text else text


def plain_text(text: str | None) -> str:
    """A title, name or category as plain text: markup dropped, entities decoded, LaTeX accents
    to Unicode. Every source kind uses it for these fields: our feeds and pages escape them,
    but feed readers that render titles as HTML would run markup left in them (issue 25)."""
    text = squash(text)
    for _ in range(_MAX_DECODINGS):
        stripped = _strip_markup_once(text)
        if stripped == text:
            break
        text = stripped
    # Whatever is left (escaped deeper than we decode, or a LaTeX \textless) opens no tag either.
    return _TAG_OPEN.sub("< ", latex_to_text(text))


def parse_iso_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_http_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def http_url(value: str | None) -> str:
    """The URL when it is http(s) and fits Paper's URL columns, else ""."""
    value = (value or "").strip()
    # No spaces and no control characters (a NUL would not even fit a PostgreSQL column).
    if re.match(r"^https?://[^\s\x00-\x1f\x7f]+$", value, re.IGNORECASE) and len(value) <= 500:
        return value
    return ""


def parse_xml(body: bytes, *, what: str) -> lxml.etree._Element:
    """Parse untrusted XML (no entities, no network); a FetchError when it is malformed."""
    if not body.strip():
        raise FetchError(f"Empty response where {what} was expected", permanent=True)
    # A parser per call: lxml parsers must not be shared between threads.
    parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        return lxml.etree.fromstring(body, parser=parser)
    except lxml.etree.XMLSyntaxError as error:
        raise FetchError(f"Malformed {what}: {error}", permanent=True) from error
