"""Small text helpers shared by the parsers: whitespace, LaTeX accents, HTML, dates, safe XML."""

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
        return squash(lxml.html.fragment_fromstring(text, create_parent="div").text_content())
    except (lxml.etree.ParserError, ValueError):
        return squash(re.sub(r"<[^>]+>", " ", text))


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
